// A database migrated by a newer Tessera is refused, not used: this coordinator would not know
// what the newer schema means (since migration 13/5 a unit's canonical result may live on a
// replica, which older code would read as missing) and would write rows the newer code misreads.
// Every coordinator sharing one database runs the same version; a data folder is not downgraded.

/** Throws when `applied` holds a schema version past the newest of `known`. */
export function refuseNewerSchema(
  store: 'SQLite' | 'PostgreSQL',
  applied: Iterable<number>,
  known: ReadonlyArray<{ version: number }>,
): void {
  const newest = Math.max(0, ...applied);
  const latest = Math.max(0, ...known.map((m) => m.version));
  if (newest > latest) {
    throw new Error(
      `this ${store} database is at schema version ${newest}, written by a newer Tessera; this ` +
        `coordinator knows versions up to ${latest}. Run the newer version (every coordinator ` +
        'sharing a database must run the same one).',
    );
  }
}
