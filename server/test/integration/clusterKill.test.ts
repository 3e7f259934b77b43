// Past one machine ([L5], DESIGN.md "Past one machine"): two coordinator processes on one
// PostgreSQL database and one Redis form one coordinator. Volunteers are spread over both while
// something goes wrong: a process SIGKILLed at random moments and started again, PostgreSQL down
// for 10 s, Redis down for 10 s. Each time the answer must be bit-identical to one process
// computing every unit, validated units must never go down, and no unit may be folded twice (the
// folded sample count equals the spec's exactly).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { estimatorFor } from '@tessera/shared';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import { mulberry32 } from '../../src/sim/seededRandom';
import { CoordinatorProcess, freePort } from '../support/coordinatorProcess';
import { clusterEnv, dropSchema, testSchema } from '../support/postgres';
import { startPostgres, startRedis, stopPostgres, stopRedis } from '../support/services';
import { api, waitFor } from '../support/testCoordinator';

const SPEC = { estimator: 'pi', samples: 160 * 16_384 + 91, seed: 27182, samplesPerUnit: 16_384 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function singleProcess(spec: typeof SPEC): Record<string, unknown> {
  const estimator = estimatorFor(spec.estimator);
  const parsed = estimator.specSchema.parse(spec);
  let aggregate = estimator.emptyAggregate();
  for (let i = 0; i < estimator.unitCount(parsed); i++) {
    aggregate = estimator.fold(aggregate, estimator.runReference(estimator.taskFor(parsed, i)));
  }
  return estimator.finalize(aggregate) as Record<string, unknown>;
}
const REFERENCE = singleProcess(SPEC);

interface Cluster {
  nodes: readonly [CoordinatorProcess, CoordinatorProcess];
  workloadId: string;
  random: () => number;
  crew: readonly SimulatedVolunteer[];
  validated(node: CoordinatorProcess): Promise<number | 'completed'>;
}

/**
 * Two nodes, a pi workload submitted to the first, two volunteers on each node; `disrupt` runs
 * once work is under way; then the run must complete with the one-process answer.
 */
async function clusterRun(schema: string, disrupt: (c: Cluster) => Promise<void>) {
  const env = clusterEnv(schema);
  const nodes = [
    new CoordinatorProcess(await freePort(), env),
    new CoordinatorProcess(await freePort(), env),
  ] as const;
  const random = mulberry32(11);
  const crew: SimulatedVolunteer[] = [];
  let watching = true;
  let watcher: Promise<void> = Promise.resolve();
  try {
    await Promise.all(nodes.map((n) => n.start()));
    const res = await api(nodes[0].url, 'POST', '/api/workloads', {
      kind: 'montecarlo',
      name: 'cluster',
      spec: SPEC,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const workloadId = res.body.id as string;
    for (let i = 0; i < 4; i++) {
      crew.push(
        new SimulatedVolunteer({
          url: nodes[i % 2]!.url,
          reconnect: true,
          idleMs: 20,
          resultDelayMs: () => Math.floor(random() * 20),
        }),
      );
    }
    await Promise.all(crew.map((v) => v.connect()));
    const running = crew.map((v) => v.run());

    // Validated units as each node reports them, polled throughout: never down on any node.
    const seen = new Map<CoordinatorProcess, number[]>(nodes.map((n) => [n, []]));
    watcher = (async () => {
      while (watching) {
        for (const node of nodes) {
          const view = await api(node.url, 'GET', `/api/workloads/${workloadId}`).catch(() => null);
          if (view?.status === 200) seen.get(node)!.push(view.body.progress.unitsValidated);
        }
        await sleep(25);
      }
    })();
    const cluster: Cluster = {
      nodes,
      workloadId,
      random,
      crew,
      async validated(node) {
        const v = (await api(node.url, 'GET', `/api/workloads/${workloadId}`)).body;
        return v.status === 'completed' ? 'completed' : (v.progress.unitsValidated as number);
      },
    };
    await waitFor(
      async () => ((await cluster.validated(nodes[1])) !== 0 ? true : null),
      60_000,
      'work under way',
    );
    await disrupt(cluster);
    const done = await waitFor(
      async () => {
        const v = (await api(nodes[1].url, 'GET', `/api/workloads/${workloadId}`)).body;
        if (v.status === 'failed') throw new Error(`workload failed: ${v.failureReason}`);
        return v.status === 'completed' ? v : null;
      },
      120_000,
      'the workload to complete',
    ).catch(async (error: unknown) => {
      const view = (await api(nodes[1].url, 'GET', `/api/workloads/${workloadId}`)).body;
      console.error(
        JSON.stringify(view.progress),
        crew.map((v) => JSON.stringify(v.tally)),
      );
      console.error(nodes.map((n) => n.output.slice(-3000)).join('\n-----\n'));
      throw error;
    });
    watching = false;
    await watcher;
    crew.forEach((v) => v.close());
    await Promise.all(running);

    assert.equal(done.progress.unitsValidated, done.progress.unitsTotal);
    for (const [node, readings] of seen) {
      for (let i = 1; i < readings.length; i++) {
        assert.ok(readings[i]! >= readings[i - 1]!, `validated went down on ${node.url}`);
      }
    }
    for (const node of nodes) {
      const result = (await api(node.url, 'GET', `/api/workloads/${workloadId}/result`)).body;
      const answer = Object.fromEntries(Object.keys(REFERENCE).map((k) => [k, result[k]]));
      assert.deepEqual(answer, REFERENCE, 'bit-identical to one process, on either node');
      assert.equal(result.samples, SPEC.samples, 'every unit folded exactly once');
    }
    const stats = (await api(nodes[0].url, 'GET', '/api/stats')).body;
    assert.equal(stats.volunteersTotal, crew.length, 'volunteers kept their identities');
  } finally {
    watching = false;
    await watcher.catch(() => undefined);
    crew.forEach((v) => v.close());
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

describe('a cluster of coordinator processes on PostgreSQL and Redis', () => {
  const schemas: string[] = [];
  const schema = (prefix: string) => {
    const name = testSchema(prefix);
    schemas.push(name);
    return name;
  };
  after(async () => {
    startPostgres();
    startRedis();
    for (const name of schemas) await dropSchema(name);
  });

  test('[L5][A1] SIGKILL of either node mid-run: same answer, nothing lost or folded twice', async () => {
    let kills = 0;
    await clusterRun(schema('kill'), async ({ nodes, random, validated }) => {
      let last = 0;
      for (; kills < 3; kills++) {
        const survivor = nodes[(kills + 1) % 2]!;
        const now = await waitFor(
          async () => {
            const v = await validated(survivor);
            return v === 'completed' || v > last + 10 ? v : null;
          },
          60_000,
          'progress before a kill',
        );
        if (now === 'completed') break;
        last = now;
        await sleep(Math.floor(random() * 50));
        const victim = nodes[kills % 2]!;
        await victim.kill();
        // The survivor goes on alone for a moment, then the victim comes back.
        await sleep(300 + Math.floor(random() * 500));
        await victim.start();
      }
    });
    assert.ok(kills >= 2, `a node was killed mid-run (${kills} times)`);
  });

  test('PostgreSQL down for 10 s: REST answers 503, sockets stay, work resumes', async () => {
    await clusterRun(schema('pgdown'), async ({ nodes, workloadId, crew }) => {
      stopPostgres();
      try {
        for (const node of nodes) {
          const res = await api(node.url, 'GET', `/api/workloads/${workloadId}`);
          assert.equal(res.status, 503, JSON.stringify(res.body));
          assert.equal(res.body.error.code, 'UNAVAILABLE');
        }
        await sleep(10_000);
        const health = await api(nodes[0].url, 'GET', '/healthz');
        assert.equal(health.status, 200, 'the process stayed up');
        for (const v of crew) assert.equal(v.tally.dropped, 0, 'no volunteer was disconnected');
      } finally {
        startPostgres();
      }
    });
  });

  test('Redis down for 10 s: work goes on, nothing lost', async () => {
    await clusterRun(schema('redisdown'), async ({ nodes, validated }) => {
      stopRedis();
      try {
        const before = await validated(nodes[0]);
        await sleep(10_000);
        const later = await validated(nodes[1]);
        assert.ok(
          later === 'completed' || (before !== 'completed' && later > before),
          `work continued without Redis (${String(before)} -> ${String(later)})`,
        );
      } finally {
        startRedis();
      }
    });
  });
});
