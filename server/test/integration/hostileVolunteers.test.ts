// The hostile-volunteer simulator's correctness figures on small runs (issue 6): a real
// coordinator, real socket.io volunteers on loopback, a share of them lying, colluding, closing
// tabs, answering late or flooding; the store audited against the TypeScript reference after.
// The full-size figures come from `npm run simulate` (README "Trust under attack").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runSimulation, type SimulationReport } from '../../src/sim/hostileSimulation';

/**
 * Completed, every unit validated once, and (unless wrong results were let in on purpose) the
 * aggregate equal to one process computing them all.
 */
function assertSettled(report: SimulationReport, exact = true): void {
  const { audit } = report;
  assert.equal(report.timedOut, false, 'the run finished');
  for (const w of audit.workloads) {
    assert.equal(w.status, 'completed', `workload ${w.id}: ${w.failureReason}`);
    assert.equal(w.unitsValidated, w.unitsTotal);
    if (exact) assert.equal(w.aggregateExact, true, 'the answer is the single-process answer');
  }
  assert.equal(report.refused.LOGGED_ERRORS ?? 0, 0, 'the coordinator logged no internal error');
  assert.equal(report.refused.INTERNAL ?? 0, 0);
}

describe('hostile volunteers (simulator, small runs)', { timeout: 120_000 }, () => {
  // maxReplicas 10 here and in the full-size runs: with the platform's default of 4, a unit whose
  // first replicas all go to liars exhausts the cap and fails its workload ([Q4]); see README.
  test('[Q1][Q3][R5] 20% random liars, 300 units: no wrong result accepted, every liar caught', async () => {
    const report = await runSimulation({
      mode: 'random',
      volunteers: 30,
      bad: 0.2,
      units: 300,
      maxReplicas: 10,
      seed: 11,
    });
    assertSettled(report);
    assert.equal(report.audit.wrongAccepted, 0);
    assert.equal(report.hostile.total, 6);
    assert.equal(report.hostile.detected, report.hostile.total);
    assert.ok(report.audit.replicasByState.invalid! > 0, 'the liars did lie');
  });

  test('[R3][R4][R5] 10% colluders, 300 units: every colluder caught, wrong accepted within 1 in 1,000', async () => {
    const report = await runSimulation({
      mode: 'colluding',
      volunteers: 40,
      bad: 0.1,
      units: 300,
      maxReplicas: 10,
      seed: 12,
    });
    assertSettled(report);
    assert.equal(report.hostile.total, 4);
    assert.equal(report.hostile.detected, report.hostile.total, 'every colluder detected');
    // 1 in 1,000 of 300 units rounds down to none.
    assert.ok(report.audit.wrongAccepted <= Math.floor(report.audit.unitsValidated / 1_000));
  });

  // Colluders that forge only a shared share of units build streaks and can settle a unit
  // between two of them before either is caught: the figure for that is measured at full size
  // (README); what must hold on any run is that every one of them is caught.
  test('[R1][R3][R4] colluders that forge a shared 30% of units under adaptive replication are all caught', async () => {
    const report = await runSimulation({
      mode: 'colluding',
      volunteers: 20,
      bad: 0.1,
      units: 400,
      lieRate: 0.3,
      adaptive: true,
      maxReplicas: 10,
      seed: 13,
    });
    assertSettled(report, false);
    assert.equal(report.hostile.detected, report.hostile.total, 'every colluder detected');
  });

  test('[L5] 50% of volunteers closing tabs mid-unit: every workload completes, no unit lost', async () => {
    const report = await runSimulation({
      mode: 'flaky',
      volunteers: 20,
      bad: 0.5,
      units: 300,
      workloads: 3,
      closeRate: 0.3,
      seed: 14,
    });
    assertSettled(report);
    assert.equal(report.audit.workloads.length, 3);
    assert.ok(report.crowd.closed > 0, 'tabs were closed mid-unit');
    assert.equal(report.audit.replicasByState.timed_out, report.crowd.closed);
  });

  test('[L4] late answers past the deadline are refused; the workload completes exact', async () => {
    const report = await runSimulation({
      mode: 'slow',
      volunteers: 20,
      bad: 0.3,
      units: 300,
      // Slow volunteers take 0.5-1.25 lease durations: a third of their answers come too late.
      scheduler: { leaseDurationMs: 400, sweepIntervalMs: 50 },
      seed: 15,
    });
    assertSettled(report);
    assert.equal(report.audit.wrongAccepted, 0);
    assert.ok((report.refused.LEASE_EXPIRED ?? 0) > 0, 'some answers came too late');
  });

  test('[V1] a flood of duplicate, replayed, foreign and malformed events is refused, every one', async () => {
    const report = await runSimulation({
      mode: 'flood',
      volunteers: 12,
      bad: 0.25,
      units: 150,
      seed: 16,
    });
    assertSettled(report);
    assert.ok(report.crowd.flooded > 500);
    assert.equal(report.crowd.floodAnswers.OK ?? 0, 0, 'no hostile event was accepted');
    assert.equal(report.crowd.floodAnswers.INTERNAL ?? 0, 0);
    assert.ok((report.refused.NOT_LEASED ?? 0) > 0 && (report.refused.BAD_REQUEST ?? 0) > 0);
  });

  test('[R1][R2] adaptive replication, no bad volunteers: efficiency after warm-up above 0.7', async () => {
    // A lower bound than the full-size 0.85, for margin, not because small runs do much worse
    // (seeds 1-3 and 17 measure 0.88-0.92): this run's second half is only 200 units, so the
    // run-alone and spot-check draws swing it by several percent, and a loaded machine changes
    // which volunteer gets which unit and so how long each streak is when it matters.
    const report = await runSimulation({
      mode: 'random',
      volunteers: 10,
      bad: 0,
      units: 400,
      adaptive: true,
      seed: 17,
    });
    assertSettled(report);
    assert.equal(report.audit.wrongAccepted, 0);
    assert.ok(report.audit.loneUnits > 0, 'trusted volunteers ran units alone');
    assert.ok(
      report.efficiencyAfterWarmup > 0.7,
      `efficiency after warm-up ${report.efficiencyAfterWarmup}`,
    );
  });
});
