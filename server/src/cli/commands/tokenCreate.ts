// `tessera token create --name NAME [--share N] [--data DIR]`: a new researcher token, written straight into
// the local coordinator's SQLite store (no server call), printed once.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createToken } from '../../auth/tokens';
import { SqliteRepository } from '../../repository/sqlite/sqliteRepository';
import { allowOnly, operands, type CliArgs } from '../cliArgs';
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
  const dataDir = resolve(io.cwd, args.values.data ?? (io.env.TESSERA_DATA || './data'));
  mkdirSync(dataDir, { recursive: true });
  const store = new SqliteRepository(join(dataDir, 'tessera.sqlite'));
  try {
    const token = await createToken(store, name, io.now(), share);
    io.stderr.write(`Token "${name}" created in ${dataDir} with share ${share} (shown once):\n`);
    io.stdout.write(`${token}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
