// `tessera`: the researcher's and operator's command line. Parses the arguments, runs one
// command (commands/), and turns what went wrong into a message and an exit code
// (exitCodes.ts). `tessera --help` lists everything.
import { ApiError, ERROR_CODES } from '@tessera/shared';
import { parseCliArgs, type CliArgs } from './cliArgs';
import { cancelCommand } from './commands/cancel';
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
};

function commandOf(positionals: string[]): (typeof COMMANDS)[string] | undefined {
  const [first, second] = positionals;
  return COMMANDS[`${first} ${second}`] ?? (first === 'token' ? undefined : COMMANDS[first ?? '']);
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
    const { url, tokenSource } = resolveConnection({ ...args.values, env: io.env, cwd: io.cwd });
    io.stderr.write(
      tokenSource
        ? `The coordinator at ${url} does not accept the token from ${tokenSource}.\n`
        : 'No token was given: pass --token, set TESSERA_TOKEN, or run from the folder holding data/researcher.token.\n',
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
    if (!command) {
      throw new UsageError(`unknown command: ${args.positionals.slice(0, 2).join(' ')}`);
    }
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
