// How the dashboard and workload pages write numbers: compact rates, durations a person reads
// at a glance, estimates with as many digits as their interval justifies, training figures.
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** 1234567 -> "1.2M"; below 10 000, the number itself with separators. */
export function compactNumber(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return Math.abs(x) < 10_000
    ? (Math.abs(x) < 10 ? oneDecimal : whole).format(x)
    : compact.format(x);
}

export function wholeNumber(x: number): string {
  return whole.format(x);
}

export function rate(x: number, unit: string): string {
  return `${compactNumber(x)} ${unit}/s`;
}

/** Seconds -> "42 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return '< 1 s';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** Decimal places that show an interval of this half-width to two significant digits. */
function decimalsFor(halfWidth: number): number {
  if (!(halfWidth > 0) || !Number.isFinite(halfWidth)) return 6;
  return Math.min(12, Math.max(0, 1 - Math.floor(Math.log10(halfWidth))));
}

/** An estimate and its 95% interval as "3.14159 ± 0.00042"; without an interval, 6 significant digits. */
export function estimateWithInterval(value: number, lo: number | null, hi: number | null): string {
  if (lo === null || hi === null) return Number(value.toPrecision(6)).toString();
  const half = (hi - lo) / 2;
  const digits = decimalsFor(half);
  return `${value.toFixed(digits)} ± ${half.toFixed(digits)}`;
}

export function percent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  if (fraction > 0 && fraction < 0.001) return '< 0.1%';
  return `${(fraction * 100).toFixed(fraction >= 0.995 && fraction < 1 ? 1 : fraction < 0.1 ? 1 : 0)}%`;
}

/** Epoch ms -> "14:05:09" (local time). */
export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

/** A training loss to 4 significant digits; "—" before the first step or for a diverged run. */
export function lossWords(loss: number | null): string {
  return loss === null || !Number.isFinite(loss) ? '—' : Number(loss.toPrecision(4)).toString();
}

/** Held-out accuracy as a percentage with one decimal ("91.3%"); "—" before the first evaluation. */
export function accuracyWords(accuracy: number | null): string {
  return accuracy === null || !Number.isFinite(accuracy) ? '—' : `${(accuracy * 100).toFixed(1)}%`;
}

/** "37 / 160 steps". */
export function stepsWords(done: number, total: number): string {
  return `${wholeNumber(done)} / ${wholeNumber(total)} ${total === 1 ? 'step' : 'steps'}`;
}

/** Estimators whose registry name does not say what they are to a reader. */
const ESTIMATOR_WORDS: Record<string, string> = { wgsl: 'WGSL kernel' };

/** "pi · montecarlo", "WGSL kernel · montecarlo"; a kind with no estimator of its own said once. */
export function kindWords(w: { kind: string; estimator: string }): string {
  if (w.estimator === w.kind) return w.kind;
  return `${ESTIMATOR_WORDS[w.estimator] ?? w.estimator} · ${w.kind}`;
}
