// `tessera submit --wgsl FILE --outputs a,b --samples N --seed S [--samples-per-unit U]
// [--tolerance T]`: the
// workload body for a researcher's own WGSL Monte Carlo kernel (DESIGN.md section 3, estimator
// "wgsl") built from a bare .wgsl file and flags. Only what a command line can get wrong is
// checked here (missing flags, numbers that are not whole, empty or repeated names); whether
// the kernel compiles and keeps the contract is the coordinator's to say.
import { basename } from 'node:path';
import { UsageError } from './exitCodes';

/** Outputs a kernel may return: `fn sample() -> array<f32, K>` with K from 1 to this. */
export const MAX_WGSL_OUTPUTS = 8;

export interface WgslFlags {
  /** The .wgsl file as given (for names and messages). */
  file: string;
  /** The file's text. */
  source: string;
  outputs?: string | undefined;
  samples?: string | undefined;
  seed?: string | undefined;
  samplesPerUnit?: string | undefined;
  tolerance?: string | undefined;
  name?: string | undefined;
}

/** The body POST /api/workloads takes for a WGSL kernel. */
export interface WgslWorkloadBody {
  name: string;
  kind: 'montecarlo';
  spec: {
    estimator: 'wgsl';
    source: string;
    outputs: string[];
    samples: number;
    seed: number;
    samplesPerUnit?: number;
    tolerance?: number;
  };
}

const PLAIN = /^\d+$/;
const SCIENTIFIC = /^\d+(\.\d+)?e\+?\d+$/i;
const POWER = /^(\d+)\^(\d+)$/;

/**
 * A whole number as a researcher writes one on a command line: `100000000`, `1e8`, `2.5e6`,
 * `2^27`, with `_` or `,` between digit groups. Anything else (a fraction, a sign, hex, a value
 * past 2^53 - 1, where doubles stop counting exactly) is refused with the flag's name.
 */
export function parseWholeNumber(text: string, flag: string, minimum: number): number {
  const compact = text.trim().replace(/(?<=\d)[_,](?=\d)/g, '');
  let value: number | null = null;
  const power = POWER.exec(compact);
  if (power) value = Number(power[1]) ** Number(power[2]);
  else if (PLAIN.test(compact) || SCIENTIFIC.test(compact)) value = Number(compact);
  const example = `e.g. ${flag} 100000000, 1e8 or 2^27`;
  if (value === null || Number.isNaN(value)) {
    throw new UsageError(`${flag} must be a whole number (${example}), got "${text}"`);
  }
  if (!Number.isInteger(value)) {
    throw new UsageError(`${flag} must be a whole number, got "${text}" (= ${value})`);
  }
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`${flag} must be at most 2^53 - 1 (9007199254740991), got "${text}"`);
  }
  if (value < minimum) throw new UsageError(`${flag} must be >= ${minimum}, got "${text}"`);
  return value;
}

/** `hit,steps` → ['hit', 'steps']: names in the order the kernel returns them. */
export function parseOutputNames(text: string): string[] {
  const names = text.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) {
    throw new UsageError(
      `--outputs takes comma-separated names, one per value the kernel returns (e.g. --outputs hit,steps); "${text}" has an empty name`,
    );
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new UsageError(`--outputs names "${name}" twice`);
    seen.add(name);
  }
  if (names.length > MAX_WGSL_OUTPUTS) {
    throw new UsageError(
      `--outputs names ${names.length} outputs; a kernel returns at most ${MAX_WGSL_OUTPUTS} (array<f32, K>, K <= ${MAX_WGSL_OUTPUTS})`,
    );
  }
  return names;
}

function required(value: string | undefined, flag: string, example: string): string {
  if (value === undefined || value.trim() === '') {
    throw new UsageError(`submit --wgsl needs ${flag} (${example})`);
  }
  return value;
}

/** The workload body for `flags`; a UsageError names the first flag that cannot work. */
export function wgslWorkloadBody(flags: WgslFlags): WgslWorkloadBody {
  const outputs = parseOutputNames(
    required(
      flags.outputs,
      '--outputs',
      'the names of the values sample() returns, e.g. hit,steps',
    ),
  );
  const samples = parseWholeNumber(
    required(flags.samples, '--samples', 'how many samples in all, e.g. 1e8'),
    '--samples',
    1,
  );
  const seed = parseWholeNumber(
    required(flags.seed, '--seed', 'a whole number; the same seed gives the same answer'),
    '--seed',
    0,
  );
  if (flags.source.trim() === '') throw new UsageError(`${flags.file} is empty: no kernel to run`);
  // Workload names are at most 120 characters; a long file name is cut, not refused.
  const name = flags.name?.trim() || `${basename(flags.file).slice(0, 100)} (WGSL kernel)`;
  const spec: WgslWorkloadBody['spec'] = {
    estimator: 'wgsl',
    source: flags.source,
    outputs,
    samples,
    seed,
  };
  if (flags.samplesPerUnit !== undefined) {
    spec.samplesPerUnit = parseWholeNumber(flags.samplesPerUnit, '--samples-per-unit', 1);
  }
  if (flags.tolerance !== undefined) spec.tolerance = parseTolerance(flags.tolerance);
  return { name, kind: 'montecarlo', spec };
}

/** `--tolerance 1e-4`: a relative tolerance, 0 (exact) to 0.01. */
export function parseTolerance(text: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 0.01) {
    throw new UsageError(
      `--tolerance must be a number from 0 (exact) to 0.01 (relative), e.g. --tolerance 1e-4; got "${text}"`,
    );
  }
  return value;
}
