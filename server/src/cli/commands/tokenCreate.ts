// `tessera token create --name NAME [--data DIR]`: a new researcher token, written straight into
// the local coordinator's SQLite store (no server call), printed once.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createToken } from '../../auth/tokens';
import { SqliteStore } from '../../store/sqlite/sqliteStore';
import { allowOnly, operands, type CliArgs } from '../cliArgs';
import { EXIT, UsageError, type ExitCode } from '../exitCodes';
import type { CliIO } from '../output';

export async function tokenCreateCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  allowOnly('token create', args, ['name', 'data']);
  operands('token create', args, 2, []);
  const name = args.values.name?.trim();
  if (!name) throw new UsageError('token create needs --name NAME');
  if (name.length > 80) throw new UsageError('--name must be at most 80 characters');
  const dataDir = resolve(io.cwd, args.values.data ?? (io.env.TESSERA_DATA || './data'));
  mkdirSync(dataDir, { recursive: true });
  const store = new SqliteStore(join(dataDir, 'tessera.sqlite'));
  try {
    const token = await createToken(store, name, io.now());
    io.stderr.write(`Token "${name}" created in ${dataDir} (shown once):\n`);
    io.stdout.write(`${token}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
