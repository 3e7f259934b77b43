// A plain-text table for a terminal: a header row, columns padded to their widest cell and two
// spaces apart, the last column left unpadded (no trailing blanks).
export function textTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return (
    [header, ...rows]
      .map((cells) =>
        cells
          .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
          .join('  '),
      )
      .join('\n') + '\n'
  );
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
