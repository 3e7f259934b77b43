// A researcher's CSV upload parsed as it streams in (DESIGN.md section 3, "Researchers' own
// data"): a header row of column names, numeric feature columns, and optionally one column
// named `label`, at any place (last, or first as MNIST's CSV files have it), holding integer
// classes 0..C-1 (without it the dataset is unlabeled, for inference). Nothing is kept but the
// numbers: features as float32 (what every model reads), labels as one byte each (MAX_CLASSES =
// 256).
//
// Refusals name the line and column (1-based; the header is line 1): a cell that is not a
// decimal number (no hex, no Infinity/NaN, nothing past float32's range), an empty cell, a row
// with more or fewer cells than the header, a label that is not an integer in 0..255, two
// columns named label, a header that is all numbers (the file has none), an empty file,
// and the caps below. Blank lines are skipped; a UTF-8 byte-order mark and CRLF endings are
// fine. Cells may be double-quoted ("1.5", "petal ""width"""), within one line.
import { MAX_CLASSES } from '@tessera/shared/kinds/gradient/gradientModel';

/** Feature columns at most (MAX_HIDDEN-sized first layers stay trainable in a tab). */
export const MAX_DATASET_FEATURES = 4_096;
export const MAX_DATASET_ROWS = 1_000_000;
/** Feature values at most (rows x features): 2^25 float32 = 128 MiB. */
export const MAX_DATASET_VALUES = 1 << 25;
/** Column names longer than this are refused (they are shown on pages). */
const MAX_NAME_LENGTH = 200;

export interface ParsedCsv {
  /** Feature column names, in file order (the label column left out). */
  columns: string[];
  rows: number;
  /** Row-major, rows x columns.length. */
  features: Float32Array;
  /** One class per row when the file has a label column; null when unlabeled. */
  labels: Uint8Array | null;
  /** max label + 1 (0 when unlabeled). */
  classes: number;
}

/**
 * A refusal at a place in an upload: a CSV's line (the header is line 1) or an .npy array's row
 * (0: its header), and the column, both 1-based.
 */
export class CsvProblem extends Error {
  /** `line 3, column 2`, `row 5`, `.npy header`. */
  readonly place: string;
  constructor(
    readonly line: number,
    readonly column: number | null,
    readonly problem: string,
    unit: 'line' | 'row' = 'line',
  ) {
    const place =
      unit === 'row' && line === 0
        ? '.npy header'
        : column === null
          ? `${unit} ${line}`
          : `${unit} ${line}, column ${column}`;
    super(`${place}: ${problem}`);
    this.place = place;
    this.name = 'CsvProblem';
  }
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;

/** The cells of one line (quotes resolved), or a problem with the column it is at. */
function splitCells(text: string, line: number): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new CsvProblem(line, cells.length + 1, 'unterminated quote');
        cell += text.slice(i, quote);
        i = quote + 1;
        if (text[i] === '"') {
          cell += '"';
          i++;
        } else break;
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i < text.length && text[i] !== ',') {
        throw new CsvProblem(line, cells.length + 1, 'text after a closing quote');
      }
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? text.length : comma;
      cell = text.slice(i, end).trim();
      i = end;
    }
    cells.push(cell);
    if (i >= text.length) return cells;
    i++; // the comma
  }
}

function parseNumber(cell: string, line: number, column: number): number {
  if (cell === '') throw new CsvProblem(line, column, 'empty cell');
  if (!DECIMAL.test(cell))
    throw new CsvProblem(line, column, `not a number: ${JSON.stringify(cell.slice(0, 40))}`);
  const value = Number(cell);
  if (!Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
    throw new CsvProblem(line, column, `${cell.slice(0, 40)} is outside float32's range`);
  }
  return value;
}

/** Growable float32 storage in blocks, so a large upload never copies as it grows. */
class FloatBlocks {
  private readonly blocks: Float32Array[] = [];
  private current = new Float32Array(1 << 16);
  private used = 0;
  length = 0;

  push(value: number): void {
    if (this.used === this.current.length) {
      this.blocks.push(this.current);
      this.current = new Float32Array(1 << 16);
      this.used = 0;
    }
    this.current[this.used++] = value;
    this.length++;
  }

  toArray(): Float32Array {
    const out = new Float32Array(this.length);
    let at = 0;
    for (const block of this.blocks) {
      out.set(block, at);
      at += block.length;
    }
    out.set(this.current.subarray(0, this.used), at);
    return out;
  }
}

/** Parses CSV text arriving in chunks (an HTTP body, a file stream). */
export class CsvDatasetParser {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private pending = '';
  private line = 0;
  private header: string[] | null = null;
  /** The label column's index in the file, or -1 when the file is unlabeled. */
  private labelAt = -1;
  private readonly values = new FloatBlocks();
  private labels = new Uint8Array(1024);
  private rows = 0;
  private maxLabel = -1;

  /** Feeds the next chunk of the body. */
  push(chunk: Uint8Array | string): void {
    let text: string;
    try {
      text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    } catch {
      throw new CsvProblem(this.line + 1, null, 'the file is not UTF-8 text');
    }
    this.pending += text;
    let start = 0;
    for (;;) {
      const newline = this.pending.indexOf('\n', start);
      if (newline < 0) break;
      this.takeLine(this.pending.slice(start, newline));
      start = newline + 1;
    }
    this.pending = this.pending.slice(start);
    if (this.pending.length > 1 << 20) {
      throw new CsvProblem(this.line + 1, null, 'a line longer than 1 MiB');
    }
  }

  /** The whole file is in: the parsed dataset. */
  end(): ParsedCsv {
    try {
      this.pending += this.decoder.decode();
    } catch {
      throw new CsvProblem(this.line + 1, null, 'the file is not UTF-8 text');
    }
    if (this.pending !== '') this.takeLine(this.pending);
    this.pending = '';
    if (!this.header) throw new CsvProblem(1, null, 'the file is empty');
    if (this.rows === 0) throw new CsvProblem(this.line, null, 'the file has a header but no rows');
    const labeled = this.labelAt >= 0;
    const classes = labeled ? this.maxLabel + 1 : 0;
    if (labeled && classes < 2) {
      throw new CsvProblem(
        1,
        this.labelAt + 1,
        'every label is 0: a labeled dataset needs at least 2 classes',
      );
    }
    return {
      columns: this.header.filter((_, i) => i !== this.labelAt),
      rows: this.rows,
      features: this.values.toArray(),
      labels: labeled ? this.labels.slice(0, this.rows) : null,
      classes,
    };
  }

  private takeLine(raw: string): void {
    this.line++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.line === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
    if (text.trim() === '') return;
    const cells = splitCells(text, this.line);
    if (!this.header) {
      this.takeHeader(cells);
      return;
    }
    if (cells.length !== this.header.length) {
      throw new CsvProblem(
        this.line,
        null,
        `${cells.length} cells, the header has ${this.header.length}`,
      );
    }
    if (this.rows >= MAX_DATASET_ROWS) {
      throw new CsvProblem(this.line, null, `more than ${MAX_DATASET_ROWS} rows`);
    }
    const features = this.labelAt >= 0 ? cells.length - 1 : cells.length;
    if (this.values.length + features > MAX_DATASET_VALUES) {
      throw new CsvProblem(
        this.line,
        null,
        `more than ${MAX_DATASET_VALUES} feature values (rows x columns)`,
      );
    }
    for (let c = 0; c < cells.length; c++) {
      if (c === this.labelAt) this.takeLabel(cells[c]!, c + 1);
      else this.values.push(parseNumber(cells[c]!, this.line, c + 1));
    }
    this.rows++;
  }

  private takeHeader(cells: string[]): void {
    const names = cells.map((c) => c.trim());
    names.forEach((name, i) => {
      if (name === '') throw new CsvProblem(this.line, i + 1, 'a column with no name');
      if (name.length > MAX_NAME_LENGTH) {
        throw new CsvProblem(this.line, i + 1, `a column name longer than ${MAX_NAME_LENGTH}`);
      }
    });
    if (names.every((n) => DECIMAL.test(n))) {
      throw new CsvProblem(
        this.line,
        null,
        'the first row must be a header of column names (it holds only numbers)',
      );
    }
    const isLabel = (n: string) => n.toLowerCase() === 'label';
    const labelAt = names.findIndex(isLabel);
    const again = names.findIndex((n, i) => i > labelAt && isLabel(n));
    if (labelAt >= 0 && again >= 0) {
      throw new CsvProblem(this.line, again + 1, 'a second column named label');
    }
    this.labelAt = labelAt;
    const features = labelAt >= 0 ? names.length - 1 : names.length;
    if (features < 1) throw new CsvProblem(this.line, null, 'no feature columns');
    if (features > MAX_DATASET_FEATURES) {
      throw new CsvProblem(this.line, null, `more than ${MAX_DATASET_FEATURES} feature columns`);
    }
    this.header = names;
  }

  private takeLabel(cell: string, column: number): void {
    const value = parseNumber(cell, this.line, column);
    if (!Number.isInteger(value) || value < 0 || value >= MAX_CLASSES) {
      throw new CsvProblem(
        this.line,
        column,
        `a label is an integer class 0..${MAX_CLASSES - 1}, got ${cell.slice(0, 40)}`,
      );
    }
    if (this.rows === this.labels.length) {
      const grown = new Uint8Array(this.labels.length * 2);
      grown.set(this.labels);
      this.labels = grown;
    }
    this.labels[this.rows] = value;
    if (value > this.maxLabel) this.maxLabel = value;
  }
}

/** Parses a whole CSV text (tests, small files). */
export function parseCsvDataset(text: string): ParsedCsv {
  const parser = new CsvDatasetParser();
  parser.push(text);
  return parser.end();
}
