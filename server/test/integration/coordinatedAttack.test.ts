// Coordinated attacks over real sockets (issue "Trust under coordinated attack"): a real
// coordinator, simulated volunteers speaking the real protocol, and hostile ones that coordinate
// out of band (server/src/sim/coordinatedAttack.ts). Timed colluders lie only once an honest
// result for the unit is in, then a second colluder takes the contested unit's next replica and
// agrees; an error saboteur reports every unit it leases as failed, as fast as it may; a kernel
// that really fails for everyone must still fail its workload, quickly and by name. Every wait is
// bounded: a stalled workload fails its test with what it was stuck at, it never hangs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ColluderBlackboard } from '../../src/sim/coordinatedAttack';
import { runSimulation, type SimulationReport } from '../../src/sim/hostileSimulation';
import {
  SimulatedVolunteer,
  type Behavior,
  type SimulatedVolunteerOptions,
} from '../../src/sim/simulatedVolunteer';
import {
  api,
  startTestCoordinator,
  volunteerRecord,
  type TestCoordinator,
} from '../support/testCoordinator';
import { singleProcessResult, submitMontecarlo } from '../support/workloadRuns';

/** Every test here ends well within this, or fails saying what it waited for. */
const TEST_TIMEOUT_MS = 60_000;
/** How long a workload may take to end before its test fails with its progress. */
const WORKLOAD_TIMEOUT_MS = 40_000;
/** A run whose state has not moved for this long has stalled: its test fails at once. */
const STALL_MS = 10_000;
/** How long stopping a crew may take (a colluder holds a replica at most its holdMs). */
const STOP_TIMEOUT_MS = 10_000;

const SCHEDULER = { retryAfterMs: 20, sweepIntervalMs: 100, leaseDurationMs: 10_000 } as const;

/** A pi spec of `units` small units: the kernel is cheap, the protocol is what is exercised. */
function piSpec(units: number, seed: number, samplesPerUnit = 4_096) {
  return { estimator: 'pi', samples: units * samplesPerUnit, samplesPerUnit, seed };
}

/** Rejects with `what` after `ms`, so no await in these tests can hang. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One volunteer identity with several tabs (connections), each a SimulatedVolunteer. */
interface Identity {
  id: string;
  name: string;
  tabs: SimulatedVolunteer[];
}

async function identity(
  url: string,
  behavior: Behavior,
  name: string,
  tabs: number,
  extra: Partial<SimulatedVolunteerOptions> = {},
): Promise<Identity> {
  const options = { url, behavior, displayName: name, idleMs: 20, ...extra };
  const first = new SimulatedVolunteer(options);
  await first.connect();
  const credentials = { volunteerId: first.volunteerId!, secret: first.secret! };
  const rest = Array.from(
    { length: tabs - 1 },
    () => new SimulatedVolunteer({ ...options, credentials }),
  );
  await Promise.all(rest.map((t) => t.connect()));
  return { id: first.volunteerId!, name, tabs: [first, ...rest] };
}

const tabsOf = (crew: Identity[]) => crew.flatMap((v) => v.tabs);

/** Starts every tab; returns a stop() that closes them all and waits (bounded) for their loops. */
function startCrew(crew: Identity[]): () => Promise<void> {
  const tabs = tabsOf(crew);
  const running = tabs.map((t) => t.run());
  return async () => {
    tabs.forEach((t) => t.close());
    await within(Promise.all(running), STOP_TIMEOUT_MS, 'the volunteers to stop');
  };
}

/**
 * Polls `probe` until it is done and returns its value. While not done, the probe says where
 * things stand; the wait fails with that after `timeoutMs`, or sooner once it has not changed
 * for STALL_MS: a stalled run fails its test, it never hangs.
 */
async function progressUntil<T>(
  what: string,
  probe: () => Promise<{ done: true; value: T } | { done: false; state: unknown }>,
  timeoutMs = WORKLOAD_TIMEOUT_MS,
): Promise<T> {
  const started = Date.now();
  let last = '';
  let lastChange = started;
  for (;;) {
    const seen = await probe();
    if (seen.done) return seen.value;
    const state = JSON.stringify(seen.state);
    const now = Date.now();
    if (state !== last) {
      last = state;
      lastChange = now;
    }
    if (now - lastChange > STALL_MS)
      throw new Error(`${what}: stalled, nothing moved for ${STALL_MS} ms at ${state}`);
    if (now - started > timeoutMs)
      throw new Error(`${what}: not done in ${timeoutMs} ms: ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const FINAL_STATUSES = ['completed', 'failed', 'cancelled'];

/**
 * Runs the crew until the workload ends, then stops it; returns the workload's view. A workload
 * still going at the deadline, or stalled, fails the test with its progress and the crew's
 * standing.
 */
async function runToEnd(c: TestCoordinator, id: string, crew: Identity[], timeoutMs?: number) {
  const stop = startCrew(crew);
  try {
    return await progressUntil(
      `workload ${id} to end`,
      async () => {
        const view = (await api(c.url, 'GET', `/api/workloads/${id}`)).body;
        if (FINAL_STATUSES.includes(view.status)) return { done: true, value: view };
        const standings = await Promise.all(crew.map((v) => standing(c, v)));
        return { done: false, state: { progress: view.progress, crew: standings } };
      },
      timeoutMs,
    );
  } finally {
    await stop();
  }
}

/** A volunteer's record (credit as the API shows it); its absence fails the test. */
async function record(c: TestCoordinator, v: Identity) {
  const found = await volunteerRecord(c.repository, v.id);
  assert.ok(found, `${v.name} has a record`);
  return found;
}

const suspendedNow = (r: { suspendedUntil: number | null }) =>
  r.suspendedUntil !== null && r.suspendedUntil > Date.now();

/** A volunteer's standing, as a stalled run's message shows it. */
async function standing(c: TestCoordinator, v: Identity) {
  const r = await record(c, v);
  return { name: v.name, credit: r.credit, offenses: r.offenses, suspended: suspendedNow(r) };
}

/** The estimator's answer fields of a workload's REST result, for a bit-for-bit comparison. */
async function assertExactAnswer(url: string, id: string, spec: { estimator: string }) {
  const reference = singleProcessResult(spec);
  const result = (await api(url, 'GET', `/api/workloads/${id}/result`)).body;
  const answer = Object.fromEntries(Object.keys(reference).map((k) => [k, result[k]]));
  assert.deepEqual(answer, reference, 'the answer is the single-process answer, bit for bit');
}

describe('coordinated attacks over real sockets', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  test(
    '[Q6][R5][R8] timed colluders lose every contested unit: exact answer, both caught with 0 credit, no honest volunteer suspended',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const c = await startTestCoordinator({ scheduler: SCHEDULER });
      try {
        const spec = piSpec(300, 6_021);
        const id = await submitMontecarlo(c.url, spec, { redundancy: { quorum: 2 } });
        const board = new ColluderBlackboard();
        // Honest results take a few ms, so colluders get leases beside them; the honest tabs
        // post each acknowledged result to the board (the harness controls both sides).
        const honest = [
          await identity(c.url, 'honest', 'honest-a', 3, {
            blackboard: board,
            resultDelayMs: () => 5,
          }),
          await identity(c.url, 'honest', 'honest-b', 3, {
            blackboard: board,
            resultDelayMs: () => 5,
          }),
        ];
        const colluders = [
          await identity(c.url, 'timedColluder', 'colluder-a', 2, {
            blackboard: board,
            holdMs: 1_000,
          }),
          await identity(c.url, 'timedColluder', 'colluder-b', 2, {
            blackboard: board,
            holdMs: 1_000,
          }),
        ];
        const view = await runToEnd(c, id, [...honest, ...colluders]);
        const f = board.figures;
        console.log(
          `# timed colluders: ${f.lies} lies after an honest result, ${f.agreements} agreements, ${f.handedBack} handed back, ${f.snipes} snipe requests`,
        );
        assert.ok(f.lies > 0, 'the colluders did lie on units an honest result was in for');

        assert.equal(view.status, 'completed', `workload: ${view.failureReason}`);
        assert.equal(view.progress.unitsValidated, 300);
        await assertExactAnswer(c.url, id, spec);
        for (const v of colluders) {
          const r = await record(c, v);
          assert.ok(r.offenses > 0, `${v.name} was caught (offenses ${r.offenses})`);
          assert.equal(r.credit, 0, `${v.name} keeps no credit`);
        }
        for (const v of honest) {
          const r = await record(c, v);
          assert.equal(
            suspendedNow(r),
            false,
            `${v.name} is not suspended (offenses ${r.offenses})`,
          );
          for (const tab of v.tabs) assert.equal(tab.tally.refused.SUSPENDED ?? 0, 0, v.name);
        }
      } finally {
        await c.cleanup();
      }
    },
  );

  test(
    '[E1] an error saboteur cannot fail a workload: it completes exact and the saboteur ends suspended or throttled',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const c = await startTestCoordinator({ scheduler: SCHEDULER });
      try {
        const spec = piSpec(64, 1_618);
        const id = await submitMontecarlo(c.url, spec);
        // Honest units take 50 ms each (about 3 s for the workload), and the saboteur runs four
        // tabs, each as fast as the per-connection event limit lets it.
        const honest = [
          await identity(c.url, 'honest', 'honest-a', 1, { resultDelayMs: () => 50 }),
          await identity(c.url, 'honest', 'honest-b', 1, { resultDelayMs: () => 50 }),
        ];
        const saboteur = await identity(c.url, 'errorSaboteur', 'saboteur', 4);
        const started = Date.now();
        const view = await runToEnd(c, id, [...honest, saboteur]);
        const tally = { leases: 0, errorsReported: 0, refused: {} as Record<string, number> };
        for (const tab of saboteur.tabs) {
          tally.leases += tab.tally.leases;
          tally.errorsReported += tab.tally.errorsReported;
          for (const [code, n] of Object.entries(tab.tally.refused))
            tally.refused[code] = (tally.refused[code] ?? 0) + n;
        }
        console.log(
          `# error saboteur: ${tally.leases} leases, ${tally.errorsReported} errors acknowledged, refused ${JSON.stringify(tally.refused)}; ${Date.now() - started} ms`,
        );
        assert.ok(tally.errorsReported > 0, 'the saboteur reported errors');

        assert.equal(view.status, 'completed', `workload: ${view.failureReason}`);
        await assertExactAnswer(c.url, id, spec);
        const r = await record(c, saboteur);
        // Throttled: the coordinator refused its requests, though it paced itself under the
        // per-connection event limit (SABOTEUR_EVENTS_PER_SECOND), so the refusals were aimed.
        const throttled = (tally.refused.RATE_LIMITED ?? 0) + (tally.refused.SUSPENDED ?? 0) > 0;
        assert.ok(
          suspendedNow(r) || throttled,
          `the saboteur is suspended or throttled (record ${JSON.stringify({ suspendedUntil: r.suspendedUntil, unitsErrored: r.unitsErrored })}, refused ${JSON.stringify(tally.refused)})`,
        );
        for (const v of honest) assert.equal(suspendedNow(await record(c, v)), false, v.name);
      } finally {
        await c.cleanup();
      }
    },
  );

  test(
    '[E1][L4] a kernel that fails for everyone fails its workload quickly, naming the unit',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const c = await startTestCoordinator({ scheduler: SCHEDULER });
      try {
        const id = await submitMontecarlo(c.url, piSpec(16, 42));
        // Three distinct identities, each an honest tab whose kernel fails on every unit.
        const broken = await Promise.all(
          ['broken-a', 'broken-b', 'broken-c'].map((name) =>
            identity(c.url, 'broken', name, 1, { resultDelayMs: () => 2 }),
          ),
        );
        const started = Date.now();
        const view = await runToEnd(c, id, broken, 15_000);
        const seconds = (Date.now() - started) / 1000;
        assert.equal(view.status, 'failed', 'the workload failed');
        assert.match(String(view.failureReason), /\bunit \d+\b/, 'the reason names the unit');
        assert.equal(view.progress.unitsValidated, 0);
        assert.ok(seconds < 15, `it failed within 15 s (${seconds.toFixed(1)} s)`);
        const reported = broken.reduce((n, v) => n + v.tabs[0]!.tally.errorsReported, 0);
        assert.ok(reported > 0, 'the failures were reported as unit errors');
      } finally {
        await c.cleanup();
      }
    },
  );

  test(
    '[C2][R4] credit is exact: caught colluders end with exactly 0 credit, and the leaderboard lists only volunteers with validated units',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // No one becomes established here ([R3]), so every unit the colluding pair settled is
      // unverified and taken back when one of them is caught ([R4]): what is checked is that a
      // grant and its withdrawal cancel exactly. 3,000 samples a unit: 0.003 credit, which no
      // binary fraction holds.
      const c = await startTestCoordinator({
        scheduler: { ...SCHEDULER, establishedAfter: 10_000 },
      });
      try {
        const first = piSpec(30, 7, 3_000);
        const second = piSpec(60, 8, 3_000);
        // Two colluders alone: they agree on the same wrong answer for every unit of the first
        // workload, which completes wrong and credits them.
        const liars = [
          await identity(c.url, 'liar', 'colluder-a', 1),
          await identity(c.url, 'liar', 'colluder-b', 1),
        ];
        const a = await submitMontecarlo(c.url, first);
        const alone = await runToEnd(c, a, liars, 15_000);
        assert.equal(alone.status, 'completed', `first workload: ${alone.failureReason}`);
        for (const v of liars) {
          assert.ok((await record(c, v)).credit > 0, `${v.name} was credited at first`);
        }

        // Then honest volunteers arrive with more work: the colluders are caught, their units
        // taken back and recomputed, their credit withdrawn.
        const liarsAgain = [
          await identity(c.url, 'liar', 'colluder-a', 1, {
            credentials: { volunteerId: liars[0]!.id, secret: liars[0]!.tabs[0]!.secret! },
          }),
          await identity(c.url, 'liar', 'colluder-b', 1, {
            credentials: { volunteerId: liars[1]!.id, secret: liars[1]!.tabs[0]!.secret! },
          }),
        ];
        const honest = [
          await identity(c.url, 'honest', 'honest-a', 2),
          await identity(c.url, 'honest', 'honest-b', 2),
        ];
        const b = await submitMontecarlo(c.url, second);
        const stop = startCrew([...honest, ...liarsAgain]);
        /** Where the run stands: both workloads and every volunteer's record. */
        const state = async () => ({
          workloads: await Promise.all(
            [a, b].map(async (id) => {
              const v = (await api(c.url, 'GET', `/api/workloads/${id}`)).body;
              return { status: v.status, progress: v.progress, failureReason: v.failureReason };
            }),
          ),
          volunteers: await Promise.all([...liars, ...honest].map((v) => standing(c, v))),
        });
        try {
          // 15 s for the first phase, 35 s for this one: the test stays inside its 60 s.
          await progressUntil(
            'both workloads to complete and both colluders to be suspended',
            async () => {
              const now = await state();
              const failed = now.workloads.find((w) => w.status === 'failed');
              if (failed) throw new Error(`a workload failed: ${JSON.stringify(now)}`);
              const done =
                now.workloads.every((w) => w.status === 'completed') &&
                now.volunteers.slice(0, 2).every((v) => v.suspended);
              return done ? { done: true, value: now } : { done: false, state: now };
            },
            35_000,
          );
        } finally {
          await stop();
        }
        await assertExactAnswer(c.url, a, first);
        await assertExactAnswer(c.url, b, second);
        for (const v of liars) {
          const r = await record(c, v);
          assert.ok(r.offenses > 0, `${v.name} was caught`);
          assert.equal(r.credit, 0, `${v.name}: credit exactly 0, not ${r.credit}`);
        }
        const board = await c.server.coordinator.reads.leaderboard(100);
        const names = board.map((s) => s.displayName).sort();
        assert.deepEqual(names, ['honest-a', 'honest-b'], 'only the honest volunteers are listed');
        for (const s of board) {
          assert.ok(s.unitsValidated > 0 && s.credit > 0, `${s.displayName}: ${JSON.stringify(s)}`);
        }
      } finally {
        await c.cleanup();
      }
    },
  );
});

/**
 * The simulator's two new modes on small runs: the figures `npm run simulate -- --mode
 * timed-colluders|error-saboteur` prints, held to what a sound coordinator keeps.
 */
function assertSettled(report: SimulationReport): void {
  assert.equal(report.timedOut, false, 'the run finished');
  for (const w of report.audit.workloads) {
    assert.equal(w.status, 'completed', `workload ${w.id}: ${w.failureReason}`);
    assert.equal(w.aggregateExact, true, 'the answer is the single-process answer');
  }
  assert.equal(report.audit.wrongAccepted, 0, 'no wrong result accepted');
  assert.equal(report.refused.LOGGED_ERRORS ?? 0, 0, 'the coordinator logged no internal error');
}

describe(
  'coordinated attacks in the simulator (small runs)',
  { timeout: 2 * TEST_TIMEOUT_MS },
  () => {
    test(
      '[Q6][R8] 20% timed colluders, 300 units: no wrong result accepted, no honest volunteer suspended',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const report = await runSimulation({
          mode: 'timed-colluders',
          volunteers: 20,
          bad: 0.2,
          units: 300,
          holdMs: 1_000,
          seed: 21,
          timeoutMs: 45_000,
        });
        console.log(`# simulator, timed colluders: ${JSON.stringify(report.ring)}`);
        assert.ok(report.ring!.lies > 0, 'the ring lied');
        assertSettled(report);
        assert.equal(report.hostile.honestSuspended, 0, 'no honest volunteer suspended');
        assert.equal(report.hostile.detected, report.hostile.total, 'every colluder caught');
      },
    );

    // E1 lets three distinct volunteers fail a unit (a kernel broken for everyone), so the ring
    // here is two saboteurs: fewer than that must not fail anything.
    test(
      '[E1][E2] 2 error saboteurs among 20 volunteers, 300 units: every workload completes exact, every saboteur suspended',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const report = await runSimulation({
          mode: 'error-saboteur',
          volunteers: 20,
          bad: 0.1,
          units: 300,
          seed: 22,
          timeoutMs: 45_000,
        });
        assert.equal(report.hostile.total, 2);
        assert.ok(report.crowd.errorsReported > 0, 'the saboteurs reported errors');
        assertSettled(report);
        assert.equal(report.unitsFailed, 0);
        assert.equal(report.hostile.suspended, report.hostile.total, 'every saboteur suspended');
      },
    );
  },
);
