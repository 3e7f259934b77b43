// The progress of `tessera dataset upload` on a terminal: one line redrawn in place, bytes sent
// of the file's size (`[████░░░░]  12.3 MiB / 45.6 MiB  27.0%`). Elsewhere (a log, CI) nothing is
// drawn: the summary line at the end says what arrived.
import { formatBytes } from './datasetText';
import type { Output } from './output';
import { bar, percent } from './progressBar';

/** The line is redrawn at most this often while bytes flow (a chunk is 64 KiB: thousands). */
export const UPLOAD_REDRAW_MIN_INTERVAL_MS = 100;

const BAR_MAX = 30;
const BAR_MIN = 10;
const CLEAR_TO_END = '\x1b[K';

/** `[████░░░░]  12.3 MiB / 45.6 MiB  27.0%`, the bar shrunk to fit `columns` (or left out). */
export function uploadLine(sent: number, total: number, columns = 80): string {
  const fraction = total > 0 ? sent / total : 1;
  const tail = `  ${formatBytes(sent)} / ${formatBytes(total)}  ${percent(fraction)}`;
  const room = columns - tail.length - 3;
  if (room < BAR_MIN) return tail.trimStart().slice(0, Math.max(0, columns - 1));
  return `${bar(fraction, Math.min(BAR_MAX, room))}${tail}`;
}

export class UploadProgress {
  private lastDrawnAt: number | null = null;
  private drawn = false;

  constructor(
    private readonly out: Output,
    private readonly total: number,
    private readonly now: () => number,
  ) {}

  /** Shows that `sent` bytes have gone; the last one (all of them) is always drawn. */
  update(sent: number): void {
    if (this.out.isTTY !== true) return;
    const at = this.now();
    const due = this.lastDrawnAt === null || at - this.lastDrawnAt >= UPLOAD_REDRAW_MIN_INTERVAL_MS;
    if (!due && sent < this.total) return;
    this.out.write(`\r${uploadLine(sent, this.total, this.out.columns || 80)}${CLEAR_TO_END}`);
    this.lastDrawnAt = at;
    this.drawn = true;
  }

  /** Ends the bar's line so what follows starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
