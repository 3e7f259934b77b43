// A researcher's `.npy` upload (NumPy's own format, what Python users have), parsed as it
// streams in: one 2-D array, rows x columns, of little-endian float32 or float64 (`<f4`, `<f8`)
// in C order. With a label column (`last`, as `np.save(f, np.column_stack([X, y]))` writes
// them; `first`; or a 0-based column index) that column holds the integer classes 0..255;
// without one every column is a feature and the dataset is unlabeled. The result is what the
// CSV parser gives (csvDataset.ts), so the rest of the pipeline (content id, statistics,
// training, inference) does not know the format.
// Refusals name the row and column (1-based) of a bad value: NaN, infinite, outside float32's
// range, a label that is not an integer class.
import type { NpyLabelColumn } from '@tessera/shared/api/datasetSchemas';
import { MAX_CLASSES } from '@tessera/shared/kinds/gradient/gradientModel';
import {
  CsvProblem,
  MAX_DATASET_FEATURES,
  MAX_DATASET_ROWS,
  MAX_DATASET_VALUES,
  type ParsedCsv,
} from './csvDataset';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const FLOAT32_MAX = 3.4028234663852886e38;

/** A refusal in an .npy file: row and column 1-based, row 0 the header. */
function problem(row: number, column: number | null, text: string): CsvProblem {
  return new CsvProblem(row, column, text, 'row');
}

interface Header {
  itemBytes: 4 | 8;
  rows: number;
  columns: number;
}

function parseHeader(text: string): Header {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) {
    throw problem(0, null, 'not a NumPy header (descr, fortran_order, shape)');
  }
  if (descr !== '<f4' && descr !== '<f8') {
    throw problem(0, null, `dtype ${descr}: save float32 or float64 (np.float32)`);
  }
  if (fortran === 'True') throw problem(0, null, 'Fortran order: save a C-order array');
  const dims = shape
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
    .map(Number);
  if (dims.length !== 2 || dims.some((d) => !Number.isSafeInteger(d))) {
    throw problem(0, null, `shape (${shape}): a 2-D array of rows x columns is needed`);
  }
  return { itemBytes: descr === '<f4' ? 4 : 8, rows: dims[0]!, columns: dims[1]! };
}

/** Parses an .npy body arriving in chunks. */
export class NpyDatasetParser {
  private head: Uint8Array = new Uint8Array(0);
  private header: Header | null = null;
  private carry: Uint8Array = new Uint8Array(0);
  private values: Float32Array | null = null;
  private labels: Uint8Array | null = null;
  private index = 0;
  private maxLabel = -1;
  /** The label column's index once the header is read; -1 when the array is unlabeled. */
  private labelAt = -1;

  /** `labelColumn`: where the labels are, or null for an unlabeled array. */
  constructor(private readonly labelColumn: NpyLabelColumn | null) {}

  push(chunk: Uint8Array): void {
    if (!this.header) {
      this.head = concat(this.head, chunk);
      const body = this.readHeader();
      if (!body) return;
      chunk = body;
    }
    const item = this.header!.itemBytes;
    const bytes = this.carry.length > 0 ? concat(this.carry, chunk) : chunk;
    const whole = bytes.length - (bytes.length % item);
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    for (let at = 0; at < whole; at += item) {
      this.take(item === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true));
    }
    this.carry = bytes.slice(whole);
  }

  end(): ParsedCsv {
    if (!this.header) throw problem(0, null, 'the file ends inside its header');
    const { rows, columns } = this.header;
    if (this.index !== rows * columns || this.carry.length > 0) {
      throw problem(
        0,
        null,
        `the header promises ${rows} x ${columns} values, the file holds ${this.index}`,
      );
    }
    const labeled = this.labelAt >= 0;
    const features = labeled ? columns - 1 : columns;
    if (labeled && this.maxLabel + 1 < 2) {
      throw problem(
        1,
        this.labelAt + 1,
        'every label is 0: a labeled dataset needs at least 2 classes',
      );
    }
    return {
      columns: Array.from({ length: features }, (_, j) => `x${j}`),
      rows,
      features: this.values!,
      labels: this.labels,
      classes: labeled ? this.maxLabel + 1 : 0,
    };
  }

  /** The data after the header once it is all in, else null. */
  private readHeader(): Uint8Array | null {
    const h = this.head;
    if (h.length < 10) return null;
    if (!MAGIC.every((b, i) => h[i] === b)) throw problem(0, null, 'not a .npy file');
    const major = h[6]!;
    const lengthBytes = major === 1 ? 2 : 4;
    if (h.length < 8 + lengthBytes) return null;
    const view = new DataView(h.buffer, h.byteOffset, h.length);
    const length = lengthBytes === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
    if (length > 1 << 16) throw problem(0, null, 'the header is longer than 64 KiB');
    const start = 8 + lengthBytes;
    if (h.length < start + length) return null;
    const header = parseHeader(new TextDecoder('latin1').decode(h.subarray(start, start + length)));
    this.labelAt = labelIndex(this.labelColumn, header.columns);
    const features = this.labelAt >= 0 ? header.columns - 1 : header.columns;
    if (features < 1) throw problem(0, null, 'no feature columns');
    if (features > MAX_DATASET_FEATURES) {
      throw problem(0, null, `more than ${MAX_DATASET_FEATURES} feature columns`);
    }
    if (header.rows < 1) throw problem(0, null, 'the array has no rows');
    if (header.rows > MAX_DATASET_ROWS)
      throw problem(0, null, `more than ${MAX_DATASET_ROWS} rows`);
    if (header.rows * features > MAX_DATASET_VALUES) {
      throw problem(0, null, `more than ${MAX_DATASET_VALUES} feature values (rows x columns)`);
    }
    this.header = header;
    this.values = new Float32Array(header.rows * features);
    this.labels = this.labelAt >= 0 ? new Uint8Array(header.rows) : null;
    return h.slice(start + length);
  }

  private take(value: number): void {
    const { rows, columns } = this.header!;
    if (this.index >= rows * columns) {
      throw problem(0, null, `more data than the header's ${rows} x ${columns}`);
    }
    const row = Math.floor(this.index / columns);
    const column = this.index % columns;
    this.index++;
    if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
      throw problem(row + 1, column + 1, `${value} is not a finite float32`);
    }
    if (column === this.labelAt) {
      if (!Number.isInteger(value) || value < 0 || value >= MAX_CLASSES) {
        throw problem(
          row + 1,
          column + 1,
          `a label is an integer class 0..${MAX_CLASSES - 1}, got ${value}`,
        );
      }
      this.labels![row] = value;
      if (value > this.maxLabel) this.maxLabel = value;
      return;
    }
    if (this.labelAt < 0) this.values![row * columns + column] = value;
    else this.values![row * (columns - 1) + column - (column > this.labelAt ? 1 : 0)] = value;
  }
}

/** The label column's index in an array of `columns` columns; -1 for none. */
function labelIndex(label: NpyLabelColumn | null, columns: number): number {
  if (label === null) return -1;
  if (label === 'first') return 0;
  if (label === 'last') return columns - 1;
  if (!Number.isSafeInteger(label) || label < 0 || label >= columns) {
    throw problem(
      0,
      null,
      `label column ${label}: the array has ${columns} columns (0..${columns - 1})`,
    );
  }
  return label;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
