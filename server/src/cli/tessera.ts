// `tessera`: the researcher's and operator's command line.
//   tessera token create --name NAME [--data DIR]   a new researcher token for the local data folder
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createToken } from '../auth/tokens';
import { SqliteStore } from '../store/sqlite/sqliteStore';

const USAGE = `Usage: tessera <command> [options]

Commands:
  token create --name NAME [--data DIR]
      Create a researcher token in the coordinator's data folder (default: $TESSERA_DATA or
      ./data). The token is printed once; only its hash is stored.

Options:
  -h, --help   Show this help.
`;

/** Exit codes: 0 ok, 1 failure, 2 usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

class UsageError extends Error {}

async function tokenCreate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { name: { type: 'string' }, data: { type: 'string' } },
    strict: true,
  });
  const name = values.name?.trim();
  if (!name) throw new UsageError('token create needs --name NAME');
  if (name.length > 80) throw new UsageError('--name must be at most 80 characters');
  const dataDir = resolve(values.data ?? process.env.TESSERA_DATA ?? './data');
  mkdirSync(dataDir, { recursive: true });
  const store = new SqliteStore(join(dataDir, 'tessera.sqlite'));
  try {
    const token = await createToken(store, name, Date.now());
    process.stderr.write(`Token "${name}" created in ${dataDir} (shown once):\n`);
    process.stdout.write(`${token}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? EXIT.ok : EXIT.usage;
  }
  try {
    if (command === 'token' && sub === 'create') return await tokenCreate(rest);
    throw new UsageError(`unknown command: ${[command, sub].filter(Boolean).join(' ')}`);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`tessera: ${(error as Error).message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    process.stderr.write(`tessera: ${(error as Error).message}\n`);
    return EXIT.failure;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
