// [L2] Replicas of one gradient unit must be independent: never two on one volunteer, nor on
// one public network group (one IPv4 address, one IPv6 /64), as for Monte Carlo units. Leases
// are taken straight from the coordinator with made-up identities, so each one's network group
// is the test's to choose.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionIdentity } from '../../src/coordinator';
import { startTestCoordinator } from '../support/testCoordinator';
import { submitGradient } from './gradientSupport';

test('[L2] a gradient unit is not replicated within one public network group', async () => {
  const c = await startTestCoordinator({ sweep: false });
  try {
    const coordinator = c.server.coordinator;
    const identity = async (name: string, netGroup: string | null) => {
      await c.repository.transaction(1, (tx) =>
        tx.insertVolunteer({ id: name, secretHash: 'x', displayName: name }),
      );
      return { volunteerId: name, connectionId: `conn-${name}`, netGroup } as ConnectionIdentity;
    };
    const a = await identity('vol-a', '203.0.113.7');
    const sameNet = await identity('vol-b', '203.0.113.7');
    const other = await identity('vol-c', '198.51.100.9');
    const privateA = await identity('vol-d', null);
    const privateB = await identity('vol-e', null);
    const spec = {
      model: 'softmax',
      dataset: 'blobs',
      blobs: { train: 100, test: 20, inputSize: 4, classes: 2, seed: 1 },
      optimizer: { name: 'sgd', lr: 0.1 },
      batchSize: 20,
      shards: 1,
      steps: 2,
      seed: 3,
    };
    const first = await submitGradient(c.url, spec, { quorum: 2 });
    const leased = await coordinator.lease(a);
    assert.equal(leased?.workloadId, first);
    assert.equal(await coordinator.lease(sameNet), null, 'same address: no second replica');
    const second = await coordinator.lease(other);
    assert.equal(second?.workloadId, first);
    assert.equal(second?.unitIndex, leased?.unitIndex, 'another network takes the replica');

    // Private addresses are exempt (a lab behind one NAT is many machines): both may replicate.
    const lab = await submitGradient(c.url, spec, { quorum: 2 });
    await coordinator.cancelWorkload(first);
    assert.equal((await coordinator.lease(privateA))?.workloadId, lab);
    assert.equal((await coordinator.lease(privateB))?.workloadId, lab);
  } finally {
    await c.cleanup();
  }
});
