// The coordinator's kernel lab: checks researchers' WGSL kernels at submission (static shape,
// compile errors on their own lines, a short trial run) and computes their units on Dawn when
// the coordinator needs a result of its own (arbitration, spot checks). Dawn runs in a child
// process (labWorker.ts) so that a kernel that never ends cannot hang or crash the
// coordinator: each request has a hard deadline, and a child that misses one is SIGKILLed and
// replaced by a fresh one for the next request. Requests run one at a time, in call order.
import { fork, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { checkSourceShape } from '@tessera/shared/kinds/wgsl-kernel/wgslHarness';
import {
  WGSL_MAX_SAMPLES_PER_UNIT,
  WGSL_MAX_UNITS,
  WGSL_MIN_SAMPLES_PER_UNIT,
  type WgslResult,
  type WgslTask,
} from '@tessera/shared/kinds/wgsl-kernel/wgslSpec';
import { labReplySchema, type KernelProblem, type LabReply, type LabRequest } from './labMessages';

export type { KernelProblem } from './labMessages';

/**
 * samplesPerUnit aims at this much work per unit on a volunteer's GPU: long enough that a
 * lease costs little beside it, short enough to keep units flowing (as the built-in kinds).
 */
export const TARGET_UNIT_SECONDS = 2;
/**
 * Assumption: a typical volunteer GPU (a laptop's integrated one) runs a kernel about 50 times
 * faster than the lab's Dawn on SwiftShader over 2 CPU cores. Conservative on purpose: the
 * README's bench has the built-in pi kernel at ~8M samples/s on SwiftShader and 86.7G on an
 * H200 (10,000x); a faster GPU just finishes its units sooner, a slower one still finishes.
 */
export const GPU_SPEEDUP_OVER_LAB = 50;

export interface KernelLabOptions {
  /** Starting the child, opening Dawn and compiling (module + pipeline). Default 30 s. */
  compileTimeoutMs?: number;
  /** The whole trial run (two small runs and the timing run). Default 10 s. */
  trialTimeoutMs?: number;
  /** Samples in each of the trial's two identical runs. Default 256. */
  trialSamples?: number;
  /** About how long the trial's timing run should last. Default 0.25 s. */
  timingSeconds?: number;
  /** run()'s deadline: this floor (child start, Dawn, compile) ... Default 30 s. */
  runTimeoutFloorMs?: number;
  /** ... plus this many times the kernel's measured cost of the task. Default 5. */
  runTimeoutSlack?: number;
  /** The cost assumed for a kernel run() has no measurement of. Default 10 us per sample. */
  fallbackNsPerSample?: number;
}

export const KERNEL_LAB_DEFAULTS: Required<KernelLabOptions> = {
  compileTimeoutMs: 30_000,
  trialTimeoutMs: 10_000,
  trialSamples: 256,
  timingSeconds: 0.25,
  runTimeoutFloorMs: 30_000,
  runTimeoutSlack: 5,
  fallbackNsPerSample: 10_000,
};

/** What check() needs of a spec; samples (when given) keeps samplesPerUnit within the unit cap. */
export interface KernelCheckInput {
  source: string;
  outputs: readonly string[];
  seed?: number;
  samples?: number;
}

export type KernelCheck =
  | { ok: true; nsPerSample: number; samplesPerUnit: number }
  | { ok: false; problems: KernelProblem[] };

/** A task that missed its deadline; the lab's child was killed and will be replaced. */
export class KernelTimeoutError extends Error {
  override readonly name = 'KernelTimeoutError';
}

/**
 * About TARGET_UNIT_SECONDS of GPU work for a kernel that costs `nsPerSample` on the lab, in
 * whole workgroups (64 samples), within the spec's bounds and, given `samples`, the unit cap.
 */
export function samplesPerUnitFor(nsPerSample: number, samples?: number): number {
  const wanted = (TARGET_UNIT_SECONDS * GPU_SPEEDUP_OVER_LAB * 1e9) / nsPerSample;
  let perUnit = Math.floor(wanted / 64) * 64;
  if (samples !== undefined) {
    perUnit = Math.max(perUnit, Math.ceil(Math.ceil(samples / WGSL_MAX_UNITS) / 64) * 64);
  }
  return Math.min(WGSL_MAX_SAMPLES_PER_UNIT, Math.max(WGSL_MIN_SAMPLES_PER_UNIT, perUnit));
}

const WORKER = fileURLToPath(new URL('./labWorker.ts', import.meta.url));
/** Kernel costs remembered for run()'s deadlines; the oldest go first. */
const MAX_MEASURED = 1000;
/** Of the child's stderr, what a crash report quotes. */
const STDERR_TAIL_CHARS = 2000;

type Exchange =
  | { kind: 'reply'; reply: LabReply }
  | { kind: 'timeout'; phase: string; ms: number }
  | { kind: 'died'; why: string };

interface Deadline {
  phase: string;
  ms: number;
}

function refusal(message: string): KernelCheck {
  return { ok: false, problems: [{ line: null, column: null, message }] };
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export class KernelLab {
  private readonly options: Required<KernelLabOptions>;
  private child: ChildProcess | undefined;
  private stderrTail = '';
  private pending: { id: number; settle: (exchange: Exchange) => void } | undefined;
  private onPhase: (() => void) | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private closed = false;
  private readonly measured = new Map<string, number>();

  constructor(options: KernelLabOptions = {}) {
    this.options = { ...KERNEL_LAB_DEFAULTS, ...options };
    for (const [name, value] of Object.entries(this.options)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw new RangeError(`KernelLab option ${name} must be a positive number, got ${value}`);
      }
    }
    if (!Number.isInteger(this.options.trialSamples)) {
      throw new RangeError(`trialSamples must be an integer, got ${this.options.trialSamples}`);
    }
  }

  /**
   * Whether the kernel may be submitted: the problems (line and column in the researcher's
   * source where they have one), or its measured cost and the samplesPerUnit it suggests.
   */
  async check(spec: KernelCheckInput): Promise<KernelCheck> {
    const problems = checkSourceShape(spec.source, spec.outputs.length);
    if (problems.length > 0) return { ok: false, problems };
    const { compileTimeoutMs, trialTimeoutMs, trialSamples, timingSeconds } = this.options;
    return this.serial(async () => {
      const exchange = await this.exchange(
        {
          id: this.nextId++,
          type: 'check',
          source: spec.source,
          outputs: [...spec.outputs],
          seed: spec.seed ?? 0,
          trialSamples,
          timingSeconds,
        },
        { phase: 'compile', ms: compileTimeoutMs },
        { phase: 'trial', ms: trialTimeoutMs },
      );
      switch (exchange.kind) {
        case 'timeout':
          return refusal(
            exchange.phase === 'trial'
              ? `the trial run did not finish in ${seconds(exchange.ms)} (an endless loop?)`
              : `compiling the kernel took longer than ${seconds(exchange.ms)}`,
          );
        case 'died':
          return refusal(`the kernel crashed the coordinator's WebGPU process (${exchange.why})`);
        case 'reply': {
          const { reply } = exchange;
          if (reply.type === 'failed') throw new Error(`kernel lab: ${reply.error.message}`);
          if (reply.type !== 'checked') throw new Error(`kernel lab: unexpected ${reply.type}`);
          const { outcome } = reply;
          if (!outcome.ok) return outcome;
          this.remember(spec.source, outcome.nsPerSample);
          return {
            ok: true,
            nsPerSample: outcome.nsPerSample,
            samplesPerUnit: samplesPerUnitFor(outcome.nsPerSample, spec.samples),
          };
        }
      }
    });
  }

  /**
   * Computes a task (a unit or one of its blocks) on the lab's Dawn with GpuKernelRunner,
   * within a deadline proportional to the kernel's cost: `nsPerSample` when given, else what
   * check() measured, else fallbackNsPerSample.
   */
  async run(task: WgslTask, options: { nsPerSample?: number } = {}): Promise<WgslResult> {
    const { runTimeoutFloorMs, runTimeoutSlack, fallbackNsPerSample } = this.options;
    const ns = options.nsPerSample ?? this.measured.get(task.source) ?? fallbackNsPerSample;
    const ms = Math.ceil(runTimeoutFloorMs + (runTimeoutSlack * ns * task.count) / 1e6);
    return this.serial(async () => {
      const exchange = await this.exchange(
        { id: this.nextId++, type: 'run', task },
        { phase: 'run', ms },
      );
      if (exchange.kind === 'timeout') {
        throw new KernelTimeoutError(
          `the kernel did not finish ${task.count} samples in ${seconds(exchange.ms)}`,
        );
      }
      if (exchange.kind === 'died') throw new Error(`kernel lab: ${exchange.why}`);
      const { reply } = exchange;
      if (reply.type === 'ran') return reply.result;
      if (reply.type === 'failed') throw new Error(`kernel lab: ${reply.error.message}`);
      throw new Error(`kernel lab: unexpected ${reply.type}`);
    });
  }

  /** Ends the child; later calls are refused. Resolves once the child is gone. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending?.settle({ kind: 'died', why: 'the kernel lab was closed' });
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.ref(); // an idle child is unref'd: hold the loop until its exit arrives
    this.killChild();
    await exited;
  }

  private remember(source: string, nsPerSample: number): void {
    this.measured.delete(source);
    this.measured.set(source, nsPerSample);
    for (const old of this.measured.keys()) {
      if (this.measured.size <= MAX_MEASURED) break;
      this.measured.delete(old);
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Sends one request; settles with its reply, a missed deadline or the child's death. */
  private exchange(request: LabRequest, first: Deadline, afterPhase?: Deadline): Promise<Exchange> {
    if (this.closed) return Promise.resolve({ kind: 'died', why: 'the kernel lab was closed' });
    const child = this.ensureChild();
    return new Promise<Exchange>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = (deadline: Deadline) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          settle({ kind: 'timeout', ...deadline });
          // A kernel still running: only killing the process stops SwiftShader.
          this.killChild();
        }, deadline.ms);
      };
      const settle = (exchange: Exchange) => {
        clearTimeout(timer);
        this.pending = undefined;
        this.onPhase = undefined;
        this.holdOpen(false);
        resolve(exchange);
      };
      this.pending = { id: request.id, settle };
      this.onPhase = afterPhase ? () => arm(afterPhase) : undefined;
      arm(first);
      this.holdOpen(true);
      child.send(request);
    });
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    this.stderrTail = '';
    const child = fork(WORKER, [], {
      // tsx by absolute URL, so the child loads TypeScript whatever the coordinator's cwd.
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (raw: unknown) => {
      const parsed = labReplySchema.safeParse(raw);
      if (!parsed.success) return;
      const reply = parsed.data;
      if (!this.pending || reply.id !== this.pending.id || this.child !== child) return;
      if (reply.type === 'phase') this.onPhase?.();
      else this.pending.settle({ kind: 'reply', reply });
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      const stderr = this.stderrTail
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.includes('XDG_RUNTIME_DIR'))
        .slice(-3)
        .join(' | ');
      const why = `exit ${signal ?? code}${stderr ? `: ${stderr}` : ''}`;
      this.pending?.settle({ kind: 'died', why });
    });
    child.on('error', () => {
      // A failed spawn or send: 'exit' follows (or the deadline fires), which settles.
    });
    this.child = child;
    return child;
  }

  /** Keeps the coordinator's event loop alive for the child only while a request is out. */
  private holdOpen(busy: boolean): void {
    const child = this.child;
    if (!child) return;
    const handles = [child, child.channel, child.stderr instanceof Socket ? child.stderr : null];
    for (const handle of handles) {
      if (busy) handle?.ref();
      else handle?.unref();
    }
  }

  private killChild(): void {
    const child = this.child;
    this.child = undefined;
    child?.kill('SIGKILL');
  }
}
