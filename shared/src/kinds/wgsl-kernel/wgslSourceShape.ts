// Static refusals of a researcher's WGSL before any compiler sees it, each at its 1-based line
// and column: what the harness owns (bindings, entry points, workgroup memory, directives,
// names starting with tessera_, uniform() and random_u32()), module-scope state that would
// leak from one sample into the next (var<private>), loops that can never end, and the
// contract's one requirement, `fn sample() -> array<f32, K>` with K the number of outputs.
// Comments are blanked first, so a commented-out binding is no problem; what is left to judge
// is the compiler's (the lab's).
import { WGSL_MAX_SOURCE_BYTES } from './wgslSpec';

export interface SourceProblem {
  /** 1-based line of the researcher's source; null when the problem has no place. */
  line: number | null;
  /** 1-based column (UTF-16 code units, as WebGPU's compilation messages count). */
  column: number | null;
  message: string;
}

/** Enough to show what is wrong without burying it. */
const MAX_PROBLEMS = 20;

/** `source` with every comment replaced by spaces (newlines kept): positions stay the same. */
export function blankComments(source: string): string {
  const out = source.split('');
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let j = from; j < to; j++) if (out[j] !== '\n' && out[j] !== '\r') out[j] = ' ';
  };
  while (i < source.length) {
    if (source.startsWith('//', i)) {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (source.startsWith('/*', i)) {
      // WGSL block comments nest.
      let depth = 0;
      let j = i;
      while (j < source.length) {
        if (source.startsWith('/*', j)) {
          depth++;
          j += 2;
        } else if (source.startsWith('*/', j)) {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else {
          j++;
        }
      }
      blank(i, j);
      i = j;
    } else {
      i++;
    }
  }
  return out.join('');
}

function locator(source: string): (index: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') starts.push(i + 1);
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - starts[lo]! + 1 };
  };
}

/** The index of the first character whose UTF-8 encoding ends past `limit` bytes. */
function indexPastBytes(source: string, limit: number): number {
  let bytes = 0;
  for (let i = 0; i < source.length; i++) {
    const code = source.codePointAt(i)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes > limit) return i;
    if (code >= 0x10000) i++;
  }
  return source.length;
}

interface Rule {
  pattern: RegExp;
  message: (match: RegExpExecArray) => string;
  /** Where in the match the problem is; its start by default. */
  offset?: (match: RegExpExecArray) => number;
}

const RULES: Rule[] = [
  {
    pattern: /@\s*(group|binding)\b/g,
    message: (m) =>
      `@${m[1]} is the harness's: a kernel binds no buffers or textures; its only input is ` +
      'the random stream (uniform(), random_u32())',
  },
  {
    pattern: /@\s*(compute|vertex|fragment|workgroup_size)\b/g,
    message: (m) =>
      `@${m[1]} is the harness's: a kernel declares no entry point, only fn sample(), which ` +
      'the harness calls once per sample',
  },
  {
    pattern: /\bvar\s*<\s*(storage|uniform|workgroup)\b/g,
    message: (m) =>
      `var<${m[1]}> is not allowed: a kernel reads no buffers and shares no memory; each ` +
      'sample is computed alone from its own random stream',
  },
  {
    pattern: /\bvar\s*<\s*private\b/g,
    message: () =>
      'module-scope var<private> is not allowed: it would carry state from one sample into ' +
      'the next, so results would depend on how samples are grouped; declare vars inside ' +
      'functions',
  },
  {
    pattern: /(?<![\w@])(enable|requires)\b/g,
    message: (m) => `the ${m[1]} directive is not allowed: kernels are core WGSL only`,
  },
  {
    pattern: /(?<![\w@.]\s*)diagnostic\s*\(\s*(error|warning|info|off)\s*,/g,
    message: () => 'the diagnostic directive is not allowed: kernels are core WGSL only',
  },
  {
    pattern: /(?<![A-Za-z0-9_])tessera_[A-Za-z0-9_]*/g,
    message: (m) => `${m[0]}: names starting with tessera_ are reserved for the harness`,
  },
  {
    pattern:
      /\b(?:fn|const|let|var|override|alias|struct)\s*(?:<[^>]*>\s*)?(uniform|random_u32)\b|[(,]\s*(uniform|random_u32)\s*:/g,
    message: (m) =>
      `${m[1] ?? m[2]} is the harness's (the sample's random stream): call it, do not declare it`,
    offset: (m) => m[0].lastIndexOf((m[1] ?? m[2])!),
  },
];

/** Always-true loops: `while (true) {`, `for (...; ; ...) {`, `for (...; true; ...) {`. */
const ALWAYS_TRUE_LOOP =
  /\bwhile\s*\(?\s*true\s*\)?\s*\{|\bfor\s*\([^;)]*;\s*(?:true\s*)?;[^)]*\)\s*\{/g;

/**
 * Always-true loops with no break or return in their body: they never end. The compiler
 * refuses such a `loop {}` itself; SwiftShader then deletes a side-effect-free `while (true)`,
 * so the trial run would pass a kernel that hangs a volunteer's GPU.
 */
function endlessLoops(code: string): number[] {
  const found: number[] = [];
  for (const match of code.matchAll(ALWAYS_TRUE_LOOP)) {
    const open = match.index + match[0].length - 1;
    let depth = 0;
    let close = code.length;
    for (let i = open; i < code.length; i++) {
      if (code[i] === '{') depth++;
      else if (code[i] === '}' && --depth === 0) {
        close = i;
        break;
      }
    }
    if (!/\b(break|return)\b/.test(code.slice(open, close))) found.push(match.index);
  }
  return found;
}

const SAMPLE_SIGNATURE =
  /\bfn\s+sample\s*\(\s*\)\s*->\s*array\s*<\s*f32\s*,\s*([0-9]+)[iu]?\s*,?\s*>/g;
const SAMPLE_NAME = /\bfn\s+sample\b/g;

/**
 * Every static refusal of `source` for a kernel with `outputCount` outputs (at most
 * MAX_PROBLEMS), in source order; empty when nothing is wrong that can be seen without a
 * compiler.
 */
export function checkSourceShape(source: string, outputCount: number): SourceProblem[] {
  if (source.trim() === '') {
    return [{ line: 1, column: 1, message: 'the source is empty: define fn sample()' }];
  }
  const at = locator(source);
  const problems: Array<SourceProblem & { index: number }> = [];
  const add = (index: number, message: string) => problems.push({ index, ...at(index), message });

  const past = indexPastBytes(source, WGSL_MAX_SOURCE_BYTES);
  if (past < source.length) {
    add(past, `the source is longer than ${WGSL_MAX_SOURCE_BYTES} bytes of UTF-8 from here on`);
  }
  const code = blankComments(source);
  for (const rule of RULES) {
    for (const match of code.matchAll(rule.pattern)) {
      add(match.index + (rule.offset?.(match) ?? 0), rule.message(match));
    }
  }

  for (const index of endlessLoops(code)) {
    add(
      index,
      'this loop never ends: its condition is always true and no break or return is inside',
    );
  }

  const expected = `array<f32, ${outputCount}>`;
  const signatures = [...code.matchAll(SAMPLE_SIGNATURE)];
  const right = signatures.filter((m) => Number(m[1]) === outputCount);
  if (right.length === 0) {
    const wrongK = signatures[0];
    const named = [...code.matchAll(SAMPLE_NAME)][0];
    if (wrongK) {
      add(
        wrongK.index,
        `fn sample() returns array<f32, ${wrongK[1]}>, but outputs names ${outputCount} ` +
          `value(s): it must return ${expected}`,
      );
    } else if (named) {
      add(named.index, `fn sample must take no arguments and return ${expected}`);
    } else {
      add(0, `no fn sample() -> ${expected}: the harness calls it once per sample`);
    }
  }

  problems.sort((a, b) => a.index - b.index);
  return problems.slice(0, MAX_PROBLEMS).map(({ line, column, message }) => ({
    line,
    column,
    message,
  }));
}
