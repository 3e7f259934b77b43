// The signature property: a workload's final result JSON is bit-identical whether one process
// computes every unit, many volunteers return results in random order, or the coordinator is
// SIGKILLed at random points and restarted on the same data folder while tabs reconnect.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, test } from 'node:test';
import { estimatorFor } from '@tessera/shared';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import { CoordinatorProcess, freePort } from '../support/coordinatorProcess';
import { mulberry32 } from '../../src/sim/seededRandom';
import {
  TEST_TOKEN,
  api,
  startTestCoordinator,
  tempDir,
  waitFor,
} from '../support/testCoordinator';

/** One workload per estimator; each must reproduce exactly. */
const CASES: Array<{ name: string; spec: { estimator: string } & Record<string, unknown> }> = [
  {
    name: 'pi',
    spec: { estimator: 'pi', samples: 120 * 16_384 + 77, seed: 314159, samplesPerUnit: 16_384 },
  },
  {
    name: 'european-option',
    spec: {
      estimator: 'european-option',
      params: { spot: 100, strike: 95, rate: 0.03, volatility: 0.25, maturity: 0.5, type: 'put' },
      samples: 40 * 2_048 + 3,
      seed: 2718,
      samplesPerUnit: 2_048,
    },
  },
  {
    name: 'ising-2d',
    spec: {
      estimator: 'ising-2d',
      params: { size: 8, temperature: 2.4, sweeps: 40, burnIn: 10 },
      chains: 40,
      seed: 1618,
    },
  },
];

/** (a) One process computing every unit with the TypeScript reference, folding in unit order. */
function singleProcess(spec: unknown): Record<string, unknown> {
  const estimator = estimatorFor((spec as { estimator: string }).estimator);
  const parsed = estimator.specSchema.parse(spec);
  let aggregate = estimator.emptyAggregate();
  for (let i = 0; i < estimator.unitCount(parsed); i++) {
    aggregate = estimator.fold(aggregate, estimator.runReference(estimator.taskFor(parsed, i)));
  }
  return estimator.finalize(aggregate) as Record<string, unknown>;
}

/** The estimator's answer fields of a REST result (status and counters dropped). */
function answer(result: Record<string, unknown>, reference: Record<string, unknown>) {
  return Object.fromEntries(Object.keys(reference).map((key) => [key, result[key]]));
}

async function submit(url: string, spec: object): Promise<string> {
  const res = await api(url, 'POST', '/api/workloads', { kind: 'montecarlo', name: 'repro', spec });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

async function completed(url: string, id: string, timeoutMs: number) {
  return waitFor(
    async () => {
      const res = await api(url, 'GET', `/api/workloads/${id}`).catch(() => null);
      if (res?.body?.status === 'failed')
        throw new Error(`workload failed: ${res.body.failureReason}`);
      return res?.body?.status === 'completed' ? res.body : null;
    },
    timeoutMs,
    `workload ${id} to complete`,
  );
}

for (const { name, spec } of CASES) {
  describe(`reproducibility: ${name}`, () => {
    const reference = singleProcess(spec);

    test('[A1] (b) many volunteers returning in random order give the single-process answer', async () => {
      for (const [volunteers, seed] of [
        [9, 1],
        [4, 2],
      ] as const) {
        const c = await startTestCoordinator({ scheduler: { retryAfterMs: 20 } });
        try {
          const random = mulberry32(seed);
          const id = await submit(c.url, spec);
          const crew = Array.from(
            { length: volunteers },
            () =>
              new SimulatedVolunteer({
                url: c.url,
                idleMs: 20,
                resultDelayMs: () => Math.floor(random() * 40),
              }),
          );
          await Promise.all(crew.map((v) => v.connect()));
          const running = crew.map((v) => v.run());
          await completed(c.url, id, 60_000);
          crew.forEach((v) => v.close());
          await Promise.all(running);
          const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
          assert.deepEqual(
            answer(result, reference),
            reference,
            `${volunteers} volunteers, order seed ${seed}`,
          );
        } finally {
          await c.cleanup();
        }
      }
    });

    test('[A1] (c) SIGKILL at random points and restarts: same answer, no unit lost or folded twice', async () => {
      const dataDir = tempDir('tessera-crash-');
      const coordinator = new CoordinatorProcess(await freePort(), {
        TESSERA_DATA: dataDir,
        TESSERA_TOKEN: TEST_TOKEN,
        TESSERA_LEASE_MS: '4000',
      });
      const random = mulberry32(7);
      const crew: SimulatedVolunteer[] = [];
      try {
        await coordinator.start();
        const id = await submit(coordinator.url, spec);
        for (let i = 0; i < 4; i++) {
          crew.push(
            new SimulatedVolunteer({
              url: coordinator.url,
              reconnect: true,
              idleMs: 20,
              resultDelayMs: () => Math.floor(random() * 30),
            }),
          );
        }
        await Promise.all(crew.map((v) => v.connect()));
        const running = crew.map((v) => v.run());
        // Each kill lands once the restarted process has validated something more (at a random
        // moment after that), so it falls mid-run however fast the coordinator is.
        let kills = 0;
        let validated = 0;
        for (; kills < 4; kills++) {
          const view = await waitFor(
            async () => {
              const v = (await api(coordinator.url, 'GET', `/api/workloads/${id}`)).body;
              return v.status === 'completed' || v.progress.unitsValidated > validated ? v : null;
            },
            60_000,
            'progress after a restart',
          );
          if (view.status === 'completed') break;
          validated = view.progress.unitsValidated;
          await new Promise((r) => setTimeout(r, Math.floor(random() * 60)));
          await coordinator.kill();
          await coordinator.start();
        }
        const view = await completed(coordinator.url, id, 90_000);
        crew.forEach((v) => v.close());
        await Promise.all(running);
        assert.ok(kills >= 2, `the coordinator was killed mid-run (${kills} times)`);
        assert.equal(view.progress.unitsValidated, view.progress.unitsTotal);
        const result = (await api(coordinator.url, 'GET', `/api/workloads/${id}/result`)).body;
        assert.deepEqual(answer(result, reference), reference);
        // Every volunteer kept its identity across restarts: no new volunteers were minted.
        const stats = (await api(coordinator.url, 'GET', '/api/stats')).body;
        assert.equal(stats.volunteersTotal, crew.length);
      } finally {
        crew.forEach((v) => v.close());
        await coordinator.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
