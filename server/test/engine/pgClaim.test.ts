// [L6][L7][L9][R1] PostgreSQL leases in one statement (PgTx.claimUnits, pgQueries.ts
// claimSql): for every claim it must take exactly what the engine's own plan (leaseClaim.ts
// planClaim over leasableUnits) takes from the same units: the same units in the same order, the
// same deadlines and run-alone choices. Hundreds of seeded random claims against a workload
// whose units are in every state a lease meets: two rounds, partition keys, units in flight,
// answered, barred for the asking volunteer or its network, of different sizes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_REDUNDANCY } from '@tessera/shared';
import { planClaim, type LeaseClaim } from '../../src/engine/leaseClaim';
import type { PgRepository } from '../../src/repository/postgres/pgRepository';
import { mulberry32 } from '../../src/sim/seededRandom';
import { dropSchema, openPg, testSchema } from '../support/postgres';

const T0 = 1_900_000_000_000;
const WORKLOAD = 'w-claim';
const KEYS = ['k-a', 'k-b', 'k-c', 'k-d'];
const VOLUNTEERS = [
  { id: 'v-1', net: null },
  { id: 'v-2', net: null },
  { id: 'v-3', net: '203.0.113.0' },
  { id: 'v-4', net: '203.0.113.0' },
  { id: 'v-5', net: '198.51.100.0' },
];

class Rollback extends Error {
  constructor(readonly value: unknown) {
    super('rollback');
  }
}

function randomClaim(random: () => number, who: (typeof VOLUNTEERS)[number], now: number) {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const wanted = int(1, 12);
  const choices = int(1, 8);
  const draws = (n: number) => Array.from({ length: n }, () => random());
  const held = KEYS.filter(() => random() < 0.5);
  const locality = random() < 0.5;
  const claim: LeaseClaim = {
    workloadId: WORKLOAD,
    volunteerId: who.id,
    connectionId: `c-${who.id}`,
    netGroup: who.net,
    limit: wanted + choices - 1,
    preferKeys: locality ? held : [],
    choices,
    pickDraws: draws(wanted),
    rate: random() < 0.3 ? null : 0.5 + random() * 200,
    leaseWorkSeconds: int(1, 60),
    localityKeys: locality ? held : null,
    runAlone: random() < 0.5 ? { draws: draws(wanted), below: random() } : null,
    leasedAt: now,
    leaseDurationMs: 60_000,
  };
  return claim;
}

describe('PostgreSQL leases in one statement', () => {
  const schema = testSchema('claim');
  let repository: PgRepository;

  before(async () => {
    repository = await openPg(schema);
    await repository.transaction(T0, async (tx) => {
      for (const v of VOLUNTEERS) {
        await tx.insertVolunteer({ id: v.id, secretHash: 'h', displayName: v.id });
      }
      await tx.insertWorkload({
        id: WORKLOAD,
        name: 'claims',
        kind: 'montecarlo',
        estimator: 'pi',
        spec: {},
        redundancy: { ...DEFAULT_REDUNDANCY, quorum: 3, maxReplicas: 12 },
        status: 'queued',
        unitsTotal: 160,
        unitsValidated: 0,
        unitsFailed: 0,
        aggregate: null,
        failureReason: null,
        owner: null,
        priority: 0,
        createdAt: T0,
      });
      // Two rounds; sizes vary (the batch is sized by the first pick's work); four partitions.
      const units = Array.from({ length: 160 }, (_, idx) => ({
        idx,
        work: idx % 7 === 0 ? 250 : 1_000 + (idx % 3) * 500,
        round: idx < 100 ? 0 : 1,
        leaseKey: KEYS[idx % KEYS.length]!,
      }));
      await tx.insertUnits(WORKLOAD, units, 3);
    });
  });

  after(async () => {
    await repository.close();
    await dropSchema(schema);
  });

  test('[L6][L7][L9][R1] every claim takes what planClaim takes from the same units', async () => {
    const random = mulberry32(20261206); // seeded, so a failure replays
    let claims = 0;
    let leased = 0;
    let alone = 0;
    let localityCut = 0;
    for (let n = 0; n < 300; n++) {
      const now = T0 + n * 1_000;
      const who = VOLUNTEERS[Math.floor(random() * VOLUNTEERS.length)]!;
      const claim = randomClaim(random, who, now);
      let expected: ReturnType<typeof planClaim> = [];
      await assert.rejects(
        repository.transaction(now, async (tx) => {
          const candidates = await tx.leasableUnits({
            workloadId: claim.workloadId,
            volunteerId: claim.volunteerId,
            netGroup: claim.netGroup,
            limit: claim.limit,
            preferKeys: claim.preferKeys,
          });
          throw new Rollback(planClaim(candidates, claim));
        }),
        (error: unknown) => {
          expected = (error as Rollback).value as typeof expected;
          return error instanceof Rollback;
        },
      );
      const claimed = await repository.transaction(now, (tx) => tx.claimUnits!(claim));
      assert.deepEqual(
        claimed.map((c) => ({
          idx: c.unit.idx,
          deadline: c.deadline,
          quorum: c.unit.quorum,
          wanted: c.unit.wanted,
          inFlight: c.unit.inFlight,
        })),
        expected.map((p) => ({
          idx: p.unit.idx,
          deadline: p.deadline,
          quorum: p.alone ? 1 : p.unit.quorum,
          wanted: p.alone ? 1 : p.unit.wanted,
          inFlight: p.unit.inFlight + 1,
        })),
        `claim ${n}: ${JSON.stringify(claim)}`,
      );
      claims += 1;
      leased += claimed.length;
      alone += expected.filter((p) => p.alone).length;
      if (claim.localityKeys && expected.length < claim.pickDraws.length) localityCut += 1;
      // Some leases end: answered (a standing vote that bars its volunteer) or timed out.
      await repository.transaction(now + 500, async (tx) => {
        for (const c of claimed) {
          const roll = random();
          if (roll < 0.4) continue;
          await tx.updateReplica(c.replicaId, {
            state: roll < 0.8 ? 'returned' : 'timed_out',
            returnedAt: now + 500,
          });
          const unit = (await tx.unit(WORKLOAD, c.unit.idx))!;
          await tx.updateUnit(WORKLOAD, unit.idx, {
            inFlight: unit.inFlight - 1,
            ...(roll < 0.8 ? { returned: unit.returned + 1 } : {}),
          });
        }
      });
    }
    // The claims met the cases they are here for.
    assert.equal(claims, 300);
    assert.ok(leased > 300, `units leased: ${leased}`);
    assert.ok(alone > 10, `units run alone: ${alone}`);
    assert.ok(localityCut > 10, `batches cut by locality: ${localityCut}`);
  });
});
