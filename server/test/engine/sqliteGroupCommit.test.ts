// Group commit in the embedded repository (sqliteRepository.ts): transactions asked for in one
// turn of the event loop run in order in one SQLite transaction and commit together, and none is
// answered before that COMMIT; a transaction of the group that fails is rolled back alone.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteRepository } from '../../src/repository/sqlite/sqliteRepository';
import { tempDir } from '../support/testCoordinator';

const T0 = 1_800_000_000_000;

describe('SQLite group commit', () => {
  let dir: string;
  let file: string;
  let repository: SqliteRepository;
  /** Another connection to the file: it sees only what was committed. */
  let reader: Database.Database;
  before(async () => {
    dir = tempDir('tessera-group-');
    file = join(dir, 'tessera.sqlite');
    repository = new SqliteRepository(file);
    reader = new Database(file, { readonly: true });
    await repository.transaction(T0, async (tx) => {
      for (const id of ['g1', 'g2', 'g3']) {
        await tx.insertVolunteer({ id, secretHash: 'h', displayName: id });
      }
    });
  });
  after(async () => {
    reader.close();
    await repository.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const committedCredit = (id: string) =>
    (
      reader.prepare('SELECT credit_micro AS c FROM volunteers WHERE id = ?').get(id) as {
        c: number;
      }
    ).c;

  test('transactions asked for together run in order and commit together', async () => {
    const answered: string[] = [];
    const seen: Array<{ committed: number; inGroup: number | undefined; answered: string[] }> = [];
    const first = repository
      .transaction(T0, (tx) => tx.updateVolunteer('g1', { creditMicro: 10 }))
      .then(() => answered.push('first'));
    const second = repository
      .transaction(T0, async (tx) => {
        // The first one's write is visible here, but not committed yet, nor answered.
        seen.push({
          committed: committedCredit('g1'),
          inGroup: (await tx.volunteer('g1'))?.creditMicro,
          answered: [...answered],
        });
        await tx.updateVolunteer('g2', { creditMicro: 20 });
      })
      .then(() => answered.push('second'));
    await Promise.all([first, second]);
    assert.deepEqual(seen, [{ committed: 0, inGroup: 10, answered: [] }]);
    assert.deepEqual(answered, ['first', 'second']);
    assert.equal(committedCredit('g1'), 10);
    assert.equal(committedCredit('g2'), 20);
  });

  test('a transaction asked for after a commit sees it committed', async () => {
    await repository.transaction(T0, (tx) => tx.updateVolunteer('g3', { creditMicro: 5 }));
    const committed = await repository.transaction(T0, async () => committedCredit('g3'));
    assert.equal(committed, 5);
  });

  test('a failing transaction in a group is rolled back alone, replicas and all', async () => {
    const outcomes = await Promise.allSettled([
      repository.transaction(T0, (tx) => tx.updateVolunteer('g1', { creditMicro: 11 })),
      repository.transaction(T0, async (tx) => {
        await tx.updateVolunteer('g2', { creditMicro: 99 });
        throw new Error('the engine refused');
      }),
      repository.transaction(T0, (tx) => tx.updateVolunteer('g3', { creditMicro: 33 })),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /the engine refused/);
    assert.deepEqual(['g1', 'g2', 'g3'].map(committedCredit), [11, 20, 33]);
  });

  test('closing waits for the transactions asked for, then refuses new ones', async () => {
    const last = repository.transaction(T0, (tx) => tx.updateVolunteer('g1', { creditMicro: 12 }));
    await repository.close();
    await last;
    assert.equal(committedCredit('g1'), 12);
    await assert.rejects(
      repository.transaction(T0, (tx) => tx.volunteer('g1')),
      /the repository is closed/,
    );
    repository = new SqliteRepository(file);
  });
});
