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
