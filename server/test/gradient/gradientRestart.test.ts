// A training run survives its coordinator being SIGKILLed at random points and restarted on the
// same data folder: every round closes exactly once (steps 0..n-1, each once), and the final
// parameters are the single process's (relative L2 <= 1e-4), so nothing a crash interrupted was
// lost or applied twice. The parameter server's state (version, parameters, optimizer moments,
// open units) lives in SQLite and each round closes in one transaction; the partitions are cut
// again from the seed after a restart. Volunteers here do not reconnect: each restart gets a
// fresh crew, as tabs reloading would.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { mulberry32 } from '../../src/sim/seededRandom';
import { CoordinatorProcess, freePort } from '../support/coordinatorProcess';
import { TEST_TOKEN, api, tempDir, waitFor } from '../support/testCoordinator';
import {
  SMALL_BLOBS_MLP,
  assertSingleProcessAnswer,
  crewOf,
  submitGradient,
} from './gradientSupport';
import type { GradientVolunteer } from '../../src/sim/gradientVolunteer';

const SPEC = {
  ...SMALL_BLOBS_MLP,
  shards: 3,
  steps: 200,
  seed: 19,
};

test('a coordinator killed mid-training and restarted ends with the single-process parameters', async () => {
  const dataDir = tempDir('tessera-gradient-crash-');
  const coordinator = new CoordinatorProcess(await freePort(), {
    TESSERA_DATA: dataDir,
    TESSERA_TOKEN: TEST_TOKEN,
    TESSERA_LEASE_MS: '3000',
  });
  const random = mulberry32(11);
  let crew: GradientVolunteer[] = [];
  let running: Promise<unknown>[] = [];
  const startCrew = async () => {
    crew = await crewOf(coordinator.url, ['honest', 'honest']);
    // A volunteer whose request meets the dying coordinator stops; the next crew carries on.
    running = crew.map((v) => v.run().catch(() => undefined));
  };
  const stopCrew = async () => {
    crew.forEach((v) => v.close());
    await Promise.all(running);
  };
  try {
    await coordinator.start();
    const id = await submitGradient(coordinator.url, SPEC);
    await startCrew();
    let kills = 0;
    for (; kills < 3; kills++) {
      await new Promise((r) => setTimeout(r, 200 + Math.floor(random() * 400)));
      const view = (await api(coordinator.url, 'GET', `/api/workloads/${id}`)).body;
      if (view.status === 'completed') break;
      await coordinator.kill();
      await stopCrew();
      await coordinator.start();
      await startCrew();
    }
    const view = await waitFor(
      async () => {
        const v = (await api(coordinator.url, 'GET', `/api/workloads/${id}`)).body;
        return v.status === 'completed' || v.status === 'failed' ? v : null;
      },
      90_000,
      'training to finish after the restarts',
    );
    await stopCrew();
    assert.equal(view.status, 'completed', view.failureReason);
    assert.ok(kills >= 2, `the coordinator was killed mid-run (${kills} times)`);
    const err = await assertSingleProcessAnswer([coordinator.url], id, SPEC, kills);
    console.log(`# gradient crash: ${kills} kills, relative L2 ${err.toExponential(1)}`);
  } finally {
    await stopCrew();
    await coordinator.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
