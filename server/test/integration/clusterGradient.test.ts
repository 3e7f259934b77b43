// Training across a cluster ([L5], SPEC A4): two coordinator processes on one PostgreSQL and one
// Redis, a gradient volunteer on each, either process SIGKILLed at random moments and started
// again. Every round closes exactly once whichever process takes its last result (steps
// 0..n-1, each once) and the final parameters are the single process's (relative L2 <= 1e-4).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { GradientVolunteer } from '../../src/sim/gradientVolunteer';
import { mulberry32 } from '../../src/sim/seededRandom';
import {
  SMALL_BLOBS_MLP,
  assertSingleProcessAnswer,
  crewOf,
  submitGradient,
} from '../gradient/gradientSupport';
import { CoordinatorProcess, freePort } from '../support/coordinatorProcess';
import { clusterEnv, dropSchema, testSchema } from '../support/postgres';
import { api, waitFor } from '../support/testCoordinator';

const SPEC = {
  ...SMALL_BLOBS_MLP,
  shards: 4,
  steps: 120,
  seed: 23,
};

const schema = testSchema('gradient_kill');
after(() => dropSchema(schema));

test('[L5][A4] training on two processes, either killed mid-run: each step once, single-process parameters', async () => {
  const env = clusterEnv(schema);
  const nodes = [
    new CoordinatorProcess(await freePort(), env),
    new CoordinatorProcess(await freePort(), env),
  ];
  const random = mulberry32(5);
  const crews: Array<{ crew: GradientVolunteer[]; running: Promise<unknown>[] }> = [];
  const startCrew = async (i: number) => {
    const crew = await crewOf(nodes[i]!.url, ['honest']);
    // A volunteer whose request meets its dying process stops; the next crew carries on.
    crews[i] = { crew, running: crew.map((v) => v.run().catch(() => undefined)) };
  };
  const stopCrew = async (i: number) => {
    crews[i]?.crew.forEach((v) => v.close());
    await Promise.all(crews[i]?.running ?? []);
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    const id = await submitGradient(nodes[0]!.url, SPEC);
    await startCrew(0);
    await startCrew(1);
    let kills = 0;
    for (; kills < 3; kills++) {
      await new Promise((r) => setTimeout(r, 400 + Math.floor(random() * 600)));
      const view = (await api(nodes[1]!.url, 'GET', `/api/workloads/${id}`)).body;
      if (view.status === 'completed') break;
      const victim = kills % 2;
      await nodes[victim]!.kill();
      await stopCrew(victim);
      await new Promise((r) => setTimeout(r, 200 + Math.floor(random() * 300)));
      await nodes[victim]!.start();
      await startCrew(victim);
    }
    const view = await waitFor(
      async () => {
        const v = (await api(nodes[0]!.url, 'GET', `/api/workloads/${id}`)).body;
        return v.status === 'completed' || v.status === 'failed' ? v : null;
      },
      120_000,
      'training to finish',
    );
    await Promise.all([stopCrew(0), stopCrew(1)]);
    assert.equal(view.status, 'completed', view.failureReason);
    assert.ok(kills >= 2, `a process was killed mid-run (${kills} times)`);
    const err = await assertSingleProcessAnswer(
      nodes.map((node) => node.url),
      id,
      SPEC,
      kills,
    );
    console.log(`# cluster gradient: ${kills} kills, relative L2 ${err.toExponential(1)}`);
  } finally {
    await Promise.all([stopCrew(0), stopCrew(1)]);
    await Promise.all(nodes.map((n) => n.stop()));
  }
});
