// The longer SQL of the PostgreSQL transaction context (pgTx.ts), kept apart so the class reads
// as the engine's contract. Parameters are positional ($n) as node-postgres binds them.

/** [L2] Replica states that bar their volunteer (and network group) from another of the unit. */
export const BARRING = `(r.state IN ('in_flight', 'returned', 'valid', 'errored')
  OR (r.state = 'invalid' AND r.withdrawn = 0))`;

/**
 * A unit of the earliest open round whose replica computes far longer than its round's
 * mean (the mean must exist: no straggler before any replica of the round came back).
 * $1 workload, $2 volunteer, $3 network group, $4 now, $5 max replicas, $6 floor ms, $7 factor.
 */
export const STRAGGLER_SQL = `WITH first_round AS (
         SELECT MIN(round) AS round FROM units WHERE workload_id = $1 AND state = 'open'),
       pace AS (
         SELECT AVG(r.returned_at - r.leased_at) AS mean FROM replicas r
         JOIN units a ON a.workload_id = r.workload_id AND a.idx = r.unit_idx
         WHERE r.workload_id = $1 AND a.round = (SELECT round FROM first_round)
           AND r.state IN ('returned', 'valid', 'invalid'))
       SELECT u.* FROM units u
       WHERE u.workload_id = $1 AND u.state = 'open' AND u.in_flight > 0 AND u.backups = 0
         AND u.wanted < $5 AND u.round = (SELECT round FROM first_round)
         AND (SELECT COUNT(*) FROM units o WHERE o.workload_id = u.workload_id
                AND o.round = u.round AND o.state = 'open')
             <= GREATEST(1, (SELECT COUNT(*) FROM units a WHERE a.workload_id = u.workload_id
                               AND a.round = u.round) / 4)
         AND (SELECT mean FROM pace) IS NOT NULL
         AND (SELECT MIN(r.leased_at) FROM replicas r WHERE r.workload_id = u.workload_id
                AND r.unit_idx = u.idx AND r.state = 'in_flight')
             < $4 - GREATEST($6, $7 * (SELECT mean FROM pace))
         AND NOT EXISTS (SELECT 1 FROM replicas r
           WHERE r.workload_id = u.workload_id AND r.unit_idx = u.idx AND ${BARRING}
             AND (r.volunteer_id = $2 OR r.net_group = $3))
       ORDER BY u.idx LIMIT 1
       FOR NO KEY UPDATE OF u SKIP LOCKED`;

/**
 * [L6][L7][L9][R1] A lease in one statement (PgTx.claimUnits): the leasable units locked as
 * they are read (`FOR NO KEY UPDATE SKIP LOCKED`, so processes leasing at once take different
 * units without waiting), the picks, batch size, locality, run-alone choices and deadlines of
 * engine/leaseClaim.ts planClaim (the same arithmetic, on float8 as in JavaScript), the replicas
 * inserted and the units updated, the leased units returned with their replica and deadline.
 * $1 workload, $2 volunteer, $3 network group, $4 limit, $5 prefer keys, $6 pick draws,
 * $7 choices, $8 rate, $9 lease work seconds, $10 locality on, $11 run-alone draws (NULL: never),
 * $12 run alone below, $13 leased at, $14 lease duration ms, $15 connection, $16 instance,
 * $17 locality keys. The pin (A3) is the engine's to set after: see leasing.ts.
 * `preferred` orders held partitions first as leasableUnits does (only when there are keys).
 */
export function claimSql(preferred: boolean): string {
  const prefer = preferred ? '(u.lease_key = ANY($5::text[])) DESC, ' : '';
  const preferRank = preferred ? 'l.preferred DESC, ' : '';
  return `WITH RECURSIVE
     locked AS (
       SELECT u.idx, u.round, u.work, u.lease_key, u.in_flight, u.returned,
         (u.lease_key = ANY($5::text[])) AS preferred
       FROM units u
       WHERE u.workload_id = $1 AND u.state = 'open' AND u.open_slots > 0
         AND NOT EXISTS (SELECT 1 FROM replicas r
           WHERE r.workload_id = u.workload_id AND r.unit_idx = u.idx AND ${BARRING}
             AND (r.volunteer_id = $2 OR r.net_group = $3))
       ORDER BY u.round, ${prefer}u.idx LIMIT $4
       FOR NO KEY UPDATE OF u SKIP LOCKED),
     ranked AS (
       SELECT l.*, row_number() OVER (ORDER BY l.round, ${preferRank}l.idx)::int AS rank
       FROM locked l),
     candidates AS (
       SELECT * FROM ranked WHERE round = (SELECT round FROM ranked WHERE rank = 1)),
     picks (step, remaining, chosen) AS (
       SELECT 0, COALESCE((SELECT array_agg(rank ORDER BY rank) FROM candidates), '{}'::int[]),
         '{}'::int[]
       UNION ALL
       SELECT p.step + 1, p.remaining[1:x.i] || p.remaining[x.i + 2:],
         p.chosen || p.remaining[x.i + 1]
       FROM picks p
       CROSS JOIN LATERAL (SELECT LEAST(w.w - 1,
           floor(($6::float8[])[p.step + 1] * w.w)::int) AS i
         FROM (SELECT LEAST($7::int, cardinality(p.remaining)) AS w) w) x
       WHERE p.step < cardinality($6::float8[]) AND cardinality(p.remaining) > 0),
     picked AS (
       SELECT c.*, o.n::int AS n
       FROM (SELECT chosen FROM picks ORDER BY step DESC LIMIT 1) last
       CROSS JOIN LATERAL unnest(last.chosen) WITH ORDINALITY AS o(rank, n)
       JOIN candidates c ON c.rank = o.rank),
     head AS (SELECT work::float8 AS work FROM picked WHERE n = 1),
     sized AS (
       SELECT p.* FROM picked p
       WHERE p.n <= CASE
         WHEN $8::float8 IS NULL OR NOT ((SELECT work FROM head) > 0) THEN 1
         ELSE GREATEST(1, LEAST((SELECT count(*) FROM picked),
           floor(($8::float8 * $9::float8) / (SELECT work FROM head))))
       END),
     kept AS (
       SELECT s.* FROM sized s
       WHERE NOT ($10::boolean AND (SELECT count(*) FROM sized) > 1)
         OR (s.lease_key = ANY($17::text[]))
         OR (s.n = 1 AND NOT EXISTS (SELECT 1 FROM sized h WHERE h.lease_key = ANY($17::text[])))),
     numbered AS (
       SELECT k.*, (row_number() OVER (ORDER BY k.n) - 1)::int AS i,
         CASE WHEN k.in_flight = 0 AND k.returned = 0 THEN
           row_number() OVER (PARTITION BY (k.in_flight = 0 AND k.returned = 0) ORDER BY k.n)
         END AS eligible
       FROM kept k),
     final AS (
       SELECT n.idx, n.i,
         COALESCE($11::float8[] IS NOT NULL AND n.eligible IS NOT NULL
           AND ($11::float8[])[n.eligible] < $12::float8, false) AS alone,
         $13::bigint + $14::bigint + ceil(n.i * CASE WHEN $8::float8 IS NULL OR $8::float8 = 0
           THEN 0 ELSE ((SELECT work FROM head) / $8::float8) * 1000 END)::bigint AS deadline
       FROM numbered n),
     inserted AS (
       INSERT INTO replicas (workload_id, unit_idx, volunteer_id, connection_id, instance_id,
         net_group, state, leased_at, deadline)
       SELECT $1, f.idx, $2, $15, $16, $3, 'in_flight', $13, f.deadline FROM final f ORDER BY f.i
       RETURNING id, unit_idx),
     updated AS (
       UPDATE units u SET in_flight = u.in_flight + 1,
         quorum = CASE WHEN f.alone THEN 1 ELSE u.quorum END,
         wanted = CASE WHEN f.alone THEN 1 ELSE u.wanted END
       FROM final f WHERE u.workload_id = $1 AND u.idx = f.idx
       RETURNING u.*)
     SELECT d.*, ins.id AS claimed_replica, f.deadline AS claimed_deadline
     FROM updated d JOIN inserted ins ON ins.unit_idx = d.idx JOIN final f ON f.idx = d.idx
     ORDER BY f.i`;
}
