// `tessera token create --name NAME [--share N] [--data DIR]`: a new researcher token, written straight into
// the local coordinator's SQLite store (no server call), printed once. The data folder is found
// as dataDir.ts says: --data, TESSERA_DATA, else the nearest data/ up to the checkout's root.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createToken } from '../../auth/tokens';
import { SqliteRepository } from '../../repository/sqlite/sqliteRepository';
import { allowOnly, operands, type CliArgs } from '../cliArgs';
import { SQLITE_FILE, findDataDir } from '../dataDir';
import { EXIT, UsageError, type ExitCode } from '../exitCodes';
import type { CliIO } from '../output';

export async function tokenCreateCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  allowOnly('token create', args, ['name', 'data', 'share']);
  operands('token create', args, 2, []);
  const name = args.values.name?.trim();
  if (!name) throw new UsageError('token create needs --name NAME');
  if (name.length > 80) throw new UsageError('--name must be at most 80 characters');
  const share = args.values.share === undefined ? 1 : Number(args.values.share);
  if (!Number.isInteger(share) || share < 1 || share > 1000) {
    throw new UsageError('--share must be a whole number from 1 to 1000');
  }
  const dataDir = findDataDir({ flag: args.values.data, env: io.env, cwd: io.cwd }).path;
  mkdirSync(dataDir, { recursive: true });
  const store = new SqliteRepository(join(dataDir, SQLITE_FILE));
  try {
    const token = await createToken(store, name, io.now(), share);
    io.stderr.write(`Token "${name}" created in ${dataDir} with share ${share} (shown once):\n`);
    io.stdout.write(`${token}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
