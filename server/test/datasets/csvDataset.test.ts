// The CSV upload parser: what a researcher's file becomes, and every refusal with its place.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CsvDatasetParser,
  CsvProblem,
  MAX_DATASET_FEATURES,
  parseCsvDataset,
} from '../../src/datasets/csvDataset';
import {
  datasetIdOf,
  decodeDataset,
  encodeDataset,
  contentOf,
  featureStatistics,
} from '../../src/datasets/datasetCodec';
import { holdoutSizes, standardize, trainTestOf } from '../../src/datasets/uploadedSets';

function refusal(text: string): CsvProblem {
  try {
    parseCsvDataset(text);
  } catch (error) {
    assert.ok(error instanceof CsvProblem, String(error));
    return error;
  }
  assert.fail('the file was accepted');
}

describe('CSV datasets', () => {
  test('a labeled file: features as float32, labels as bytes, classes = max label + 1', () => {
    const csv = parseCsvDataset('x,y,label\n1,2.5,0\n-3,4e-1,2\r\n\n"5", 6 ,1\n');
    assert.deepEqual(csv.columns, ['x', 'y']);
    assert.equal(csv.rows, 3);
    assert.deepEqual(Array.from(csv.features), [1, 2.5, -3, Math.fround(0.4), 5, 6]);
    assert.deepEqual(Array.from(csv.labels!), [0, 2, 1]);
    assert.equal(csv.classes, 3);
  });

  test('the label column may be anywhere: first (as MNIST CSVs have it) is the same dataset as last', () => {
    const last = parseCsvDataset('x,y,label\n1,2.5,0\n-3,4e-1,2\n5,6,1\n');
    for (const text of [
      'label,x,y\n0,1,2.5\n2,-3,4e-1\n1,5,6\n',
      'x,LABEL,y\n1,0,2.5\n-3,2,4e-1\n5,1,6\n',
    ]) {
      const csv = parseCsvDataset(text);
      assert.deepEqual(csv.columns, ['x', 'y']);
      assert.deepEqual(Array.from(csv.features), Array.from(last.features));
      assert.deepEqual(Array.from(csv.labels!), [0, 2, 1]);
      assert.equal(csv.classes, 3);
      assert.equal(
        datasetIdOf(encodeDataset(contentOf(csv))),
        datasetIdOf(encodeDataset(contentOf(last))),
      );
    }
  });

  test('without a label column the file is unlabeled', () => {
    const csv = parseCsvDataset('\uFEFFa,b\n1,2\n3,4');
    assert.equal(csv.labels, null);
    assert.equal(csv.classes, 0);
    assert.deepEqual(Array.from(csv.features), [1, 2, 3, 4]);
  });

  test('chunks split anywhere, even inside a UTF-8 character, give the same dataset', () => {
    const text = 'größe,label\n1,0\n2,1\n3,1\n';
    const bytes = new TextEncoder().encode(text);
    const whole = parseCsvDataset(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const parser = new CsvDatasetParser();
      parser.push(bytes.subarray(0, cut));
      parser.push(bytes.subarray(cut));
      const parsed = parser.end();
      assert.deepEqual(parsed.columns, whole.columns);
      assert.deepEqual(Array.from(parsed.features), Array.from(whole.features));
      assert.deepEqual(Array.from(parsed.labels!), Array.from(whole.labels!));
    }
  });

  test('refusals name the line and column', () => {
    const cases: Array<[string, number, number | null, RegExp]> = [
      ['', 1, null, /empty/],
      ['a,b\n', 1, null, /no rows/],
      ['1,2\n3,4\n', 1, null, /header/],
      ['a,b\n1,x\n', 2, 2, /not a number/],
      ['a,b\n1,\n', 2, 2, /empty cell/],
      ['a,b\n1,2,3\n', 2, null, /3 cells, the header has 2/],
      ['a,b\n1\n', 2, null, /1 cells/],
      ['a,b\n1,0x10\n', 2, 2, /not a number/],
      ['a,b\n1,Infinity\n', 2, 2, /not a number/],
      ['a,b\n1,1e39\n', 2, 2, /float32/],
      ['a,label\n1,0\n2,1.5\n', 3, 2, /integer class/],
      ['a,label\n1,0\n2,-1\n', 3, 2, /integer class/],
      ['a,label\n1,0\n2,256\n', 3, 2, /integer class/],
      ['a,label\n1,0\n2,0\n', 1, 2, /at least 2 classes/],
      ['label,a,Label\n1,0,0\n', 1, 3, /second column named label/],
      ['label,a\n0,1\n0,2\n', 1, 1, /at least 2 classes/],
      ['a,label,b\n1,0,2\n3,x,4\n', 3, 2, /not a number/],
      ['a,,b\n1,2,3\n', 1, 2, /no name/],
      ['a,b\n1,"2\n', 2, 2, /unterminated quote/],
    ];
    for (const [text, line, column, message] of cases) {
      const problem = refusal(text);
      assert.equal(problem.line, line, `${JSON.stringify(text)}: ${problem.message}`);
      assert.equal(problem.column, column, `${JSON.stringify(text)}: ${problem.message}`);
      assert.match(problem.message, message);
    }
  });

  test('too many columns are refused at the header', () => {
    const header = Array.from({ length: MAX_DATASET_FEATURES + 1 }, (_, i) => `f${i}`).join(',');
    assert.match(refusal(`${header}\n`).message, /feature columns/);
  });

  test('bytes round-trip, and the id is the content: names and formatting do not matter', () => {
    const a = contentOf(parseCsvDataset('x,y,label\n1,2,0\n3,4,1\n'));
    const b = contentOf(parseCsvDataset('p , q,label\r\n1.0,2e0,0\r\n3,4.000,1\r\n'));
    const bytes = encodeDataset(a);
    assert.equal(datasetIdOf(bytes), datasetIdOf(encodeDataset(b)));
    assert.match(datasetIdOf(bytes), /^ds-[0-9a-f]{24}$/);
    const back = decodeDataset(bytes);
    assert.deepEqual(Array.from(back.values), Array.from(a.values));
    assert.deepEqual(Array.from(back.labels!), [0, 1]);
    const c = contentOf(parseCsvDataset('x,y,label\n1,2,0\n3,4,0\n5,5,1\n'));
    assert.notEqual(datasetIdOf(encodeDataset(c)), datasetIdOf(bytes));
  });

  test('standardisation: each column to mean 0 and deviation 1; constant columns kept finite', () => {
    const content = contentOf(parseCsvDataset('a,b,label\n1,7,0\n3,7,1\n5,7,1\n'));
    const stats = featureStatistics(content);
    assert.deepEqual(stats.mean, [3, 7]);
    assert.equal(stats.std[1], 1);
    const z = standardize(content.values, 2, stats);
    assert.ok(Math.abs(z[0]! + Math.sqrt(1.5)) < 1e-6);
    assert.equal(z[1], 0);
  });

  test('the held-out split is a fifth of the rows, fixed, and disjoint from training', () => {
    const rows = 103;
    const text =
      'a,label\n' + Array.from({ length: rows }, (_, n) => `${n},${n % 3}`).join('\n') + '\n';
    const content = contentOf(parseCsvDataset(text));
    const stats = { mean: [0], std: [1] };
    const first = trainTestOf(content, stats);
    const again = trainTestOf(content, stats);
    assert.equal(first.test.count, 21);
    assert.equal(first.train.count, 82);
    assert.deepEqual(Array.from(first.test.features), Array.from(again.test.features));
    const seen = new Set([...first.train.features, ...first.test.features]);
    assert.equal(seen.size, rows);
    assert.deepEqual(holdoutSizes(2), { train: 1, test: 1 });
  });
});
