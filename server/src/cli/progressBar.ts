// The live progress of `tessera submit --wait`: on a terminal one line redrawn in place (bar,
// units validated / total, percentage, for a gradient workload its step, training loss and
// held-out accuracy, ETA); elsewhere (a log, CI) a plain line now and then, so logs stay readable.
import type { WorkloadView } from '@tessera/shared';
import { EtaEstimator, formatDuration } from './eta';
import type { Output } from './output';
import { trainingParts, type TrainingProgress } from './trainingText';

/** Plain mode prints a line at most this often while progress changes... */
export const PLAIN_LINE_MIN_INTERVAL_MS = 5_000;
/** ...and at least this often when it does not, so a log shows the wait is alive. */
export const PLAIN_LINE_MAX_INTERVAL_MS = 30_000;

const BAR_MAX = 30;
const BAR_MIN = 10;
const CLEAR_TO_END = '\x1b[K';

export function percent(fraction: number): string {
  return `${(Math.min(1, Math.max(0, fraction)) * 100).toFixed(1)}%`;
}

export function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

/** What stands where the ETA goes: a time, or why there is none yet. */
export function etaWords(view: WorkloadView, etaMs: number | null): string {
  switch (view.status) {
    case 'completed':
      return 'done';
    case 'failed':
    case 'cancelled':
      return view.status;
    case 'queued':
    case 'running':
      if (etaMs !== null) return `ETA ${formatDuration(etaMs)}`;
      return view.progress.unitsInFlight > 0 || view.progress.unitsValidated > 0
        ? 'ETA …'
        : 'waiting for volunteers';
  }
}

/**
 * One line: `[████░░░░]  12/40 units  30.0%  ETA 1m 05s`, with `step 6/20  loss 0.512  acc 0.8123`
 * before the ETA when training figures are given; the bar shrunk to fit `columns`.
 */
export function progressLine(
  view: WorkloadView,
  etaMs: number | null,
  columns = 80,
  training: TrainingProgress | null = null,
): string {
  const { unitsValidated, unitsTotal, fraction } = view.progress;
  const figures = training
    ? trainingParts(training, true)
        .map((part) => `  ${part}`)
        .join('')
    : '';
  const tail = `  ${unitsValidated}/${unitsTotal} units  ${percent(fraction)}${figures}  ${etaWords(view, etaMs)}`;
  const room = columns - tail.length - 3;
  if (room < BAR_MIN) return tail.trimStart().slice(0, Math.max(0, columns - 1));
  return `${bar(fraction, Math.min(BAR_MAX, room))}${tail}`;
}

/**
 * A line for logs: `12:00:05 running 12/40 units (30.0%), ETA 1m 05s`, with
 * `, step 6/20, loss 0.512, accuracy 0.8123` before the ETA when training figures are given.
 */
export function plainLine(
  view: WorkloadView,
  etaMs: number | null,
  at: number,
  training: TrainingProgress | null = null,
): string {
  const time = new Date(at).toISOString().slice(11, 19);
  const { unitsValidated, unitsTotal, fraction } = view.progress;
  const figures = training
    ? trainingParts(training)
        .map((part) => `, ${part}`)
        .join('')
    : '';
  return `${time} ${view.status} ${unitsValidated}/${unitsTotal} units (${percent(fraction)})${figures}, ${etaWords(view, etaMs)}`;
}

export class ProgressReporter {
  private readonly eta = new EtaEstimator();
  private lastPlainAt: number | null = null;
  private lastPlainValidated = -1;
  private drawn = false;

  constructor(
    private readonly out: Output,
    private readonly now: () => number,
  ) {}

  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  /** Shows `view`, and for a gradient workload where its training stands (null: not known yet). */
  update(view: WorkloadView, training: TrainingProgress | null = null): void {
    const at = this.now();
    this.eta.observe(at, view.progress.unitsValidated);
    const etaMs = this.eta.etaMs(view.progress.unitsTotal);
    if (this.interactive) {
      this.out.write(
        `\r${progressLine(view, etaMs, this.out.columns || 80, training)}${CLEAR_TO_END}`,
      );
      this.drawn = true;
      return;
    }
    const since = this.lastPlainAt === null ? Infinity : at - this.lastPlainAt;
    const changed = view.progress.unitsValidated !== this.lastPlainValidated;
    const ended = view.status !== 'queued' && view.status !== 'running';
    if (
      ended ||
      since >= PLAIN_LINE_MAX_INTERVAL_MS ||
      (changed && since >= PLAIN_LINE_MIN_INTERVAL_MS)
    ) {
      this.out.write(`${plainLine(view, etaMs, at, training)}\n`);
      this.lastPlainAt = at;
      this.lastPlainValidated = view.progress.unitsValidated;
    }
  }

  /** Prints a message on its own line without breaking the bar (which is redrawn next update). */
  note(message: string): void {
    this.finish();
    this.out.write(`${message}\n`);
  }

  /** Ends the bar's line so what follows starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
