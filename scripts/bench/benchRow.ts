// What every benchmark section returns and how main.ts prints it: one row per measured thing,
// rates derived from (work, seconds) so no section formats numbers its own way.

export interface BenchRow {
  /** What was measured, e.g. "WGSL, Dawn (google swiftshader)". */
  name: string;
  /** Work in one timed run, in `unit`s. */
  work: number;
  /** Natural unit of the work: "samples", "units", "requests". */
  unit: string;
  /** Wall time of one timed run (the fastest when repeated); NaN when the row was skipped. */
  seconds: number;
  /** This row's rate divided by the section's baseline rate, when the section has one. */
  relative?: number;
  /** Device, correctness check, why the row was skipped. */
  note: string;
  /** A wrong answer, not a slow one: printed loudly, and the bench exits non-zero. */
  problem?: string;
}

export interface BenchSection {
  /** Short name to run this section alone: `npm run bench -- <id>`. */
  id: string;
  title: string;
  run(): Promise<BenchRow[]>;
}

/**
 * The fastest of several timed runs. Other processes on a shared machine only ever slow a run
 * down, so the minimum is the best estimate of what the engine can do (as Python's timeit).
 */
export function fastest(seconds: readonly number[]): number {
  return Math.min(...seconds);
}

function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  const scales: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, prefix] of scales) {
    if (perSecond >= scale)
      return `${(perSecond / scale).toFixed(perSecond >= 100 * scale ? 0 : 1)}${prefix}`;
  }
  return perSecond.toFixed(1);
}

/** The section as an aligned text table. */
export function formatRows(title: string, rows: readonly BenchRow[]): string {
  const header = ['', 'work', 'seconds', 'rate', 'relative', 'note'];
  const body = rows.map((row) => [
    row.name,
    `${row.work.toLocaleString('en-US')} ${row.unit}`,
    Number.isFinite(row.seconds) ? row.seconds.toFixed(3) : '-',
    `${formatRate(row.work / row.seconds)} ${row.unit}/s`,
    row.relative === undefined
      ? ''
      : row.relative >= 0.1
        ? `${row.relative.toFixed(2)}x`
        : `1/${(1 / row.relative).toFixed(0)}`,
    row.problem ? `!!! ${row.problem} !!! ${row.note}` : row.note,
  ]);
  const widths = header.map((h, col) =>
    Math.max(h.length, ...body.map((cells) => cells[col]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, col) =>
        col === 0 || col === cells.length - 1
          ? cell.padEnd(widths[col]!)
          : cell.padStart(widths[col]!),
      )
      .join('  ')
      .trimEnd();
  return [`== ${title}`, line(header), ...body.map(line)].join('\n');
}
