// A volunteer in Node for gradient and inference workloads: a real socket.io connection speaking the real
// protocol, fetching parameters and data partitions over HTTP (each partition once: checked
// against its content hash and decoded when it arrives, then kept by hash), computing each
// unit's slice of its partition with the TypeScript reference (computeGradient) and returning
// the result as bytes; an inference unit's rows through the pinned model (predictRows). A poison
// behavior makes it return a wrong gradient on purpose, for the robust-aggregation,
// edge-validation and reputation tests (on inference: a plausible wrong class for one row, a
// NaN probability, a row missing). It counts the bytes it downloads.
import { io, type Socket } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  VOLUNTEER_NAMESPACE,
  attachmentsOf,
  type Ack,
  type ClientToServerEvents,
  type HelloReply,
  type Lease,
  type ResultReply,
  type ResultsReply,
  type ServerToClientEvents,
  type UnitRequestReply,
} from '@tessera/shared';
import {
  computeGradient,
  type GradientResult,
} from '@tessera/shared/kinds/gradient/gradientReference';
import { encodeGradientResult } from '@tessera/shared/kinds/gradient/gradientResultCodec';
import {
  taskExamples,
  VOLUNTEER_PARAMS_CACHE_VERSIONS,
} from '@tessera/shared/kinds/gradient/dataPartitions';
import type { ExampleSet } from '@tessera/shared/kinds/gradient/exampleSet';
import { gradientTaskSchema, type GradientTask } from '@tessera/shared/kinds/gradient/gradientSpec';
import { decodeShard, shardHash } from '@tessera/shared/kinds/gradient/shardCodec';
import {
  encodeInferenceResult,
  type InferenceResult,
} from '@tessera/shared/kinds/inference/inferenceResult';
import { inferenceTaskSchema } from '@tessera/shared/kinds/inference/inferenceSpec';
import { predictRows } from '@tessera/shared/kinds/inference/predictRows';

export const GRADIENT_BEHAVIORS = [
  'honest',
  'poison-scale',
  'poison-flip',
  'poison-nan',
  'wrong-shape',
  'stall',
  'slow',
] as const;
/**
 * honest: the reference gradient. poison-scale: the gradient times POISON_SCALE, large and
 * negative (finite and plausibly shaped, so it passes the edge; under plain averaging one such
 * shard outweighs all the others and pushes the model uphill). poison-flip: the gradient's sign flipped
 * (pushes the model uphill). poison-nan: a NaN in the gradient. wrong-shape: one value short.
 * The last two are refused at the coordinator's edge; the first two pass it and only quorum or
 * robust aggregation stops them. stall: takes one unit and never answers (a frozen tab).
 * slow: honest, but holds each result back `slowMs` (a slow device, a straggler).
 */
export type GradientBehavior = (typeof GRADIENT_BEHAVIORS)[number];
export const POISON_SCALE = -100;

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The coordinator refused a work request (the code says why: SUSPENDED, RATE_LIMITED, ...). */
export class WorkRefusedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`unit:request refused: ${code} ${message}`);
    this.name = 'WorkRefusedError';
  }
}

export interface GradientVolunteerOptions {
  url: string;
  behavior?: GradientBehavior;
  displayName?: string;
  /** Longest wait before asking again when there was no work; a work:available push cuts it short. */
  idleMs?: number;
  /** How long a `slow` volunteer holds each result back; default 300 ms. */
  slowMs?: number;
}

/** How long a rate-limited volunteer waits before asking again. */
const RATE_LIMITED_BACKOFF_MS = 1_000;

export class GradientVolunteer {
  readonly behavior: GradientBehavior;
  private socket: ClientSocket | null = null;
  /** Ends the current wait for work early, while there is one. */
  private wake: (() => void) | null = null;
  private closed = false;
  /** The latest parameter versions by URL (immutable per version). */
  private readonly params = new Map<string, Float32Array>();
  /** Decoded data partitions by content hash (each checked once, when it arrived). */
  private readonly partitions = new Map<string, ExampleSet>();
  /** The identity the coordinator gave this volunteer at hello. */
  volunteerId: string | null = null;
  /** Verdicts, refusals and downloads seen, for assertions and measurements. */
  readonly tally = {
    units: 0,
    refused: {} as Record<string, number>,
    partitionFetches: 0,
    partitionBytes: 0,
    paramFetches: 0,
    paramBytes: 0,
    /** [L14] Parameter versions that came with a lease reply instead. */
    paramsAttached: 0,
  };

  constructor(private readonly options: GradientVolunteerOptions) {
    this.behavior = options.behavior ?? 'honest';
  }

  async connect(): Promise<void> {
    const socket: ClientSocket = io(`${this.options.url}${VOLUNTEER_NAMESPACE}`, {
      auth: { protocolVersion: PROTOCOL_VERSION },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    // [L10] as the browser does: a push ends the wait for work.
    socket.on('work:available', () => this.wake?.());
    const reply = await this.call<HelloReply>('hello', {
      displayName: this.options.displayName ?? `gradient-${this.behavior}`,
      device: { backend: 'cpu', cores: 1 },
    });
    if (!reply.ok) throw new Error(`hello refused: ${reply.error.code} ${reply.error.message}`);
    this.volunteerId = reply.volunteer.volunteerId;
  }

  async call<T>(event: keyof ClientToServerEvents, payload: unknown): Promise<Ack<T>> {
    const socket = this.socket;
    if (!socket?.connected)
      return { ok: false, error: { code: 'INTERNAL', message: 'not connected' } };
    try {
      return (await socket.timeout(10_000).emitWithAck(event, payload as never)) as Ack<T>;
    } catch {
      return { ok: false, error: { code: 'INTERNAL', message: `${event}: no answer` } };
    }
  }

  async request(): Promise<Lease | null> {
    return (await this.requestBatch(1))[0] ?? null;
  }

  /**
   * Up to `maxUnits` leases in one request, as a WebGPU tab asks ([L6]); none when idle, after
   * up to `waitMs` held by the coordinator waiting for work ([L13]).
   */
  async requestBatch(maxUnits: number, waitMs = 0): Promise<Lease[]> {
    const reply = await this.call<UnitRequestReply>('unit:request', {
      ...(maxUnits > 1 ? { maxUnits } : {}),
      ...(waitMs > 0 ? { waitMs } : {}),
    });
    if (!reply.ok) throw new WorkRefusedError(reply.error.code, reply.error.message);
    for (const [url, bytes] of attachmentsOf(reply)) {
      this.tally.paramsAttached += 1;
      this.keepParams(url, new Float32Array(bytes));
    }
    return reply.leases ?? (reply.lease ? [reply.lease] : []);
  }

  private async fetchBytes(path: string): Promise<ArrayBuffer> {
    const response = await fetch(`${this.options.url}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.arrayBuffer();
  }

  /** A data partition (or inference rows), downloaded once per hash, checked and decoded. */
  async partition(source: { url: string; hash: string }): Promise<ExampleSet> {
    let set = this.partitions.get(source.hash);
    if (!set) {
      const bytes = await this.fetchBytes(source.url);
      this.tally.partitionFetches += 1;
      this.tally.partitionBytes += bytes.byteLength;
      const hash = await shardHash(bytes);
      if (hash !== source.hash) {
        throw new Error(`partition ${source.hash} arrived as ${hash}`);
      }
      set = decodeShard(bytes);
      this.partitions.set(source.hash, set);
    }
    return set;
  }

  /**
   * Parameters (a gradient version, an inference model) by URL, fetched once as the browser
   * does (gradientUnit.ts), the latest VOLUNTEER_PARAMS_CACHE_VERSIONS kept.
   */
  private async parameters(url: string): Promise<Float32Array> {
    let params = this.params.get(url);
    if (!params) {
      const bytes = await this.fetchBytes(url);
      this.tally.paramFetches += 1;
      this.tally.paramBytes += bytes.byteLength;
      params = new Float32Array(bytes);
      this.keepParams(url, params);
    }
    return params;
  }

  private keepParams(url: string, params: Float32Array): void {
    this.params.set(url, params);
    while (this.params.size > VOLUNTEER_PARAMS_CACHE_VERSIONS) {
      this.params.delete(this.params.keys().next().value!);
    }
  }

  /** What this volunteer claims for an inference lease: the rows' predictions, as bytes. */
  async predict(lease: Lease): Promise<ArrayBuffer> {
    const task = inferenceTaskSchema.parse(lease.task);
    const params = await this.parameters(task.model.url);
    const honest = predictRows(task.modelConfig, params, await this.partition(task.rows));
    return encodeInferenceResult(this.mispredict(honest));
  }

  private mispredict(result: InferenceResult): InferenceResult {
    const k = result.classCount;
    switch (this.behavior) {
      case 'honest':
      case 'stall':
      case 'slow':
        return result;
      case 'poison-scale':
      case 'poison-flip': {
        // A plausible lie: a row claims the next class, its probabilities swapped to match;
        // poison-flip lies about row 0 alone, poison-scale about every row (made up wholesale).
        const classes = result.classes.slice();
        const probabilities = result.probabilities.slice();
        const rows = this.behavior === 'poison-flip' ? 1 : classes.length;
        for (let n = 0; n < rows; n++) {
          const was = classes[n]!;
          const claim = (was + 1) % k;
          classes[n] = claim;
          const [a, b] = [n * k + was, n * k + claim];
          [probabilities[a], probabilities[b]] = [probabilities[b]!, probabilities[a]!];
        }
        return { ...result, classes, probabilities };
      }
      case 'poison-nan': {
        const probabilities = result.probabilities.slice();
        probabilities[0] = Number.NaN;
        return { ...result, probabilities };
      }
      case 'wrong-shape':
        return {
          ...result,
          classes: result.classes.slice(1),
          probabilities: result.probabilities.slice(k),
        };
    }
  }

  /** What this volunteer claims for a gradient (or inference) lease, as the bytes it sends. */
  async compute(lease: Lease): Promise<ArrayBuffer> {
    if (lease.kind === 'inference') return this.predict(lease);
    const task = gradientTaskSchema.parse(lease.task);
    const params = await this.parameters(task.paramsUrl);
    const set = taskExamples(await this.partition(task.partition), task);
    const honest = computeGradient(task.modelConfig, params, set);
    return encodeGradientResult(this.poison(honest));
  }

  private poison(result: GradientResult): GradientResult {
    const g = result.gradSum;
    switch (this.behavior) {
      case 'honest':
      case 'stall':
      case 'slow':
        return result;
      case 'poison-scale':
        return { ...result, gradSum: g.map((v) => v * POISON_SCALE) };
      case 'poison-flip':
        return { ...result, gradSum: g.map((v) => -v) };
      case 'poison-nan': {
        const bad = g.slice();
        bad[0] = Number.NaN;
        return { ...result, gradSum: bad };
      }
      case 'wrong-shape':
        return { ...result, gradSum: g.slice(0, g.length - 1) };
    }
  }

  async submit(replicaId: number, bytes: ArrayBuffer, elapsedMs = 1): Promise<Ack<ResultReply>> {
    return this.call<ResultReply>('unit:result', { replicaId, result: bytes, elapsedMs });
  }

  /**
   * Several results in one unit:results event, each as submit() would send it: the bytes travel
   * as binary attachments inside the array. One reply per item, in order.
   */
  async submitResults(
    items: ReadonlyArray<{ replicaId: number; bytes: ArrayBuffer; elapsedMs?: number }>,
  ): Promise<Ack<ResultsReply>> {
    return this.call<ResultsReply>('unit:results', {
      results: items.map((i) => ({
        replicaId: i.replicaId,
        result: i.bytes,
        elapsedMs: i.elapsedMs ?? 1,
      })),
    });
  }

  /** Waits `ms` before asking for work again, or less when a work:available push comes. */
  async waitForWork(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = null;
  }

  /** Works until close(): request, compute, return; polls while there is no work. */
  async run(): Promise<void> {
    while (!this.closed && this.socket?.connected) {
      let lease: Lease | null;
      try {
        lease = await this.request();
      } catch (error) {
        if (this.closed) return;
        if (error instanceof WorkRefusedError) {
          this.tally.refused[error.code] = (this.tally.refused[error.code] ?? 0) + 1;
          // [R5] a suspended volunteer gets no work for a long while: it stops asking.
          if (error.code === 'SUSPENDED') return;
          // [L8] asked too often (polling while a round waits): back off, as a tab does.
          if (error.code === 'RATE_LIMITED') {
            await this.waitForWork(RATE_LIMITED_BACKOFF_MS);
            continue;
          }
        }
        throw error;
      }
      if (!lease) {
        await this.waitForWork(this.options.idleMs ?? 10);
        continue;
      }
      if (lease.kind === 'montecarlo') throw new Error(`not a gradient lease: ${lease.estimator}`);
      if (this.behavior === 'stall') {
        while (!this.closed) await new Promise((r) => setTimeout(r, 20));
        return;
      }
      const started = performance.now();
      let bytes: ArrayBuffer;
      try {
        bytes = await this.compute(lease);
      } catch (error) {
        // The round moved on while this unit waited (its parameter version is gone): drop it.
        await this.call('unit:error', {
          replicaId: lease.replicaId,
          error: { name: 'FetchError', message: String((error as Error).message).slice(0, 500) },
        });
        continue;
      }
      if (this.behavior === 'slow') {
        await new Promise((r) => setTimeout(r, this.options.slowMs ?? 300));
      }
      const reply = await this.submit(lease.replicaId, bytes, performance.now() - started);
      this.tally.units += 1;
      if (!reply.ok) {
        this.tally.refused[reply.error.code] = (this.tally.refused[reply.error.code] ?? 0) + 1;
      }
    }
  }

  close(): void {
    this.closed = true;
    this.socket?.disconnect();
  }
}
