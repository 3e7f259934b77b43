// The harness around a researcher's WGSL kernel, without a GPU: the source is spliced in
// verbatim where mapHarnessLine says, every module-scope name the harness declares is
// tessera_-prefixed (or is uniform / random_u32), and checkSourceShape refuses each thing the
// harness owns or the contract forbids at the right 1-based line and column, ignoring comments.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PRELUDE_LINES,
  WGSL_ENTRY_POINT,
  checkSourceShape,
  harnessSource,
  mapHarnessLine,
} from '../../src/kinds/wgsl-kernel/wgslHarness';
import { blankComments } from '../../src/kinds/wgsl-kernel/wgslSourceShape';
import { WGSL_MAX_SOURCE_BYTES } from '../../src/kinds/wgsl-kernel/wgslSpec';

const GOOD = `// a fine kernel
fn helper(x: f32) -> f32 {
  return x * x;
}

fn sample() -> array<f32, 2> {
  let u = uniform();
  let bits = random_u32();
  return array<f32, 2>(helper(u), f32(bits >> 8u));
}`;

describe('harnessSource', () => {
  test('splices the source verbatim after the prelude, and maps lines back', () => {
    const module = harnessSource(GOOD, 2);
    const lines = module.split('\n');
    const sourceLines = GOOD.split('\n');
    assert.deepEqual(lines.slice(PRELUDE_LINES, PRELUDE_LINES + sourceLines.length), sourceLines);
    for (let line = 1; line <= sourceLines.length; line++) {
      assert.equal(mapHarnessLine(PRELUDE_LINES + line, GOOD), line);
    }
    assert.equal(mapHarnessLine(1, GOOD), null, 'the prelude is the harness');
    assert.equal(mapHarnessLine(PRELUDE_LINES, GOOD), null);
    assert.equal(mapHarnessLine(PRELUDE_LINES + sourceLines.length + 1, GOOD), null);
    assert.equal(mapHarnessLine(lines.length, GOOD), null, 'the entry point is the harness');
    assert.equal(mapHarnessLine(PRELUDE_LINES + 3), 3, 'without the source: any line after');
  });

  test('the prelude is the same for every output count; the entry point adds K values', () => {
    const one = harnessSource(GOOD, 1).split('\n');
    const eight = harnessSource(GOOD, 8).split('\n');
    assert.deepEqual(one.slice(0, PRELUDE_LINES), eight.slice(0, PRELUDE_LINES));
    assert.match(
      harnessSource(GOOD, 8),
      /tessera_accumulate\(&tessera_sums_7, tessera_values\[7\]\);/,
    );
    assert.doesNotMatch(harnessSource(GOOD, 1), /tessera_values\[1\]/);
    assert.match(harnessSource(GOOD, 3), new RegExp(`fn ${WGSL_ENTRY_POINT}\\(`));
  });

  test('every module-scope name the harness declares starts with tessera_', () => {
    const module = harnessSource('', 3);
    // Module scope: declarations at the start of a line (the harness indents function bodies).
    const names = [
      ...module.matchAll(/^(?:fn|const|struct|alias|override|var(?:<[^>]*>)?)\s+(\w+)/gm),
    ].map((m) => m[1]!);
    assert.ok(names.length > 10, `found only ${names.join(', ')}`);
    const foreign = names.filter(
      (name) => !name.startsWith('tessera_') && name !== 'uniform' && name !== 'random_u32',
    );
    assert.deepEqual(foreign, []);
    assert.ok(names.includes('uniform') && names.includes('random_u32'));
  });
});

/** The one problem checkSourceShape finds in `source` (K = 1), as "line:column message". */
function onlyProblem(source: string, outputCount = 1): string {
  const problems = checkSourceShape(source, outputCount);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  const [p] = problems;
  return `${p!.line}:${p!.column} ${p!.message}`;
}

const SAMPLE1 = 'fn sample() -> array<f32, 1> { return array<f32, 1>(uniform()); }';

describe('checkSourceShape', () => {
  test('accepts a good kernel, with any whitespace in the signature', () => {
    assert.deepEqual(checkSourceShape(GOOD, 2), []);
    assert.deepEqual(checkSourceShape(SAMPLE1, 1), []);
    const spaced = 'fn  sample ( )\n  ->  array < f32 ,\n 3u > {\n  return array<f32, 3>();\n}';
    assert.deepEqual(checkSourceShape(spaced, 3), []);
  });

  test('refuses an empty source at 1:1', () => {
    assert.match(onlyProblem(''), /^1:1 the source is empty/);
    assert.match(onlyProblem('  \n\t\n'), /^1:1 the source is empty/);
  });

  test('refuses a source past the byte limit where the limit is crossed', () => {
    const line = `${'x'.repeat(99)}\n`;
    const filler = `// ${line.repeat(Math.ceil(WGSL_MAX_SOURCE_BYTES / 100))}`;
    const problems = checkSourceShape(`${SAMPLE1}\n${filler}`, 1);
    assert.equal(problems.length, 1);
    const expectedIndex = WGSL_MAX_SOURCE_BYTES; // one ASCII byte per character
    const before = `${SAMPLE1}\n${filler}`.slice(0, expectedIndex);
    assert.equal(problems[0]!.line, before.split('\n').length);
    assert.equal(problems[0]!.column, expectedIndex - before.lastIndexOf('\n'));
    assert.match(problems[0]!.message, /longer than 16384 bytes/);
    // Multi-byte characters count as their UTF-8 bytes.
    const wide = `${SAMPLE1}\n// ${'é'.repeat(WGSL_MAX_SOURCE_BYTES / 2)}`;
    assert.match(checkSourceShape(wide, 1)[0]!.message, /longer than/);
  });

  test('refuses a missing sample(), a wrong K, and a sample() with parameters', () => {
    assert.match(onlyProblem('fn other() -> f32 { return 1.0; }'), /^1:1 no fn sample\(\)/);
    assert.match(
      onlyProblem(`// two\n${SAMPLE1}`, 2),
      /^2:1 fn sample\(\) returns array<f32, 1>, but outputs names 2 value\(s\): it must return array<f32, 2>/,
    );
    assert.match(
      onlyProblem('\n  fn sample(x: f32) -> array<f32, 1> { return array<f32, 1>(x); }'),
      /^2:3 fn sample must take no arguments and return array<f32, 1>/,
    );
    assert.match(onlyProblem('fn sample() -> f32 { return 1.0; }'), /^1:1 fn sample must/);
    // A signature inside a comment is no signature.
    assert.match(onlyProblem('// fn sample() -> array<f32, 1>\n'), /^1:1 no fn sample/);
  });

  const refusals: Array<[what: string, line: string, column: number, message: RegExp]> = [
    ['@group', '@group(0) var s: sampler;', 1, /@group is the harness's/],
    ['@binding', '@ binding(1) var t: texture_2d<f32>;', 1, /@binding is the harness's/],
    ['@compute', '@compute fn main() {}', 1, /@compute is the harness's/],
    ['@workgroup_size', '@workgroup_size(64) fn f() {}', 1, /@workgroup_size is the harness's/],
    ['@vertex', '  @vertex fn v() -> @builtin(position) vec4f { return vec4f(); }', 3, /@vertex/],
    ['@fragment', '@fragment fn f() {}', 1, /@fragment is the harness's/],
    ['var<uniform>', 'var<uniform> u: f32;', 1, /var<uniform> is not allowed/],
    ['var<workgroup>', 'var < workgroup > w: f32;', 1, /var<workgroup> is not allowed/],
    ['var<private>', 'var<private> state: u32;', 1, /var<private> is not allowed: it would carry/],
    ['enable', 'enable f16;', 1, /the enable directive is not allowed/],
    ['requires', 'requires readonly_and_readwrite_storage_textures;', 1, /requires directive/],
    ['diagnostic', 'diagnostic(off, derivative_uniformity);', 1, /diagnostic directive/],
    ['a tessera_ name', 'const tessera_x = 1.0;', 7, /tessera_x: names starting with tessera_/],
    ['fn uniform', 'fn uniform() -> f32 { return 0.5; }', 4, /uniform is the harness's/],
    ['const random_u32', 'const random_u32 = 3u;', 7, /random_u32 is the harness's/],
    ['while (true) {}', '  while (true) {}', 3, /this loop never ends/],
    ['while true with a nested block', 'while true { if (x) { y(); } }', 1, /never ends/],
    ['for (;;)', 'for (var i = 0; ; i++) { i += 1; }', 1, /this loop never ends/],
    ['a uniform parameter', 'fn g(a: f32, uniform: f32) -> f32 { return a; }', 14, /uniform is/],
  ];
  for (const [what, line, column, message] of refusals) {
    test(`refuses ${what} at its line and column`, () => {
      // On line 3, after a good sample() on line 1 and a blank line 2.
      const problem = onlyProblem(`${SAMPLE1}\n\n${line}\n`);
      assert.match(problem, new RegExp(`^3:${column} `));
      assert.match(problem, message);
    });
  }

  test('the storage refusal and its binding refusals all come back, in source order', () => {
    const problems = checkSourceShape(
      `${SAMPLE1}\n@group(0) @binding(0) var<storage, read> d: array<f32>;`,
      1,
    );
    assert.deepEqual(
      problems.map((p) => `${p.line}:${p.column}`),
      ['2:1', '2:11', '2:23'],
    );
  });

  test('ignores what only comments say; allows calls, look-alike names and loops that exit', () => {
    const source = [
      '/* @group(0) var<storage> x /* nested */ still a comment */',
      '// @compute tessera_ enable',
      'fn my_uniform() -> f32 { return uniform(); }',
      'fn enabled(x: f32) -> f32 { return x; }',
      'fn sample() -> array<f32, 1> {',
      '  var<function> t = my_uniform();',
      '  while (true) { if (t > 0.5) { break; } t = my_uniform(); }',
      '  for (var i = 0; ; i++) { if (i > 3) { return array<f32, 1>(t); } }',
      '  for (var i = 0; i < 3; i++) { t += 1.0; }',
      '  let diagnostic = enabled(t);',
      '  return array<f32, 1>(diagnostic + f32(random_u32() >> 9u));',
      '}',
    ].join('\n');
    assert.deepEqual(checkSourceShape(source, 1), []);
  });

  test('blankComments keeps every position and newline', () => {
    const source = 'a /* b\n c */ d // e\nf';
    const blanked = blankComments(source);
    assert.equal(blanked.length, source.length);
    assert.equal(blanked, 'a     \n      d     \nf');
  });
});
