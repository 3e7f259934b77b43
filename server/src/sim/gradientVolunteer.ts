// A volunteer in Node for gradient workloads: a real socket.io connection speaking the real
// protocol, fetching parameters and shards over HTTP (shards cached by content hash, checked
// against it), computing units with the TypeScript reference (computeGradient) and returning
// the result as bytes. A poison behavior makes it return a wrong gradient on purpose, for the
// robust-aggregation and edge-validation tests.
import { io, type Socket } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  VOLUNTEER_NAMESPACE,
  type Ack,
  type ClientToServerEvents,
  type HelloReply,
  type Lease,
  type ResultReply,
  type ServerToClientEvents,
  type UnitRequestReply,
} from '@tessera/shared';
import {
  computeGradient,
  type GradientResult,
} from '@tessera/shared/kinds/gradient/gradientReference';
import { encodeGradientResult } from '@tessera/shared/kinds/gradient/gradientResultCodec';
import { gradientTaskSchema, type GradientTask } from '@tessera/shared/kinds/gradient/gradientSpec';
import { decodeShard, shardHash } from '@tessera/shared/kinds/gradient/shardCodec';

export const GRADIENT_BEHAVIORS = [
  'honest',
  'poison-scale',
  'poison-flip',
  'poison-nan',
  'wrong-shape',
  'stall',
] as const;
/**
 * honest: the reference gradient. poison-scale: the gradient times POISON_SCALE, large and
 * negative (finite and plausibly shaped, so it passes the edge; under plain averaging one such
 * shard outweighs all the others and pushes the model uphill). poison-flip: the gradient's sign flipped
 * (pushes the model uphill). poison-nan: a NaN in the gradient. wrong-shape: one value short.
 * The last two are refused at the coordinator's edge; the first two pass it and only quorum or
 * robust aggregation stops them. stall: takes one unit and never answers (a frozen tab).
 */
export type GradientBehavior = (typeof GRADIENT_BEHAVIORS)[number];
export const POISON_SCALE = -100;

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface GradientVolunteerOptions {
  url: string;
  behavior?: GradientBehavior;
  displayName?: string;
  idleMs?: number;
}

export class GradientVolunteer {
  readonly behavior: GradientBehavior;
  private socket: ClientSocket | null = null;
  private closed = false;
  private readonly shards = new Map<string, ArrayBuffer>();
  /** Verdicts and refusals seen, for assertions. */
  readonly tally = {
    units: 0,
    refused: {} as Record<string, number>,
    shardFetches: 0,
    paramFetches: 0,
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
    const reply = await this.call<HelloReply>('hello', {
      displayName: this.options.displayName ?? `gradient-${this.behavior}`,
      device: { backend: 'cpu', cores: 1 },
    });
    if (!reply.ok) throw new Error(`hello refused: ${reply.error.code} ${reply.error.message}`);
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
    const reply = await this.call<UnitRequestReply>('unit:request', {});
    if (!reply.ok)
      throw new Error(`unit:request refused: ${reply.error.code} ${reply.error.message}`);
    return reply.lease;
  }

  private async fetchBytes(path: string): Promise<ArrayBuffer> {
    const response = await fetch(`${this.options.url}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.arrayBuffer();
  }

  /** The shard of a task, downloaded once per hash and checked against it. */
  async shard(task: GradientTask): Promise<ArrayBuffer> {
    let bytes = this.shards.get(task.shardHash);
    if (!bytes) {
      bytes = await this.fetchBytes(task.shardUrl);
      this.tally.shardFetches += 1;
      const hash = await shardHash(bytes);
      if (hash !== task.shardHash) throw new Error(`shard ${task.shardHash} arrived as ${hash}`);
      this.shards.set(task.shardHash, bytes);
    }
    return bytes;
  }

  /** What this volunteer claims for a gradient lease, as the bytes it sends. */
  async compute(lease: Lease): Promise<ArrayBuffer> {
    const task = gradientTaskSchema.parse(lease.task);
    const params = new Float32Array(await this.fetchBytes(task.paramsUrl));
    this.tally.paramFetches += 1;
    const set = decodeShard(await this.shard(task));
    const honest = computeGradient(task.modelConfig, params, set);
    return encodeGradientResult(this.poison(honest));
  }

  private poison(result: GradientResult): GradientResult {
    const g = result.gradSum;
    switch (this.behavior) {
      case 'honest':
      case 'stall':
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

  /** Works until close(): request, compute, return; polls while there is no work. */
  async run(): Promise<void> {
    while (!this.closed && this.socket?.connected) {
      let lease: Lease | null;
      try {
        lease = await this.request();
      } catch {
        if (this.closed) return;
        throw new Error('unit:request failed');
      }
      if (!lease) {
        await new Promise((r) => setTimeout(r, this.options.idleMs ?? 10));
        continue;
      }
      if (lease.kind !== 'gradient') throw new Error(`not a gradient lease: ${lease.estimator}`);
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
