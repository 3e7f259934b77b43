// The engine's contract, written once and run over every repository implementation (SQLite
// today; PostgreSQL when it lands), through EngineDriver (engineDriver.ts): the engine's
// operations at chosen instants with chosen scheduling draws. Contested units are decided by
// vote here (arbitration off), so Q3/Q4 and the collusion rules are exercised; arbitration [Q6]
// has its own tests. Rule ids refer to server/SPEC.md.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { estimatorFor } from '@tessera/shared';
import type { TrustPolicy } from '../../src/scheduler/trustPolicy';
import { EngineDriver, piWorkload, type LeaseRequest, type NewWorkload } from './engineDriver';
import type { Repository } from '../../src/engine/repository';

export interface StoreHarness {
  open(): Promise<Repository>;
  /** Closes and reopens the same data (a coordinator restart). */
  reopen(repository: Repository): Promise<Repository>;
  dispose(): Promise<void>;
}

const pi = estimatorFor('pi');
const T0 = 1_700_000_000_000;
const LEASE = 1_000;
function req(volunteerId: string, now = T0, netGroup: string | null = null): LeaseRequest {
  return {
    volunteerId,
    connectionId: `conn-${volunteerId}`,
    netGroup,
    now,
    leaseDurationMs: LEASE,
    maxLeasesPerConnection: 4,
  };
}

function truth(workload: NewWorkload, unitIndex: number) {
  return pi.runReference(pi.taskFor(workload.spec, unitIndex)) as { hits: number; samples: number };
}

export function engineContract(name: string, harness: StoreHarness): void {
  describe(`Engine contract: ${name}`, () => {
    let store: EngineDriver;
    before(async () => {
      store = new EngineDriver(await harness.open());
      // x1-x3 lie in the tests that need a liar: a caught volunteer's unverified results are
      // recomputed [R4], so the honest ones must stay honest across tests.
      for (const v of ['va', 'vb', 'vc', 'vd', 'x1', 'x2', 'x3']) {
        await store.createVolunteer({ id: v, secretHash: 'h', displayName: v, now: T0 });
      }
    });
    after(async () => {
      await store.close();
      await harness.dispose();
    });

    test('a transaction whose write fails commits none of its writes and rejects', async () => {
      const w = await store.createWorkload(piWorkload(2048, 1024), T0);
      const before = (await store.repository.transaction(T0, (tx) => tx.volunteer('vd')))!;
      await assert.rejects(
        store.repository.transaction(T0, async (tx) => {
          await tx.updateVolunteer('vd', { creditMicro: before.creditMicro + 1_000_000 });
          // Refused by the table's CHECK constraint when the write reaches the database.
          await tx.updateUnit(w.id, 0, { state: 'bogus' as 'open' });
          return 'committed';
        }),
      );
      const after = (await store.repository.transaction(T0, (tx) => tx.volunteer('vd')))!;
      assert.equal(after.creditMicro, before.creditMicro);
      const unit = await store.repository.transaction(T0, (tx) => tx.unit(w.id, 0));
      assert.equal(unit!.state, 'open');
      await store.cancelWorkload(w.id, T0);
    });

    test('transactions asked for together: the one that fails commits nothing, the others all', async () => {
      const w = await store.createWorkload(piWorkload(2048, 1024), T0);
      const credit = async (id: string) =>
        (await store.repository.transaction(T0, (tx) => tx.volunteer(id)))!.creditMicro;
      const [vb, vc, vd] = [await credit('vb'), await credit('vc'), await credit('vd')];
      const outcomes = await Promise.allSettled([
        store.repository.transaction(T0, (tx) => tx.updateVolunteer('vd', { creditMicro: vd + 1 })),
        store.repository.transaction(T0, async (tx) => {
          await tx.updateVolunteer('vc', { creditMicro: vc + 2 });
          await tx.updateUnit(w.id, 1, { state: 'bogus' as 'open' });
        }),
        store.repository.transaction(T0, (tx) => tx.updateVolunteer('vb', { creditMicro: vb + 3 })),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.deepEqual(
        [await credit('vb'), await credit('vc'), await credit('vd')],
        [vb + 3, vc, vd + 1],
      );
      await store.cancelWorkload(w.id, T0);
    });

    test('[L1] a lease names a unit of the oldest active workload and starts it running', async () => {
      const w = await store.createWorkload(piWorkload(4096, 2048), T0);
      assert.equal(w.status, 'queued');
      assert.equal(w.unitsTotal, 2);
      const lease = await store.leaseReplica(req('va'));
      assert.ok(lease);
      assert.equal(lease.workloadId, w.id);
      assert.equal(lease.unitIndex, 0);
      assert.equal(lease.deadline, T0 + LEASE);
      assert.equal((await store.getWorkload(w.id))!.status, 'running');
      await store.cancelWorkload(w.id, T0);
    });

    test('[L5] after a restart every in-flight replica is released at once', async () => {
      const spec = piWorkload(2048, 1024);
      const w = await store.createWorkload(spec, T0);
      const a = (await store.leaseReplica(req('va')))!;
      const b = (await store.leaseReplica(req('vb')))!;
      // The process that granted them is gone; the one that starts on the same data frees them.
      store = new EngineDriver(await harness.reopen(store.repository));
      const out = await store.releaseAllConnections(T0 + 1);
      assert.equal(out.released, 2);
      for (const l of [a, b]) {
        const late = await store.submitResult({
          replicaId: l.replicaId,
          volunteerId: l.replicaId === a.replicaId ? 'va' : 'vb',
          result: truth(spec, l.unitIndex),
          elapsedMs: 1,
          now: T0 + 2,
        });
        assert.equal(late.kind === 'refused' && late.code, 'LEASE_EXPIRED');
      }
      assert.ok(await store.leaseReplica(req('vc', T0 + 2)), 'the units are leasable again');
      await store.cancelWorkload(w.id, T0);
    });

    test('[L2] replicas of one unit go to distinct volunteers and distinct public networks', async () => {
      const w = await store.createWorkload(piWorkload(2048, 2048), T0);
      const a = await store.leaseReplica(req('va'));
      assert.equal(a?.unitIndex, 0);
      assert.equal(await store.leaseReplica({ ...req('va'), connectionId: 'other-tab' }), null);
      const b = await store.leaseReplica(req('vb', T0, 'v4:203.0.113.1'));
      assert.equal(b?.unitIndex, 0);
      assert.equal(await store.leaseReplica(req('vc', T0, 'v4:203.0.113.1')), null, 'same network');
      await store.cancelWorkload(w.id, T0);
    });

    test('[L7] with a draw, a lease picks among the lowest leasable units at random', async () => {
      const w = piWorkload(16 * 1024, 1024);
      await store.createWorkload(w, T0);
      const last = await store.leaseReplica({ ...req('va'), pickDraw: 0.999 });
      assert.equal(last?.unitIndex, 7, 'the 8th of the 8 lowest');
      const first = await store.leaseReplica({ ...req('vb'), pickDraw: 0 });
      assert.equal(first?.unitIndex, 0);
      await store.cancelWorkload(w.id, T0);
    });

    test('[V1][Q1][A1] two agreeing results validate, fold once and complete the workload', async () => {
      const w = piWorkload(2048, 1024);
      await store.createWorkload(w, T0);
      for (let unit = 0; unit < 2; unit++) {
        const a = (await store.leaseReplica(req('va')))!;
        const b = (await store.leaseReplica(req('vb')))!;
        assert.equal(a.unitIndex, unit);
        assert.equal(b.unitIndex, unit);
        const result = truth(w, unit);
        const first = await store.submitResult({
          replicaId: a.replicaId,
          volunteerId: 'va',
          result,
          elapsedMs: 1,
          now: T0,
        });
        assert.equal(first.kind === 'accepted' && first.verdict, 'pending');
        const second = await store.submitResult({
          replicaId: b.replicaId,
          volunteerId: 'vb',
          result,
          elapsedMs: 1,
          now: T0,
        });
        assert.equal(second.kind === 'accepted' && second.verdict, 'valid');
        assert.deepEqual(second.kind === 'accepted' && second.credited.sort(), ['va', 'vb']);
        assert.equal(
          second.kind === 'accepted' && second.workloadEnded,
          unit === 1 ? 'completed' : null,
        );
        const replay = await store.submitResult({
          replicaId: b.replicaId,
          volunteerId: 'vb',
          result,
          elapsedMs: 1,
          now: T0,
        });
        assert.deepEqual(replay.kind === 'refused' && replay.code, 'NOT_LEASED');
      }
      const done = (await store.getWorkload(w.id))!;
      assert.equal(done.status, 'completed');
      const expected = [0, 1].reduce((agg, i) => pi.fold(agg, truth(w, i)), pi.emptyAggregate());
      assert.deepEqual(done.aggregate, expected);
    });

    test('[V1] a result for a replica leased to someone else is refused', async () => {
      const w = piWorkload(1024, 1024);
      await store.createWorkload(w, T0);
      const a = (await store.leaseReplica(req('va')))!;
      const stolen = await store.submitResult({
        replicaId: a.replicaId,
        volunteerId: 'vb',
        result: truth(w, 0),
        elapsedMs: 1,
        now: T0,
      });
      assert.deepEqual(stolen, {
        kind: 'refused',
        code: 'NOT_LEASED',
        message: 'this unit is not leased to you',
      });
      const unknown = await store.submitResult({
        replicaId: 999_999,
        volunteerId: 'va',
        result: truth(w, 0),
        elapsedMs: 1,
        now: T0,
      });
      assert.equal(unknown.kind, 'refused');
      await store.cancelWorkload(w.id, T0);
    });

    test('[V2] a malformed or impossible result is refused and judged invalid', async () => {
      const w = piWorkload(1024, 1024);
      await store.createWorkload(w, T0);
      const a = (await store.leaseReplica(req('x1')))!;
      const bad = await store.submitResult({
        replicaId: a.replicaId,
        volunteerId: 'x1',
        result: { hits: 2000, samples: 1024 },
        elapsedMs: 1,
        now: T0,
      });
      assert.equal(bad.kind === 'refused' && bad.code, 'INVALID_RESULT');
      assert.equal((await store.getVolunteer('x1'))!.consecutiveValid, 0);
      // The unit is open again for a fresh replica (the invalid one counted against the cap).
      const b = await store.leaseReplica(req('vb'));
      assert.equal(b?.unitIndex, 0);
      await store.cancelWorkload(w.id, T0);
    });

    test('[Q3] a disagreeing pair issues a third replica; the liar is outvoted', async () => {
      const w = piWorkload(1024, 1024);
      await store.createWorkload(w, T0);
      const right = truth(w, 0);
      const wrong = { ...right, hits: right.hits - 1 };
      const a = (await store.leaseReplica(req('va')))!;
      const b = (await store.leaseReplica(req('x2')))!;
      assert.equal(
        await store.leaseReplica(req('vc')),
        null,
        'two replicas are enough until they disagree',
      );
      await store.submitResult({
        replicaId: a.replicaId,
        volunteerId: 'va',
        result: right,
        elapsedMs: 1,
        now: T0,
      });
      const lie = await store.submitResult({
        replicaId: b.replicaId,
        volunteerId: 'x2',
        result: wrong,
        elapsedMs: 1,
        now: T0,
      });
      assert.equal(lie.kind === 'accepted' && lie.verdict, 'pending');
      const c = (await store.leaseReplica(req('vc')))!;
      assert.equal(c.unitIndex, 0);
      const decisive = await store.submitResult({
        replicaId: c.replicaId,
        volunteerId: 'vc',
        result: right,
        elapsedMs: 1,
        now: T0,
      });
      assert.equal(decisive.kind === 'accepted' && decisive.verdict, 'valid');
      const done = (await store.getWorkload(w.id))!;
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.aggregate, pi.fold(pi.emptyAggregate(), right));
      assert.equal((await store.getVolunteer('x2'))!.consecutiveValid, 0);
    });

    test('[Q4] a unit that cannot reach quorum fails the workload with a reason', async () => {
      const w = piWorkload(1024, 1024, { quorum: 2, maxReplicas: 2 });
      await store.createWorkload(w, T0);
      const right = truth(w, 0);
      const a = (await store.leaseReplica(req('va')))!;
      const b = (await store.leaseReplica(req('x3')))!;
      await store.submitResult({
        replicaId: a.replicaId,
        volunteerId: 'va',
        result: right,
        elapsedMs: 1,
        now: T0,
      });
      const out = await store.submitResult({
        replicaId: b.replicaId,
        volunteerId: 'x3',
        result: { ...right, hits: 0 },
        elapsedMs: 1,
        now: T0,
      });
      assert.equal(out.kind === 'accepted' && out.workloadEnded, 'failed');
      const failed = (await store.getWorkload(w.id))!;
      assert.equal(failed.status, 'failed');
      assert.match(failed.failureReason!, /^unit 0: no 2 agreeing results within 2 replicas/);
      assert.equal(failed.unitsFailed, 1);
    });

    test('[L4] an expired lease is timed out and the unit reissued; the late result is refused', async () => {
      const w = piWorkload(1024, 1024);
      await store.createWorkload(w, T0);
      const a = (await store.leaseReplica(req('va')))!;
      const b = (await store.leaseReplica(req('vb')))!;
      assert.equal((await store.expireLeases(T0 + LEASE)).released, 0, 'not before the deadline');
      assert.equal(
        await store.renewReplica(b.replicaId, 'vb', T0 + LEASE / 2, LEASE),
        T0 + LEASE / 2 + LEASE,
      );
      assert.equal(
        await store.renewReplica(b.replicaId, 'va', T0 + LEASE / 2, LEASE),
        null,
        'only the holder renews',
      );
      assert.equal(
        (await store.expireLeases(T0 + LEASE + 1)).released,
        1,
        'only the unrenewed one',
      );
      const late = await store.submitResult({
        replicaId: a.replicaId,
        volunteerId: 'va',
        result: truth(w, 0),
        elapsedMs: 1,
        now: T0 + LEASE + 2,
      });
      assert.equal(late.kind === 'refused' && late.code, 'LEASE_EXPIRED');
      assert.equal(await store.renewReplica(a.replicaId, 'va', T0 + LEASE + 2, LEASE), null);
      const c = await store.leaseReplica(req('vc', T0 + LEASE + 2));
      assert.equal(c?.unitIndex, 0);
      await store.cancelWorkload(w.id, T0);
    });

    test("[L5] a disconnect times out that connection's replicas at once", async () => {
      const w = piWorkload(1024, 1024);
      await store.createWorkload(w, T0);
      await store.leaseReplica(req('va'));
      assert.equal((await store.releaseConnection('conn-va', T0)).released, 1);
      assert.equal((await store.getWorkload(w.id))!.unitsInFlight, 0);
      const again = await store.leaseReplica(req('va'));
      assert.equal(
        again?.unitIndex,
        0,
        'a timed-out replica does not bar its volunteer from the unit',
      );
      await store.cancelWorkload(w.id, T0);
    });

    test('[L4][E1] a unit whose replicas time out for maxErrors + 1 distinct volunteers fails', async () => {
      const w = piWorkload(1024, 1024, { maxErrors: 1 });
      await store.createWorkload(w, T0);
      await store.leaseReplica(req('va'));
      await store.releaseConnection('conn-va', T0);
      await store.leaseReplica(req('va'));
      const again = await store.releaseConnection('conn-va', T0);
      assert.deepEqual(again.failedWorkloads, [], 'one volunteer alone never fails a unit');
      await store.leaseReplica(req('vb'));
      const out = await store.releaseConnection('conn-vb', T0);
      assert.deepEqual(out.failedWorkloads, [w.id]);
      const failed = (await store.getWorkload(w.id))!;
      assert.equal(failed.status, 'failed');
      assert.match(
        failed.failureReason!,
        /replicas of 2 volunteers timed out or errored \(maxErrors 1\)/,
      );
    });

    test('cancelling stops leasing and refuses in-flight results', async () => {
      const w = piWorkload(1024, 1024);
      await store.createWorkload(w, T0);
      const a = (await store.leaseReplica(req('va')))!;
      const cancelled = (await store.cancelWorkload(w.id, T0))!;
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(await store.leaseReplica(req('vb')), null);
      const out = await store.submitResult({
        replicaId: a.replicaId,
        volunteerId: 'va',
        result: truth(w, 0),
        elapsedMs: 1,
        now: T0,
      });
      assert.equal(out.kind === 'refused' && out.code, 'LEASE_EXPIRED');
      assert.equal(await store.cancelWorkload('no-such-workload', T0), null);
    });

    test('[A1] state survives a restart: leases, results and the aggregate', async () => {
      const w = piWorkload(1024, 1024);
      await store.createWorkload(w, T0);
      const a = (await store.leaseReplica(req('va')))!;
      const b = (await store.leaseReplica(req('vb')))!;
      await store.submitResult({
        replicaId: a.replicaId,
        volunteerId: 'va',
        result: truth(w, 0),
        elapsedMs: 1,
        now: T0,
      });
      store = new EngineDriver(await harness.reopen(store.repository));
      const out = await store.submitResult({
        replicaId: b.replicaId,
        volunteerId: 'vb',
        result: truth(w, 0),
        elapsedMs: 1,
        now: T0,
      });
      assert.equal(out.kind === 'accepted' && out.workloadEnded, 'completed');
      assert.deepEqual(
        (await store.getWorkload(w.id))!.aggregate,
        pi.fold(pi.emptyAggregate(), truth(w, 0)),
      );
    });

    test("[Q1] a canonical result is its deciding replica's bytes, read back after a restart", async () => {
      const w = piWorkload(1024, 1024);
      await store.createWorkload(w, T0);
      const a = (await store.leaseReplica(req('va')))!;
      const b = (await store.leaseReplica(req('vb')))!;
      for (const [replica, volunteerId] of [
        [a, 'va'],
        [b, 'vb'],
      ] as const) {
        await store.submitResult({
          replicaId: replica.replicaId,
          volunteerId,
          result: truth(w, 0),
          elapsedMs: 1,
          now: T0,
        });
      }
      store = new EngineDriver(await harness.reopen(store.repository));
      const { unit, replicas } = await store.repository.transaction(T0, async (tx) => ({
        unit: (await tx.unit(w.id, 0))!,
        replicas: await tx.replicasOfUnit(w.id, 0),
      }));
      assert.equal(unit.state, 'validated');
      const source = replicas.find((r) => r.id === unit.canonicalReplica);
      assert.ok(source, `canonical from replica ${unit.canonicalReplica}`);
      assert.ok(unit.canonical && source.result);
      assert.deepEqual(Buffer.from(unit.canonical), Buffer.from(source.result));
    });

    test('counts report workloads, replicas and recent throughput', async () => {
      const counts = await store.counts(T0 + 10, 60_000);
      assert.ok(counts.workloadsByStatus.completed >= 2);
      assert.ok(counts.replicasByState.valid >= 4);
      assert.ok(counts.recent.units >= 2);
      assert.equal(counts.volunteersTotal, 7);
    });

    describe('adaptive replication and reputation', () => {
      const TRUST: TrustPolicy = {
        trustAfter: 2,
        spotCheckRate: 0.5,
        establishedAfter: 2,
        offenseLimit: 2,
        suspensionMs: 1_000,
      };
      const lease = (volunteerId: string, draw: number) =>
        store.leaseReplica({ ...req(volunteerId), trust: TRUST, draw });
      const submit = (replicaId: number, volunteerId: string, result: unknown) =>
        store.submitResult({ replicaId, volunteerId, result, elapsedMs: 1, now: T0, trust: TRUST });

      before(async () => {
        for (const v of ['r-old', 'r-new', 'r-help', 'r-other']) {
          await store.createVolunteer({ id: v, secretHash: 'h', displayName: v, now: T0 });
        }
        // r-old and r-help earn a streak of 2 on a workload that needs one result per unit.
        const warm = piWorkload(4096, 1024, { quorum: 1, maxReplicas: 2, adaptive: false });
        await store.createWorkload(warm, T0);
        for (const v of ['r-old', 'r-old', 'r-help', 'r-help']) {
          const l = (await lease(v, 0))!;
          await submit(l.replicaId, v, truth(warm, l.unitIndex));
        }
        assert.equal((await store.getVolunteer('r-old'))!.consecutiveValid, 2);
      });

      test('[R1] a trusted volunteer runs a fresh unit alone; its result settles the unit', async () => {
        const w = piWorkload(1024, 1024, { adaptive: true });
        await store.createWorkload(w, T0);
        const alone = (await lease('r-old', 0))!;
        assert.equal(await lease('r-new', 0), null, 'nobody else is sent a lone unit');
        const out = await submit(alone.replicaId, 'r-old', truth(w, 0));
        assert.equal(out.kind === 'accepted' && out.workloadEnded, 'completed');
      });

      test('[R1] a new volunteer is always replicated', async () => {
        const w = piWorkload(1024, 1024, { adaptive: true });
        await store.createWorkload(w, T0);
        assert.equal((await lease('r-new', 0))?.unitIndex, 0);
        assert.equal((await lease('r-other', 0))?.unitIndex, 0, 'a second replica goes out');
        await store.cancelWorkload(w.id, T0);
      });

      test("[R2] a spot check replicates a trusted volunteer's unit anyway", async () => {
        const w = piWorkload(1024, 1024, { adaptive: true });
        await store.createWorkload(w, T0);
        assert.equal((await lease('r-old', 0.99))?.unitIndex, 0);
        assert.equal((await lease('r-new', 0))?.unitIndex, 0);
        await store.cancelWorkload(w.id, T0);
      });

      test('[R2] a lone replica that times out sends the unit back to full replication', async () => {
        const w = piWorkload(1024, 1024, { adaptive: true });
        await store.createWorkload(w, T0);
        await lease('r-old', 0);
        await store.releaseConnection('conn-r-old', T0);
        assert.equal((await lease('r-new', 0))?.unitIndex, 0);
        assert.equal((await lease('r-other', 0))?.unitIndex, 0);
        await store.cancelWorkload(w.id, T0);
      });

      test("[R4][R5] a caught volunteer's lone results are taken back out and recomputed; it is suspended", async () => {
        // r-old gets a lone unit and lies: nobody can tell yet.
        const lied = piWorkload(1024, 1024, { adaptive: true });
        await store.createWorkload(lied, T0);
        const right = truth(lied, 0);
        const l = (await lease('r-old', 0))!;
        await submit(l.replicaId, 'r-old', { ...right, hits: right.hits - 1 });
        assert.equal((await store.getWorkload(lied.id))!.status, 'completed');
        const creditBefore = (await store.getVolunteer('r-old'))!.credit;
        // Then it lies on a replicated unit and is outvoted.
        const trap = piWorkload(1024, 1024, { adaptive: true });
        await store.createWorkload(trap, T0);
        const t = truth(trap, 0);
        const a = (await lease('r-old', 0.99))!;
        const b = (await lease('r-help', 0.99))!;
        await submit(a.replicaId, 'r-old', { ...t, hits: t.hits - 1 });
        await submit(b.replicaId, 'r-help', t);
        const c = (await lease('r-new', 0.99))!;
        const out = await submit(c.replicaId, 'r-new', t);
        // Everything r-old settled without verification comes back: the warm-up units (one
        // result each), its honest lone unit and the lie.
        assert.ok(out.kind === 'accepted' && out.reopened.includes(lied.id));
        const reopened = (await store.getWorkload(lied.id))!;
        assert.equal(reopened.status, 'running');
        assert.equal(reopened.unitsValidated, 0);
        assert.deepEqual(reopened.aggregate, pi.emptyAggregate());
        const caught = (await store.getVolunteer('r-old'))!;
        assert.ok(caught.credit < creditBefore, 'credit for the unverified units is withdrawn');
        assert.equal(caught.consecutiveValid, 0);
        assert.equal(caught.offenses, 1);
        assert.equal(caught.suspendedUntil, null);
        // Recomputed by others, the right answers replace the lie.
        for (let idle = 0; idle < 2;) {
          idle = 0;
          for (const volunteer of ['r-help', 'r-new']) {
            const next = await lease(volunteer, 0.99);
            if (!next) {
              idle += 1;
              continue;
            }
            const spec = (await store.getWorkload(next.workloadId))!.spec;
            await submit(
              next.replicaId,
              volunteer,
              pi.runReference(pi.taskFor(spec, next.unitIndex)),
            );
          }
        }
        const fixed = (await store.getWorkload(lied.id))!;
        assert.equal(fixed.status, 'completed');
        assert.deepEqual(fixed.aggregate, pi.fold(pi.emptyAggregate(), right));
        // A second offense reaches the limit: suspended.
        const again = piWorkload(1024, 1024, { adaptive: true });
        await store.createWorkload(again, T0);
        const z = (await lease('r-old', 0.99))!;
        await submit(z.replicaId, 'r-old', { hits: 5000, samples: 1024 });
        const suspended = (await store.getVolunteer('r-old'))!;
        assert.equal(suspended.offenses, 2);
        assert.equal(suspended.suspendedUntil, T0 + TRUST.suspensionMs);
        await store.cancelWorkload(again.id, T0);
      });

      test('[R4] when a colluding pair is caught, the honest replica they outvoted counts again', async () => {
        for (const v of ['k-h1', 'k-c1', 'k-c2', 'k-h2', 'k-h3']) {
          await store.createVolunteer({ id: v, secretHash: 'h', displayName: v, now: T0 });
        }
        const w = piWorkload(1024, 1024);
        await store.createWorkload(w, T0);
        const right = truth(w, 0);
        const forged = { ...right, hits: right.hits + 3 };
        const h1 = (await lease('k-h1', 0.99))!;
        const c1 = (await lease('k-c1', 0.99))!;
        await submit(h1.replicaId, 'k-h1', right);
        await submit(c1.replicaId, 'k-c1', forged);
        const c2 = (await lease('k-c2', 0.99))!;
        await submit(c2.replicaId, 'k-c2', forged);
        assert.equal((await store.getWorkload(w.id))!.status, 'completed', 'the forgery won 2-1');
        assert.equal((await store.getVolunteer('k-h1'))!.offenses, 1);
        // k-c1 is caught on a trap unit while it holds another unit.
        const trap = piWorkload(1024, 1024);
        await store.createWorkload(trap, T0);
        const held = piWorkload(1024, 1024);
        await store.createWorkload(held, T0);
        const t = truth(trap, 0);
        const a = (await lease('k-c1', 0.99))!;
        const pending = (await lease('k-c1', 0.99))!;
        const b = (await lease('k-h2', 0.99))!;
        assert.equal(a.workloadId, trap.id);
        assert.equal(pending.workloadId, held.id);
        await submit(a.replicaId, 'k-c1', { ...t, hits: t.hits + 1 });
        await submit(b.replicaId, 'k-h2', t);
        const c = (await lease('k-h3', 0.99))!;
        const out = await submit(c.replicaId, 'k-h3', t);
        assert.ok(out.kind === 'accepted' && out.reopened.includes(w.id));
        assert.equal((await store.getVolunteer('k-h1'))!.offenses, 0, 'the offense is withdrawn');
        const late = await submit(pending.replicaId, 'k-c1', truth(held, 0));
        assert.equal(
          late.kind === 'refused' && late.code,
          'LEASE_EXPIRED',
          'its work in flight was taken back',
        );
        // k-h1's vote stands; one more honest replica settles the unit on the right answer.
        const d = (await lease('k-h2', 0.99))!;
        assert.equal(d.workloadId, w.id);
        await submit(d.replicaId, 'k-h2', right);
        const fixed = (await store.getWorkload(w.id))!;
        assert.equal(fixed.status, 'completed');
        assert.deepEqual(fixed.aggregate, pi.fold(pi.emptyAggregate(), right));
        await store.cancelWorkload(held.id, T0);
      });

      test('[R8] an exonerated volunteer is unsuspended and what its false catch withdrew counts again', async () => {
        const strict: TrustPolicy = { ...TRUST, offenseLimit: 1 };
        const take = (v: string) => store.leaseReplica({ ...req(v), trust: strict, draw: 0.99 });
        const give = (replicaId: number, volunteerId: string, result: unknown) =>
          store.submitResult({
            replicaId,
            volunteerId,
            result,
            elapsedMs: 1,
            now: T0,
            trust: strict,
          });
        for (const v of ['e-h1', 'e-h2', 'e-h3', 'e-h4', 'e-c1', 'e-c2']) {
          await store.createVolunteer({ id: v, secretHash: 'h', displayName: v, now: T0 });
        }
        // e-h1 and e-h4 settle w0 honestly, unverified (neither is established yet).
        const w0 = piWorkload(1024, 1024);
        await store.createWorkload(w0, T0);
        const right0 = truth(w0, 0);
        for (const v of ['e-h1', 'e-h4']) await give((await take(v))!.replicaId, v, right0);
        assert.equal((await store.getWorkload(w0.id))!.status, 'completed');
        // Two colluders outvote e-h1 on w; its vote on w2 stands when it is (falsely) caught.
        const w = piWorkload(1024, 1024);
        const w2 = piWorkload(1024, 1024);
        await store.createWorkload(w, T0);
        await store.createWorkload(w2, T0);
        const [right, right2] = [truth(w, 0), truth(w2, 0)];
        const forged = { ...right, hits: right.hits + 3 };
        const h1w = (await take('e-h1'))!;
        const h1w2 = (await take('e-h1'))!;
        const c1w = (await take('e-c1'))!;
        const c1w2 = (await take('e-c1'))!;
        assert.deepEqual([h1w.workloadId, h1w2.workloadId], [w.id, w2.id]);
        assert.deepEqual([c1w.workloadId, c1w2.workloadId], [w.id, w2.id]);
        await give(h1w.replicaId, 'e-h1', right);
        await give(h1w2.replicaId, 'e-h1', right2);
        await give(c1w.replicaId, 'e-c1', forged);
        await give(c1w2.replicaId, 'e-c1', { ...right2, hits: right2.hits + 3 });
        const c2w = (await take('e-c2'))!;
        assert.equal(c2w.workloadId, w.id);
        await give(c2w.replicaId, 'e-c2', forged);
        const caught = (await store.getVolunteer('e-h1'))!;
        assert.equal(caught.offenses, 1, 'outvoted 2-1 by the colluders');
        assert.ok(caught.suspendedUntil !== null && caught.suspendedUntil > T0, 'suspended');
        assert.equal(caught.creditMicro, 0, 'its unverified w0 credit is withdrawn exactly');
        assert.equal((await store.getWorkload(w0.id))!.status, 'running', 'w0 is taken back');
        // e-c1 is caught on w0: e-h4's standing vote and e-h2 outvote its forgery.
        const c1w0 = (await take('e-c1'))!;
        assert.equal(c1w0.workloadId, w0.id);
        await give(c1w0.replicaId, 'e-c1', { ...right0, hits: right0.hits + 1 });
        const h2w0 = (await take('e-h2'))!;
        assert.equal(h2w0.workloadId, w0.id);
        await give(h2w0.replicaId, 'e-h2', right0);
        const cleared = (await store.getVolunteer('e-h1'))!;
        assert.equal(cleared.offenses, 0, 'the offense is withdrawn');
        assert.equal(cleared.suspendedUntil, null, 'suspension follows exoneration');
        assert.equal(
          cleared.creditMicro,
          1024,
          'its w0 result counts again, credited exactly once',
        );
        assert.equal((await store.getVolunteer('e-c1'))!.creditMicro, 0);
        // w and w2 are decided anew from e-h1's returned votes plus one honest replica each.
        const h2w = (await take('e-h2'))!;
        assert.equal(h2w.workloadId, w.id);
        await give(h2w.replicaId, 'e-h2', right);
        const h3w2 = (await take('e-h3'))!;
        assert.equal(h3w2.workloadId, w2.id);
        await give(h3w2.replicaId, 'e-h3', right2);
        for (const [id, r] of [
          [w.id, right],
          [w2.id, right2],
          [w0.id, right0],
        ] as const) {
          const done = (await store.getWorkload(id))!;
          assert.equal(done.status, 'completed', id);
          assert.deepEqual(done.aggregate, pi.fold(pi.emptyAggregate(), r));
        }
        assert.equal((await store.getVolunteer('e-c2'))!.creditMicro, 0, 'e-c2 is caught too');
        assert.equal((await store.getVolunteer('e-c2'))!.offenses, 1);
      });

      test('[R4] a volunteer caught on a unit stays caught when the unit is taken back again', async () => {
        for (const v of ['z-q1', 'z-q2', 'z-q3', 'z-h1', 'z-h2', 'z-h3']) {
          await store.createVolunteer({ id: v, secretHash: 'h', displayName: v, now: T0 });
        }
        /** Catches `liar` on a fresh one-unit workload: it lies, two honest volunteers agree. */
        const catchOnTrap = async (liar: string, honest: [string, string]) => {
          const trap = piWorkload(1024, 1024);
          await store.createWorkload(trap, T0);
          const t = truth(trap, 0);
          const x = (await lease(liar, 0.99))!;
          const y = (await lease(honest[0], 0.99))!;
          assert.equal(x.workloadId, trap.id);
          assert.equal(y.workloadId, trap.id);
          await submit(x.replicaId, liar, { ...t, hits: t.hits + 1 });
          await submit(y.replicaId, honest[0], t);
          const z = (await lease(honest[1], 0.99))!;
          assert.equal(z.workloadId, trap.id);
          return submit(z.replicaId, honest[1], t);
        };
        const w = piWorkload(1024, 1024);
        await store.createWorkload(w, T0);
        const right = truth(w, 0);
        const forged = { ...right, hits: right.hits + 3 };
        // Two colluders settle the unit on a forgery (unverified: neither is established).
        const a = (await lease('z-q1', 0.99))!;
        const b = (await lease('z-q2', 0.99))!;
        await submit(a.replicaId, 'z-q1', forged);
        await submit(b.replicaId, 'z-q2', forged);
        assert.equal((await store.getWorkload(w.id))!.status, 'completed');
        // z-q1 is caught: the unit reopens with z-q2's vote, and a third colluder settles it again.
        const first = await catchOnTrap('z-q1', ['z-h1', 'z-h2']);
        assert.ok(first.kind === 'accepted' && first.reopened.includes(w.id));
        const c = (await lease('z-q3', 0.99))!;
        assert.equal(c.workloadId, w.id);
        await submit(c.replicaId, 'z-q3', forged);
        assert.equal((await store.getWorkload(w.id))!.status, 'completed');
        // z-q3 is caught: the unit reopens again. z-q1's withdrawn result must not come back as a
        // vote (it would settle the forgery with z-q2 at once) nor its offense be withdrawn.
        const second = await catchOnTrap('z-q3', ['z-h2', 'z-h3']);
        assert.ok(second.kind === 'accepted' && second.reopened.includes(w.id));
        assert.equal(
          (await store.getWorkload(w.id))!.status,
          'running',
          'the unit waits for votes',
        );
        assert.equal((await store.getVolunteer('z-q1'))!.offenses, 1, 'z-q1 stays caught');
        // Two honest replicas outvote z-q2's forgery; the answer is the right one.
        for (const v of ['z-h1', 'z-h3']) {
          const r = (await lease(v, 0.99))!;
          assert.equal(r.workloadId, w.id);
          await submit(r.replicaId, v, right);
        }
        const fixed = (await store.getWorkload(w.id))!;
        assert.equal(fixed.status, 'completed');
        assert.deepEqual(fixed.aggregate, pi.fold(pi.emptyAggregate(), right));
      });

      test('[L4] a result past its deadline is refused even before the sweep has run', async () => {
        const w = piWorkload(1024, 1024);
        await store.createWorkload(w, T0);
        const l = (await lease('r-new', 0.99))!;
        const late = await store.submitResult({
          replicaId: l.replicaId,
          volunteerId: 'r-new',
          result: truth(w, 0),
          elapsedMs: 1,
          now: l.deadline + 1,
        });
        assert.equal(late.kind === 'refused' && late.code, 'LEASE_EXPIRED');
        await store.cancelWorkload(w.id, T0);
      });

      test('[R3] an agreement that includes an established volunteer stays when the other is caught', async () => {
        const w = piWorkload(1024, 1024, { adaptive: true });
        await store.createWorkload(w, T0);
        const a = (await lease('r-other', 0.99))!;
        const b = (await lease('r-help', 0.99))!;
        await submit(a.replicaId, 'r-other', truth(w, 0));
        await submit(b.replicaId, 'r-help', truth(w, 0));
        assert.equal((await store.getWorkload(w.id))!.status, 'completed');
        const trap = piWorkload(1024, 1024, { adaptive: true });
        await store.createWorkload(trap, T0);
        const t = truth(trap, 0);
        const c = (await lease('r-other', 0.99))!;
        const d = (await lease('r-help', 0.99))!;
        await submit(c.replicaId, 'r-other', { ...t, hits: 1 });
        await submit(d.replicaId, 'r-help', t);
        const e = (await lease('r-new', 0.99))!;
        const out = await submit(e.replicaId, 'r-new', t);
        assert.deepEqual(out.kind === 'accepted' && out.reopened, []);
        assert.equal((await store.getWorkload(w.id))!.status, 'completed');
      });
    });

    test('the leaderboard ranks volunteers by validated credit, most first, within the limit', async () => {
      await store.createVolunteer({ id: 'lb-more', secretHash: 'h', displayName: 'More', now: T0 });
      await store.createVolunteer({ id: 'lb-less', secretHash: 'h', displayName: 'Less', now: T0 });
      await store.createVolunteer({ id: 'lb-none', secretHash: 'h', displayName: 'None', now: T0 });
      const w = piWorkload(3072, 1024, { quorum: 1, maxReplicas: 2 });
      await store.createWorkload(w, T0);
      for (const volunteer of ['lb-more', 'lb-more', 'lb-less']) {
        const lease = (await store.leaseReplica(req(volunteer)))!;
        const out = await store.submitResult({
          replicaId: lease.replicaId,
          volunteerId: volunteer,
          result: truth(w, lease.unitIndex),
          elapsedMs: 1,
          now: T0,
        });
        assert.equal(out.kind === 'accepted' && out.verdict, 'valid');
      }
      const board = await store.leaderboard(100);
      for (const entry of board) {
        const record = (await store.getVolunteer(entry.volunteerId))!;
        assert.deepEqual(entry, {
          volunteerId: record.id,
          displayName: record.displayName,
          credit: record.credit,
          unitsValidated: record.unitsValid,
        });
        assert.ok(entry.credit > 0, 'only validated credit earns a place');
      }
      board.slice(1).forEach((entry, i) => assert.ok(board[i]!.credit >= entry.credit));
      const names = board.map((e) => e.volunteerId);
      assert.ok(
        names.indexOf('lb-more') >= 0 && names.indexOf('lb-more') < names.indexOf('lb-less'),
      );
      assert.ok(!names.includes('lb-none'));
      assert.deepEqual(await store.leaderboard(2), board.slice(0, 2));
      assert.deepEqual(await store.leaderboard(0), []);
    });
  });
}
