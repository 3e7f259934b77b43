// `tessera`: the researcher's and operator's command line. Parses the arguments, runs one
// command (commands/), and turns what went wrong into a message and an exit code
// (exitCodes.ts). `tessera --help` lists everything.
import { ApiError, ERROR_CODES } from '@tessera/shared';
import { TOKEN_FILE } from '../auth/tokens';
import { parseCliArgs, type CliArgs } from './cliArgs';
import { cancelCommand } from './commands/cancel';
import { datasetDeleteCommand, datasetListCommand, datasetUploadCommand } from './commands/dataset';
import { resultCommand } from './commands/result';
import { statusCommand } from './commands/status';
import { fieldErrorLine, submitCommand } from './commands/submit';
import { tokenCreateCommand } from './commands/tokenCreate';
import { resolveConnection } from './connection';
import { EXIT, ReportedFailure, UsageError, exitCodeFor, type ExitCode } from './exitCodes';
import type { CliIO } from './output';
import { USAGE } from './usage';

export { EXIT } from './exitCodes';

type Command = (args: CliArgs, io: CliIO) => Promise<ExitCode>;

const COMMANDS: Record<string, { words: number; run: Command }> = {
  submit: { words: 1, run: submitCommand },
  status: { words: 1, run: statusCommand },
  result: { words: 1, run: resultCommand },
  cancel: { words: 1, run: cancelCommand },
  'token create': { words: 2, run: tokenCreateCommand },
  'dataset upload': { words: 2, run: datasetUploadCommand },
  'dataset list': { words: 2, run: datasetListCommand },
  'dataset delete': { words: 2, run: datasetDeleteCommand },
};

/** The first words of two-word commands (`token`, `dataset`), each with its second words. */
const GROUPS = new Map<string, string[]>();
for (const name of Object.keys(COMMANDS)) {
  const [group, sub] = name.split(' ');
  if (group && sub) GROUPS.set(group, [...(GROUPS.get(group) ?? []), sub]);
}

/** The command the words name; `tessera constructor` is no command either. */
function commandOf(positionals: string[]): (typeof COMMANDS)[string] {
  const [first = '', second] = positionals;
  const named = (name: string) => (Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined);
  const subs = GROUPS.get(first);
  if (!subs) {
    const command = named(first);
    if (!command) throw new UsageError(`unknown command: ${first}`);
    return command;
  }
  const command = second === undefined ? undefined : named(`${first} ${second}`);
  if (!command) {
    throw new UsageError(
      second === undefined
        ? `${first} needs one of: ${subs.join(', ')}`
        : `unknown command: ${first} ${second}; ${first} takes ${subs.join(', ')}`,
    );
  }
  return command;
}

/** What to tell the person about a failure; usage errors get the usage text too. */
function explain(error: unknown, args: CliArgs | null, io: CliIO): void {
  if (error instanceof ReportedFailure) return;
  const message = error instanceof Error ? error.message : String(error);
  if (exitCodeFor(error) === EXIT.usage) {
    io.stderr.write(`tessera: ${message}\n\n${USAGE}`);
    return;
  }
  if (!(error instanceof ApiError)) {
    io.stderr.write(`tessera: ${message}\n`);
    return;
  }
  io.stderr.write(`tessera: ${message}${error.status === null ? '' : ` (${error.code})`}\n`);
  for (const field of error.fieldErrors) io.stderr.write(`  ${fieldErrorLine(field)}\n`);
  if (error.code === ERROR_CODES.unauthorized && args) {
    const { url, tokenSource, tokenFile } = resolveConnection({
      ...args.values,
      env: io.env,
      cwd: io.cwd,
    });
    io.stderr.write(
      tokenSource
        ? `The coordinator at ${url} does not accept the token from ${tokenSource}.\n`
        : `No token was given, and none was found at ${tokenFile ?? TOKEN_FILE}: pass --token or set TESSERA_TOKEN, or run inside the folder where the coordinator was started.\n`,
    );
  }
  if (error.code === 'UNREACHABLE') {
    io.stderr.write('Start one with `npm start`, or point at one with --url or TESSERA_URL.\n');
  }
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  let args: CliArgs | null = null;
  try {
    args = parseCliArgs(argv);
    if (args.positionals[0] === 'help' || (args.values.help && args.positionals.length === 0)) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (args.positionals.length === 0) {
      io.stderr.write(USAGE);
      return EXIT.usage;
    }
    const command = commandOf(args.positionals);
    if (args.values.help) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (error) {
    explain(error, args, io);
    return exitCodeFor(error);
  }
}
