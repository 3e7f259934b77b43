// The unit loop on a batch of gradient leases against a scripted coordinator: each result goes
// back as soon as it is computed and the batch's next unit is computed while its answer travels
// (a round may be waiting on it); parameters that came with the lease reply (SPEC L14) are used
// without a download.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  partitionMembers,
  stepSlices,
  taskExamples,
  type PartitionLayout,
} from '@tessera/shared/kinds/gradient/dataPartitions';
import { gatherExamples } from '@tessera/shared/kinds/gradient/exampleSet';
import { computeGradient } from '@tessera/shared/kinds/gradient/gradientReference';
import { decodeGradientResult } from '@tessera/shared/kinds/gradient/gradientResultCodec';
import type { GradientTask } from '@tessera/shared/kinds/gradient/gradientSpec';
import { initParameters } from '@tessera/shared/kinds/gradient/parameterInit';
import { encodeShard, shardHash } from '@tessera/shared/kinds/gradient/shardCodec';
import { makeBlobs } from '@tessera/shared/kinds/gradient/syntheticBlobs';
import type { Lease } from '@tessera/shared/protocol/volunteerProtocol';
import { StatusReporter } from '../../src/volunteer/statusReporter';
import { ThroughputMeter } from '../../src/volunteer/throughputMeter';
import { UnitLoop, type UnitLoopDeps } from '../../src/volunteer/unitLoop';

const CONFIG = { model: 'softmax', inputSize: 5, classes: 3 } as const;
const LAYOUT: PartitionLayout = { trainCount: 60, batchSize: 20, shards: 2, seed: 3 };
const partitions = partitionMembers(LAYOUT).map((m) =>
  gatherExamples(makeBlobs({ count: 60, inputSize: 5, classes: 3, seed: 2 }), m),
);
const params = initParameters(CONFIG, 4);

function gradientLease(replicaId: number, shard: number, hash: string): Lease {
  const slice = stepSlices(LAYOUT, 0)[shard]!;
  const task: GradientTask = {
    version: 0,
    step: 0,
    shard,
    modelConfig: CONFIG,
    parameterCount: params.length,
    paramsUrl: '/params/0',
    partition: { url: `/shards/${hash}`, hash, count: partitions[shard]!.count },
    examples: { seed: LAYOUT.seed, epoch: slice.epoch, offset: slice.offset },
    count: slice.count,
  };
  return {
    replicaId,
    workloadId: 'wl-gradient',
    workloadName: 'test gradient',
    kind: 'gradient',
    estimator: 'gradient',
    unitIndex: shard,
    task,
    deadline: Date.now() + 60_000,
    leaseDurationMs: 60_000,
  };
}

test('a batch of gradient units: each result goes back at once, the next unit computed meanwhile', async () => {
  const shards = new Map<string, ArrayBuffer>();
  const hashes: string[] = [];
  for (const partition of partitions) {
    const bytes = encodeShard(partition);
    const hash = await shardHash(bytes);
    hashes.push(hash);
    shards.set(`/shards/${hash}`, bytes);
  }
  const fetched: string[] = [];
  const leases = hashes.map((hash, shard) => gradientLease(shard + 1, shard, hash));
  const sent: Array<{ event: string; replicaId?: unknown; result?: unknown }> = [];
  const stop = new AbortController();
  let asked = 0;
  // The first result's answer is held until the second result arrives (or 2 s pass: a failure).
  let answerFirst: () => void = () => undefined;
  const firstAnswered = new Promise<void>((resolve) => (answerFirst = resolve));
  let heldTooLong = false;
  const timeout = setTimeout(() => {
    heldTooLong = true;
    answerFirst();
  }, 2_000);
  const connection = {
    whenReady: async () => undefined,
    request: async (event: string, payload: Record<string, unknown>) => {
      sent.push({ event, replicaId: payload.replicaId, result: payload.result });
      switch (event) {
        case 'unit:request':
          asked += 1;
          if (asked > 1) {
            stop.abort();
            return { ok: true, lease: null, leases: [], retryAfterMs: 1 };
          }
          return {
            ok: true,
            lease: leases[0],
            leases,
            attachments: [{ url: '/params/0', bytes: params.slice().buffer }],
            retryAfterMs: 1,
          };
        case 'unit:result':
          if (payload.replicaId === 1) await firstAnswered;
          else answerFirst();
          return { ok: true, verdict: 'pending' };
        default:
          return { ok: true };
      }
    },
  };
  const status = new StatusReporter(() => undefined);
  const loop = new UnitLoop({
    connection: connection as unknown as UnitLoopDeps['connection'],
    backend: () => ({ kind: 'cpu' }),
    recoverFromDeviceLoss: async () => undefined,
    status,
    throughput: new ThroughputMeter(),
    errorBackoffMs: 1,
    gradientFetch: async (url) => {
      fetched.push(url);
      const bytes = shards.get(url);
      if (!bytes) throw new Error(`GET ${url}: HTTP 404`);
      return bytes.slice(0);
    },
  });
  try {
    await loop.run(stop.signal);
  } finally {
    clearTimeout(timeout);
  }
  const results = sent.filter((s) => s.event === 'unit:result');
  assert.deepEqual(
    results.map((r) => r.replicaId),
    [1, 2],
  );
  // Both went out while the first answer was held: the second did not wait for it.
  assert.equal(heldTooLong, false, 'the second unit waited for the first answer');
  assert.equal(status.current.unitsCompleted, 2);
  assert.ok(
    sent.findIndex((s) => s.event === 'unit:result' && s.replicaId === 2) <
      sent.findIndex((s, i) => s.event === 'unit:request' && i > 0),
  );
  assert.deepEqual(fetched.sort(), [...shards.keys()].sort(), 'partitions only: no parameters');
  for (const [i, r] of results.entries()) {
    const task = leases[i]!.task as GradientTask;
    const expected = computeGradient(CONFIG, params, taskExamples(partitions[i]!, task));
    assert.deepEqual(decodeGradientResult(r.result as ArrayBuffer), expected);
  }
});
