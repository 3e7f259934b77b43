// The engine's rules against coordinated attacks and between researchers, run over every
// repository like the contract suite: arbitration of contested units [Q6], errors charged to
// volunteers [E1][E2], exact credit [C2], fair share between owners [S1]-[S3] and sub-range spot
// checks [R9].
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { estimatorFor, type Redundancy } from '@tessera/shared';
import { referenceWithBlocks } from '@tessera/shared/kinds/blockResults';
import { MontecarloKind } from '../../src/kinds/montecarlo/montecarloKind';
import { EngineDriver, piWorkload, type NewWorkload } from './engineDriver';
import type { StoreHarness } from './engineContract';

const pi = estimatorFor('pi');
const T0 = 1_800_000_000_000;
/** `units` pi units of `perUnit` samples (seed 5). */
const unitsWorkload = (units: number, redundancy: Partial<Redundancy> = {}, perUnit = 1024) =>
  piWorkload(units * perUnit, perUnit, redundancy, 5);

const truth = (w: NewWorkload, i: number) =>
  pi.runReference(pi.taskFor(w.spec, i)) as { hits: number; samples: number };

function req(volunteerId: string, now = T0) {
  return {
    volunteerId,
    connectionId: `conn-${volunteerId}`,
    netGroup: null,
    now,
    leaseDurationMs: 60_000,
    maxLeasesPerConnection: 8,
  };
}

export function engineRules(name: string, harness: StoreHarness): void {
  describe(`Engine rules: ${name}`, () => {
    let engine: EngineDriver;
    const volunteer = async (id: string) =>
      engine.createVolunteer({ id, secretHash: 'h', displayName: id, now: T0 });
    const submit = (replicaId: number, volunteerId: string, result: unknown, now = T0) =>
      engine.submitResult({ replicaId, volunteerId, result, elapsedMs: 1, now });

    before(async () => {
      engine = new EngineDriver(await harness.open(), { arbitration: true });
    });
    after(async () => {
      await engine.close();
      await harness.dispose();
    });

    test('[Q6] a contested unit is settled by the coordinator: the forger is caught at once', async () => {
      for (const v of ['q-h1', 'q-c1', 'q-c2']) await volunteer(v);
      const w = unitsWorkload(1);
      await engine.createWorkload(w, T0);
      const right = truth(w, 0);
      const h = (await engine.leaseReplica(req('q-h1')))!;
      const c = (await engine.leaseReplica(req('q-c1')))!;
      assert.equal((await submit(h.replicaId, 'q-h1', right)).kind, 'accepted');
      // The timed colluder answers wrong after the honest result is in...
      const out = await submit(c.replicaId, 'q-c1', { ...right, hits: right.hits + 1 });
      assert.equal(out.kind === 'accepted' && out.verdict, 'invalid');
      // ...and its partner never gets a replica to agree with: the unit is settled.
      assert.equal(await engine.leaseReplica(req('q-c2')), null);
      const done = (await engine.getWorkload(w.id))!;
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.aggregate, pi.fold(pi.emptyAggregate(), right));
      assert.equal((await engine.getVolunteer('q-h1'))!.creditMicro, 1024);
      const forger = (await engine.getVolunteer('q-c1'))!;
      assert.equal(forger.offenses, 1);
      assert.equal(forger.creditMicro, 0);
    });

    test('[Q1] agreeing results are compared as bytes: a validated unit is decoded once, to fold it', async () => {
      for (const v of ['b-1', 'b-2']) await volunteer(v);
      const w = unitsWorkload(1);
      await engine.createWorkload(w, T0);
      const decode = MontecarloKind.prototype.decode;
      let decoded = 0;
      MontecarloKind.prototype.decode = function (this: MontecarloKind, ...args) {
        decoded += 1;
        return decode.apply(this, args);
      };
      try {
        const a = (await engine.leaseReplica(req('b-1')))!;
        const b = (await engine.leaseReplica(req('b-2')))!;
        assert.equal((await submit(a.replicaId, 'b-1', truth(w, 0))).kind, 'accepted');
        assert.equal(decoded, 0, 'one vote is not compared with anything');
        const second = await submit(b.replicaId, 'b-2', truth(w, 0));
        assert.equal(second.kind === 'accepted' && second.verdict, 'valid');
        assert.equal(decoded, 1);
      } finally {
        MontecarloKind.prototype.decode = decode;
      }
      assert.deepEqual(
        (await engine.getWorkload(w.id))!.aggregate,
        pi.fold(pi.emptyAggregate(), truth(w, 0)),
      );
    });

    test('[Q6] when no vote matches the coordinator, its own result settles the unit', async () => {
      for (const v of ['q-l1', 'q-l2']) await volunteer(v);
      const w = unitsWorkload(1);
      await engine.createWorkload(w, T0);
      const right = truth(w, 0);
      const a = (await engine.leaseReplica(req('q-l1')))!;
      const b = (await engine.leaseReplica(req('q-l2')))!;
      await submit(a.replicaId, 'q-l1', { ...right, hits: right.hits + 1 });
      const out = await submit(b.replicaId, 'q-l2', { ...right, hits: right.hits + 2 });
      assert.equal(out.kind === 'accepted' && out.verdict, 'invalid');
      const done = (await engine.getWorkload(w.id))!;
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.aggregate, pi.fold(pi.emptyAggregate(), right));
      assert.equal((await engine.getVolunteer('q-l1'))!.offenses, 1);
      assert.equal((await engine.getVolunteer('q-l2'))!.offenses, 1);
    });

    test('[E1] a volunteer that errors on a unit is not sent it again, nor can it fail it alone', async () => {
      for (const v of ['e-sab', 'e-h1', 'e-h2']) await volunteer(v);
      const w = unitsWorkload(2, { maxErrors: 8 });
      await engine.createWorkload(w, T0);
      const first = (await engine.leaseReplica(req('e-sab')))!;
      await engine.reportError(first.replicaId, 'e-sab', 'boom', T0);
      const second = (await engine.leaseReplica(req('e-sab')))!;
      assert.notEqual(second.unitIndex, first.unitIndex, 'barred from the unit it errored on');
      await engine.reportError(second.replicaId, 'e-sab', 'boom', T0);
      assert.equal(await engine.leaseReplica(req('e-sab')), null, 'nothing left it may hold');
      assert.equal((await engine.getWorkload(w.id))!.status, 'running');
      for (const v of ['e-h1', 'e-h2']) {
        for (let i = 0; i < 2; i++) {
          const l = (await engine.leaseReplica(req(v)))!;
          await submit(l.replicaId, v, truth(w, l.unitIndex));
        }
      }
      assert.equal((await engine.getWorkload(w.id))!.status, 'completed');
    });

    test('[E1] a kernel that fails for every volunteer fails the workload with the reason', async () => {
      for (const v of ['k-1', 'k-2', 'k-3']) await volunteer(v);
      const w = unitsWorkload(1);
      await engine.createWorkload(w, T0);
      for (const v of ['k-1', 'k-2']) {
        const l = (await engine.leaseReplica(req(v)))!;
        await engine.reportError(l.replicaId, v, 'GPUValidationError: bad shader', T0);
        assert.equal((await engine.getWorkload(w.id))!.status, 'running');
      }
      const l = (await engine.leaseReplica(req('k-3')))!;
      await engine.reportError(l.replicaId, 'k-3', 'GPUValidationError: bad shader', T0);
      const failed = (await engine.getWorkload(w.id))!;
      assert.equal(failed.status, 'failed');
      assert.match(failed.failureReason!, /unit 0: replicas of 3 volunteers .*bad shader/);
    });

    test('[E2] a volunteer whose errors far outrun the crowd is throttled, then suspended', async () => {
      for (const v of ['e2-sab', 'e2-h1', 'e2-h2']) await volunteer(v);
      const at = T0 + 100_000;
      // A healthy crowd: 40 validated results.
      const crowd = unitsWorkload(20);
      await engine.createWorkload(crowd, at);
      for (let i = 0; i < 20; i++) {
        for (const v of ['e2-h1', 'e2-h2']) {
          const l = (await engine.leaseReplica(req(v, at)))!;
          await submit(l.replicaId, v, truth(crowd, l.unitIndex), at);
        }
      }
      // The crowd's error rate is read again past its reuse time: a tenth or so now.
      const late = at + 10_000;
      const w = unitsWorkload(40, { maxErrors: 50 });
      await engine.createWorkload(w, late);
      const fail = async () => {
        const l = (await engine.leaseReplica(req('e2-sab', late)))!;
        await engine.reportError(l.replicaId, 'e2-sab', 'nope', late);
      };
      for (let i = 0; i < 5; i++) await fail();
      // Throttled: one unit in flight at a time, where the connection could hold 8.
      assert.ok(await engine.leaseReplica(req('e2-sab', late)));
      assert.equal(await engine.leaseReplica(req('e2-sab', late)), null, 'throttled');
      await engine.releaseConnection('conn-e2-sab', late);
      for (let i = 0; i < 5; i++) await fail();
      await assert.rejects(engine.leaseReplica(req('e2-sab', late)), /no work until/);
      assert.equal((await engine.getWorkload(w.id))!.status, 'running', 'the workload stands');
      await engine.cancelWorkload(w.id, late);
    });

    test('[C2] credit is exact integer millionths; the leaderboard shows only validated volunteers', async () => {
      for (const v of ['c-a', 'c-b']) await volunteer(v);
      const w = unitsWorkload(3, {}, 1030);
      await engine.createWorkload(w, T0);
      for (let i = 0; i < 3; i++) {
        for (const v of ['c-a', 'c-b']) {
          const l = (await engine.leaseReplica(req(v)))!;
          await submit(l.replicaId, v, truth(w, l.unitIndex));
        }
      }
      const a = (await engine.getVolunteer('c-a'))!;
      assert.equal(a.creditMicro, 3 * 1030);
      assert.equal(a.credit, 0.00309);
      const board = await engine.leaderboard(100);
      assert.ok(board.every((e) => e.unitsValidated > 0 && e.credit > 0));
      const names = board.map((e) => e.volunteerId);
      assert.ok(names.includes('c-a') && !names.includes('q-c1') && !names.includes('k-1'));
    });

    test('[S1][S2][S3] leases follow shares between owners, then priority, then age', async () => {
      await volunteer('s-v');
      const light = await engine.addOwner('light', 1);
      const heavy = await engine.addOwner('heavy', 3);
      const a = unitsWorkload(40);
      const b = unitsWorkload(40);
      const urgent = unitsWorkload(40);
      await engine.createWorkload(a, T0, { owner: light, priority: 0 });
      await engine.createWorkload(b, T0 + 1, { owner: heavy, priority: 0 });
      await engine.createWorkload(urgent, T0 + 2, { owner: heavy, priority: 5 });
      const held = new Map<string, number>();
      for (let i = 0; i < 16; i++) {
        const l = (await engine.leaseReplica({ ...req('s-v'), connectionId: `s-${i}` }))!;
        held.set(l.workloadId, (held.get(l.workloadId) ?? 0) + 1);
      }
      // In flight per unit of share stays level: 4 for the light owner, 12 for the heavy one,
      // and the heavy owner's urgent workload takes all of them (S2) before its older one (S3).
      assert.equal(held.get(a.id), 4);
      assert.equal(held.get(urgent.id), 12);
      assert.equal(held.get(b.id) ?? 0, 0);
      for (const w of [a, b, urgent]) await engine.cancelWorkload(w.id, T0);
    });
    test('[R9] a lone result whose blocks were made up is caught by the spot check and recomputed', async () => {
      for (const v of ['b-liar', 'b-honest']) await volunteer(v);
      const w = unitsWorkload(1, { quorum: 1, maxReplicas: 4 });
      await engine.createWorkload(w, T0);
      const task = pi.taskFor(w.spec, 0);
      const right = referenceWithBlocks(pi, task) as { hits: number; blocks: PiBlock[] };
      // A fabricator: every block made up, the totals their sum (so V2 cannot tell).
      const blocks = right.blocks.map((b) => ({ ...b, hits: b.hits === 0 ? 1 : b.hits - 1 }));
      const forged = {
        hits: blocks.reduce((n, b) => n + b.hits, 0),
        samples: (task as { count: number }).count,
        blocks,
      };
      const lie = (await engine.leaseReplica(req('b-liar')))!;
      const out = await submit(lie.replicaId, 'b-liar', forged);
      // Settled at once; the spot check runs after that commit (when is not this test's to say).
      assert.equal(out.kind === 'accepted' && out.verdict, 'valid', 'quorum 1: settled at once');
      await engine.drainSpotChecks();
      const liar = (await engine.getVolunteer('b-liar'))!;
      assert.equal(liar.offenses, 1);
      assert.equal(liar.creditMicro, 0);
      const reopened = (await engine.getWorkload(w.id))!;
      assert.equal(reopened.status, 'running', 'the unit it settled is taken back');
      assert.equal(reopened.unitsValidated, 0);
      assert.deepEqual(reopened.aggregate, pi.emptyAggregate());
      // An honest result settles it; its check passes and the answer is the reference.
      const honest = (await engine.leaseReplica(req('b-honest')))!;
      assert.equal(honest.unitIndex, 0);
      const ok = await submit(honest.replicaId, 'b-honest', right);
      assert.equal(ok.kind === 'accepted' && ok.verdict, 'valid');
      await engine.drainSpotChecks();
      const done = (await engine.getWorkload(w.id))!;
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.aggregate, pi.fold(pi.emptyAggregate(), right));
      assert.equal((await engine.getVolunteer('b-honest'))!.offenses, 0);
      assert.equal((await engine.getVolunteer('b-honest'))!.creditMicro, 1024);
      const checks = engine.engine(T0).counters;
      assert.equal(checks.get('tessera_spot_checks_total', { outcome: 'failed' }), 1);
      assert.equal(checks.get('tessera_spot_checks_total', { outcome: 'passed' }), 1);
    });

    test('[R9][V2] totals that are not the sum of the blocks, or blocks that miss the unit, are refused', async () => {
      await volunteer('b-sloppy');
      const w = unitsWorkload(3, { quorum: 1, maxReplicas: 8 });
      await engine.createWorkload(w, T0);
      const right = referenceWithBlocks(pi, pi.taskFor(w.spec, 0)) as {
        hits: number;
        samples: number;
        blocks: PiBlock[];
      };
      const cases: Array<[unknown, RegExp]> = [
        [{ ...right, hits: right.hits + 1 }, /not the sum of the blocks/],
        [{ ...right, blocks: right.blocks.slice(1) }, /expected an array of 16 block results/],
        [
          { ...right, blocks: right.blocks.map((b, i) => (i === 15 ? { ...b, samples: 62 } : b)) },
          /blocks\.15: result covers 62 samples, the unit has 64/,
        ],
      ];
      for (const [result, message] of cases) {
        const lease = (await engine.leaseReplica({ ...req('b-sloppy'), pickDraw: 0 }))!;
        const out = await submit(lease.replicaId, 'b-sloppy', result);
        assert.equal(out.kind, 'refused');
        assert.ok(out.kind === 'refused' && out.code === 'INVALID_RESULT');
        assert.match(out.kind === 'refused' ? out.message : '', message);
      }
      await engine.cancelWorkload(w.id, T0);
    });
  });
}

type PiBlock = { hits: number; samples: number };
