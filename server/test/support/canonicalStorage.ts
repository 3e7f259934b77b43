// The invariant of canonical results stored once (SQLite migration 13, PostgreSQL migration 5),
// checked on a suite's database after it ran: a unit whose canonical result is a replica's keeps
// no copy of the bytes, and names its own replica, which still holds them.
import assert from 'node:assert/strict';

/** One row: units holding both, references that are not the unit's replica with bytes, references. */
export function canonicalStorageSql(schema: string | null): string {
  const t = (table: string) => (schema ? `"${schema}".${table}` : table);
  return `SELECT
      (SELECT COUNT(*) FROM ${t('units')}
        WHERE canonical IS NOT NULL AND canonical_replica IS NOT NULL) AS both_kept,
      (SELECT COUNT(*) FROM ${t('units')} u JOIN ${t('replicas')} r ON r.id = u.canonical_replica
        WHERE r.workload_id <> u.workload_id OR r.unit_idx <> u.idx OR r.result IS NULL)
        AS bad_references,
      (SELECT COUNT(*) FROM ${t('units')} u WHERE u.canonical_replica IS NOT NULL AND NOT EXISTS
        (SELECT 1 FROM ${t('replicas')} r WHERE r.id = u.canonical_replica)) AS dangling,
      (SELECT COUNT(*) FROM ${t('units')} WHERE canonical_replica IS NOT NULL) AS by_reference`;
}

/**
 * `exercised`: the suite left validated units in place (the gradient suite's closed rounds drop
 * their canonical results, so it may leave none to look at).
 */
export function assertCanonicalsStoredOnce(row: Record<string, unknown>, exercised: boolean): void {
  const n = (name: string) => Number(row[name]);
  assert.equal(n('both_kept'), 0, 'a unit keeps a copy of its replica’s canonical bytes');
  assert.equal(n('bad_references'), 0, 'a canonical reference names a replica without them');
  assert.equal(n('dangling'), 0, 'a canonical reference names no replica');
  if (exercised)
    assert.ok(n('by_reference') > 0, 'the suite validated units on a replica’s result');
}
