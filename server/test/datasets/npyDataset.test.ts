// The .npy upload parser: NumPy's format as Python writes it (np.save), streamed in any chunks,
// giving what the CSV parser gives for the same numbers (so the same content id), and refusing
// what it cannot take with the row and column.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvProblem, parseCsvDataset } from '../../src/datasets/csvDataset';
import { contentOf, datasetIdOf, encodeDataset } from '../../src/datasets/datasetCodec';
import type { NpyLabelColumn } from '@tessera/shared/api/datasetSchemas';
import { NpyDatasetParser } from '../../src/datasets/npyDataset';
import { npyBytes } from '../support/npyFile';

type Labels = NpyLabelColumn | null;

function parse(bytes: Uint8Array, labelColumn: Labels, chunk = bytes.length) {
  const parser = new NpyDatasetParser(labelColumn);
  for (let at = 0; at < bytes.length; at += chunk) parser.push(bytes.subarray(at, at + chunk));
  return parser.end();
}

function refusal(bytes: Uint8Array, labelColumn: Labels = null): CsvProblem {
  try {
    parse(bytes, labelColumn);
  } catch (error) {
    assert.ok(error instanceof CsvProblem, String(error));
    return error;
  }
  assert.fail('the file was accepted');
}

const ROWS = [
  [1, 2.5, 0],
  [-3, 0.25, 2],
  [5, 6, 1],
];

describe('.npy datasets', () => {
  test('float32 and float64, any chunking: the same dataset as the same numbers in a CSV', () => {
    const csv = contentOf(parseCsvDataset('a,b,label\n1,2.5,0\n-3,0.25,2\n5,6,1\n'));
    const id = datasetIdOf(encodeDataset(csv));
    for (const dtype of ['<f4', '<f8'] as const) {
      for (const chunk of [1, 3, 7, 64, 1000]) {
        const parsed = parse(npyBytes(ROWS, dtype), 'last', chunk);
        assert.equal(parsed.rows, 3);
        assert.deepEqual(parsed.columns, ['x0', 'x1']);
        assert.deepEqual(Array.from(parsed.labels!), [0, 2, 1]);
        assert.equal(parsed.classes, 3);
        assert.equal(datasetIdOf(encodeDataset(contentOf(parsed))), id, `${dtype} in ${chunk}s`);
      }
    }
  });

  test('the labels may be the first column or any column by its 0-based index', () => {
    const csv = contentOf(parseCsvDataset('a,b,label\n1,2.5,0\n-3,0.25,2\n5,6,1\n'));
    const id = datasetIdOf(encodeDataset(csv));
    const moved = (at: number) =>
      ROWS.map(([a, b, label]) => {
        const row = [a!, b!];
        row.splice(at, 0, label!);
        return row;
      });
    const cases: Array<[number[][], NpyLabelColumn]> = [
      [moved(0), 'first'],
      [moved(0), 0],
      [moved(1), 1],
      [moved(2), 2],
      [moved(2), 'last'],
    ];
    for (const [rows, column] of cases) {
      for (const chunk of [1, 5, 1000]) {
        const parsed = parse(npyBytes(rows), column, chunk);
        assert.deepEqual(Array.from(parsed.labels!), [0, 2, 1], `${column} in ${chunk}s`);
        assert.deepEqual(Array.from(parsed.features), [1, 2.5, -3, 0.25, 5, 6]);
        assert.equal(datasetIdOf(encodeDataset(contentOf(parsed))), id, `${column}`);
      }
    }
    // A bad label names its own column, wherever it is.
    assert.match(
      refusal(npyBytes(moved(1).map((r, i) => (i === 1 ? [r[0]!, 0.5, r[2]!] : r))), 1).message,
      /^row 2, column 2: a label is an integer/,
    );
    assert.match(refusal(npyBytes(ROWS), 3).message, /label column 3: the array has 3 columns/);
  });

  test('without labelColumn every column is a feature', () => {
    const parsed = parse(npyBytes(ROWS), null, 5);
    assert.equal(parsed.labels, null);
    assert.equal(parsed.columns.length, 3);
    assert.deepEqual(Array.from(parsed.features.subarray(0, 3)), [1, 2.5, 0]);
  });

  test('refusals name the row and column, or the header', () => {
    const whole = npyBytes([
      [1, 0],
      [2, 1],
    ]);
    const truncated = whole.subarray(0, whole.length - 3);
    const cases: Array<[Uint8Array, Labels, RegExp]> = [
      [
        new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
        null,
        /^\.npy header: not a \.npy file/,
      ],
      [
        npyBytes(ROWS, '<f4', "{'descr': '<i8', 'fortran_order': False, 'shape': (3, 3), }"),
        null,
        /dtype <i8/,
      ],
      [
        npyBytes(ROWS, '<f4', "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 3), }"),
        null,
        /Fortran/,
      ],
      [
        npyBytes(ROWS, '<f4', "{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }"),
        null,
        /2-D/,
      ],
      [
        npyBytes([
          [1, 2],
          [3, Number.NaN],
        ]),
        null,
        /^row 2, column 2: NaN/,
      ],
      [
        npyBytes([
          [1, 0],
          [3, 1.5],
        ]),
        'last',
        /^row 2, column 2: a label is an integer/,
      ],
      [
        npyBytes([
          [1, 0],
          [3, 0],
        ]),
        'last',
        /at least 2 classes/,
      ],
      [truncated, 'last', /promises 2 x 2 values/],
      [
        npyBytes([
          [1, 0],
          [2, 1],
        ]).subarray(0, 40),
        'last',
        /ends inside its header/,
      ],
    ];
    for (const [bytes, labels, message] of cases) {
      assert.match(refusal(bytes, labels).message, message, String(message));
    }
  });
});
