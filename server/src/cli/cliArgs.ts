// Parses `tessera [options] <command> [args]`: one option table for every command (so options
// may come before or after the command), then each command says which of them it takes.
import { parseArgs } from 'node:util';
import { UsageError } from './exitCodes';

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  wait: { type: 'boolean' },
  interval: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  name: { type: 'string' },
  data: { type: 'string' },
  share: { type: 'string' },
  wgsl: { type: 'string' },
  outputs: { type: 'string' },
  samples: { type: 'string' },
  seed: { type: 'string' },
  'samples-per-unit': { type: 'string' },
  tolerance: { type: 'string' },
  'label-last': { type: 'boolean' },
  'label-column': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type OptionName = keyof typeof OPTIONS;

export interface CliArgs {
  /** The command words and their arguments, e.g. ['submit', 'pi.json'] or ['token', 'create']. */
  positionals: string[];
  values: {
    url?: string | undefined;
    token?: string | undefined;
    wait?: boolean | undefined;
    interval?: string | undefined;
    out?: string | undefined;
    format?: string | undefined;
    json?: boolean | undefined;
    name?: string | undefined;
    data?: string | undefined;
    share?: string | undefined;
    wgsl?: string | undefined;
    outputs?: string | undefined;
    samples?: string | undefined;
    seed?: string | undefined;
    'samples-per-unit'?: string | undefined;
    tolerance?: string | undefined;
    'label-last'?: boolean | undefined;
    'label-column'?: string | undefined;
    help?: boolean | undefined;
  };
}

export function parseCliArgs(argv: string[]): CliArgs {
  const { positionals, values } = parseArgs({
    args: argv,
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  return { positionals, values };
}

/** Refuses options that mean nothing to this command (`--out` on `cancel`, say). */
export function allowOnly(command: string, args: CliArgs, allowed: readonly OptionName[]): void {
  for (const [name, value] of Object.entries(args.values)) {
    if (value === undefined || name === 'help') continue;
    if (!allowed.includes(name as OptionName)) {
      throw new UsageError(`${command} does not take --${name}`);
    }
  }
}

/** The command's arguments after its words, exactly `count` of them unless `optional`. */
export function operands(
  command: string,
  args: CliArgs,
  words: number,
  names: string[],
  optional = 0,
): string[] {
  const rest = args.positionals.slice(words);
  const min = names.length - optional;
  if (rest.length < min)
    throw new UsageError(`${command} needs ${names.slice(rest.length).join(' ')}`);
  if (rest.length > names.length) {
    throw new UsageError(
      `${command} takes ${names.join(' ') || 'no arguments'}, got "${rest.join(' ')}"`,
    );
  }
  return rest;
}
