import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideQuorum } from '../../src/engine/quorum';

const same = (a: number, b: number) => a === b;
const returned = (...values: number[]) => values.map((result, i) => ({ replicaId: i + 1, result }));

describe('quorum decisions', () => {
  test('[Q1] two identical results validate the unit', () => {
    const d = decideQuorum({
      returned: returned(7, 7),
      inFlight: 0,
      resultsSoFar: 2,
      quorum: 2,
      maxReplicas: 4,
      same,
    });
    assert.deepEqual(d, { kind: 'validated', canonical: 7, agreeing: [1, 2], disagreeing: [] });
  });

  test('[Q1] the agreeing pair wins and the odd one out is marked as disagreeing', () => {
    const d = decideQuorum({
      returned: returned(7, 8, 7),
      inFlight: 0,
      resultsSoFar: 3,
      quorum: 2,
      maxReplicas: 4,
      same,
    });
    assert.deepEqual(d, { kind: 'validated', canonical: 7, agreeing: [1, 3], disagreeing: [2] });
  });

  test('[Q2] one result and one replica in flight: wait', () => {
    const d = decideQuorum({
      returned: returned(7),
      inFlight: 1,
      resultsSoFar: 1,
      quorum: 2,
      maxReplicas: 4,
      same,
    });
    assert.deepEqual(d, { kind: 'wait' });
  });

  test('[Q3] a disagreeing pair issues a third replica', () => {
    const d = decideQuorum({
      returned: returned(7, 8),
      inFlight: 0,
      resultsSoFar: 2,
      quorum: 2,
      maxReplicas: 4,
      same,
    });
    assert.deepEqual(d, { kind: 'issue', wanted: 3 });
  });

  test('[Q3] one result alone asks for one more replica, not more', () => {
    const d = decideQuorum({
      returned: returned(7),
      inFlight: 0,
      resultsSoFar: 1,
      quorum: 2,
      maxReplicas: 4,
      same,
    });
    assert.deepEqual(d, { kind: 'issue', wanted: 2 });
  });

  test('[Q4] disagreement at the replica cap fails the unit with a reason', () => {
    const d = decideQuorum({
      returned: returned(1, 2, 3, 4),
      inFlight: 0,
      resultsSoFar: 4,
      quorum: 2,
      maxReplicas: 4,
      same,
    });
    assert.equal(d.kind, 'fail');
    assert.match(
      (d as { reason: string }).reason,
      /no 2 agreeing results within 4 replicas \(4 distinct/,
    );
  });

  test('[Q4] invalid (unjudgeable) results still count against the cap', () => {
    const d = decideQuorum({
      returned: returned(5),
      inFlight: 0,
      resultsSoFar: 4,
      quorum: 2,
      maxReplicas: 4,
      same,
    });
    assert.equal(d.kind, 'fail');
  });

  test('quorum 3 needs three identical results', () => {
    const two = decideQuorum({
      returned: returned(7, 7),
      inFlight: 0,
      resultsSoFar: 2,
      quorum: 3,
      maxReplicas: 5,
      same,
    });
    assert.deepEqual(two, { kind: 'issue', wanted: 3 });
    const three = decideQuorum({
      returned: returned(7, 7, 7),
      inFlight: 0,
      resultsSoFar: 3,
      quorum: 3,
      maxReplicas: 5,
      same,
    });
    assert.equal(three.kind, 'validated');
  });
});
