// The volunteer <-> coordinator protocol over socket.io (namespace /volunteer). Every event a
// volunteer sends is parsed by the schema here before any handler runs; the server's replies
// are typed by the same file. Request/response events use acks (emitWithAck on the client).
// Additions that old clients never send (a new event such as unit:results) keep the version:
// only a change an existing client would trip over bumps it.
import { z } from 'zod';
import type { ErrorBody } from '../errors';

/**
 * Bumped on any incompatible change; checked in the connection handshake (auth). Still 1 with
 * unit:results: the event is an addition, unit:result is unchanged and still served.
 */
export const PROTOCOL_VERSION = 1;
export const VOLUNTEER_NAMESPACE = '/volunteer';

/** socket.io `auth` payload, checked by middleware before the connection is accepted. */
export const handshakeAuthSchema = z.object({ protocolVersion: z.number().int() });

export const BACKENDS = ['webgpu', 'cpu'] as const;
export type Backend = (typeof BACKENDS)[number];

const idSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'malformed id');
const shortText = z.string().max(200);

export const deviceInfoSchema = z
  .object({
    backend: z.enum(BACKENDS),
    /** Adapter description as the browser reports it (vendor, architecture, description). */
    adapter: shortText.optional(),
    /** True for software adapters such as SwiftShader. */
    software: z.boolean().optional(),
    cores: z.number().int().min(1).max(1024).optional(),
    userAgent: z.string().max(400).optional(),
  })
  .strict();
export type DeviceInfo = z.infer<typeof deviceInfoSchema>;

export const helloSchema = z
  .object({
    /** Omitted on first contact: the coordinator then mints an identity. */
    credentials: z
      .object({ volunteerId: idSchema, secret: z.string().min(16).max(128) })
      .optional(),
    displayName: z.string().trim().max(40).optional(),
    device: deviceInfoSchema,
  })
  .strict();
export type Hello = z.infer<typeof helloSchema>;

/**
 * Results one unit:results event carries at most: as many as one unit:request may lease, so a
 * whole batch always fits in one event.
 */
export const MAX_RESULTS_PER_EVENT = 64;

/** The longest a unit:request may ask to be held waiting for work (server/SPEC.md L13). */
export const MAX_REQUEST_WAIT_MS = 30_000;

export const unitRequestSchema = z
  .object({
    /**
     * How many units this tab will take in one lease at most. The coordinator sizes the batch
     * to the tab's measured throughput (seconds of work, not a count), up to this. Default 1.
     */
    maxUnits: z.number().int().min(1).max(MAX_RESULTS_PER_EVENT).optional(),
    /**
     * When there is no work now, how long the coordinator may hold the request and answer it as
     * soon as units appear (long polling). Default 0: answered at once. Keep the ack timeout
     * longer than this.
     */
    waitMs: z.number().int().min(0).max(MAX_REQUEST_WAIT_MS).optional(),
  })
  .strict();

/** unit:wait-cancel: ends this connection's held requests (L13), which answer empty at once. */
export const waitCancelSchema = z.object({}).strict();

export const replicaRefSchema = z.object({ replicaId: z.number().int().positive() }).strict();

export const unitResultSchema = z
  .object({
    replicaId: z.number().int().positive(),
    /** Parsed again by the estimator's result schema once the replica is known. */
    result: z.unknown(),
    elapsedMs: z
      .number()
      .min(0)
      .max(7 * 24 * 3600 * 1000),
  })
  .strict();

export type UnitResult = z.infer<typeof unitResultSchema>;

/**
 * unit:results: the results of a leased batch in one event, answered by one ack with a reply
 * per item, in item order. Only the envelope is checked here; each item is then parsed on its
 * own by unitResultSchema, so a malformed item is refused alone (BAD_REQUEST in its slot) while
 * a malformed envelope (not an object, no array, empty, over MAX_RESULTS_PER_EVENT, extra
 * fields) refuses the whole event as any other malformed event is.
 */
export const unitResultsSchema = z
  .object({ results: z.array(z.unknown()).min(1).max(MAX_RESULTS_PER_EVENT) })
  .strict();
/** What a client sends in unit:results (each item as it would travel in unit:result). */
export interface UnitResults {
  results: UnitResult[];
}

export const unitErrorSchema = z
  .object({
    replicaId: z.number().int().positive(),
    error: z.object({ name: shortText, message: z.string().max(2000) }).strict(),
  })
  .strict();

export interface Lease {
  replicaId: number;
  workloadId: string;
  workloadName: string;
  /**
   * 'gradient' leases carry a GradientTask (kinds/gradient/gradientSpec.ts), 'inference' leases
   * an InferenceTask (kinds/inference/inferenceSpec.ts); their estimator is the kind's name.
   */
  kind: 'montecarlo' | 'gradient' | 'inference';
  estimator: string;
  unitIndex: number;
  /** The estimator's task: parse it with the estimator's taskSchema before running. */
  task: unknown;
  /** Epoch ms; renew at half the lease duration. */
  deadline: number;
  leaseDurationMs: number;
}

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: ErrorBody };

export interface VolunteerSummary {
  volunteerId: string;
  displayName: string;
  credit: number;
  unitsValidated: number;
}

export interface HelloReply {
  volunteer: VolunteerSummary;
  /** Only on first contact: the client stores it and sends it back next time. */
  secret?: string;
  /** The coordinator's limits for this connection, so a tab sizes its concurrency to them. */
  limits?: { maxLeasesPerConnection: number };
}

/**
 * [L14] Bytes a lease's task names by URL (a gradient round's parameters), sent with the lease
 * so the tab need not fetch them; the URL serves the same bytes.
 */
export interface LeaseAttachment {
  url: string;
  /** Sent as a socket.io binary attachment: an ArrayBuffer in a browser, a Buffer in Node. */
  bytes: ArrayBuffer | Uint8Array;
}

/**
 * [L14] A lease reply's attachments by URL, each in an ArrayBuffer of its own (a Buffer may be a
 * slice of a shared pool at any offset); anything malformed is dropped, so the tab fetches it.
 */
export function attachmentsOf(reply: { attachments?: unknown }): Map<string, ArrayBuffer> {
  const found = new Map<string, ArrayBuffer>();
  if (!Array.isArray(reply.attachments)) return found;
  for (const item of reply.attachments as unknown[]) {
    if (item === null || typeof item !== 'object') continue;
    const { url, bytes } = item as { url?: unknown; bytes?: unknown };
    if (typeof url !== 'string') continue;
    if (bytes instanceof ArrayBuffer) found.set(url, bytes.slice(0));
    else if (bytes instanceof Uint8Array) found.set(url, new Uint8Array(bytes).buffer);
  }
  return found;
}

export interface UnitRequestReply {
  /** The first (or only) unit leased; null when there is no work for this tab now. */
  lease: Lease | null;
  /** Every unit leased by this request, in the order to run them (lease is leases[0]). */
  leases: Lease[];
  /** [L14] What the leases will fetch next, at most once per URL per connection; may be absent. */
  attachments?: LeaseAttachment[];
  /** When no work is available: ask again after this long. */
  retryAfterMs: number;
}

export interface ResultReply {
  /** 'pending' until quorum decides; credit is only granted for validated work. */
  verdict: 'pending' | 'valid' | 'invalid';
}

/** One item's answer inside a unit:results ack: a verdict, or why this item was refused. */
export type ResultItemReply = Ack<ResultReply>;

export interface ResultsReply {
  /** One reply per item sent, in the same order. */
  replies: ResultItemReply[];
}

export interface ClientToServerEvents {
  hello: (payload: unknown, ack: (reply: Ack<HelloReply>) => void) => void;
  'unit:request': (payload: unknown, ack: (reply: Ack<UnitRequestReply>) => void) => void;
  'unit:renew': (payload: unknown, ack: (reply: Ack<{ deadline: number }>) => void) => void;
  'unit:result': (payload: unknown, ack: (reply: Ack<ResultReply>) => void) => void;
  'unit:results': (payload: unknown, ack: (reply: Ack<ResultsReply>) => void) => void;
  'unit:error': (payload: unknown, ack: (reply: Ack<object>) => void) => void;
  /** [L13] A paused tab ends its held unit:requests: they answer empty at once. */
  'unit:wait-cancel': (payload: unknown, ack: (reply: Ack<{ cancelled: number }>) => void) => void;
}

export interface ServerToClientEvents {
  /** Pushed when this volunteer's validated credit changes. */
  credit: (summary: VolunteerSummary) => void;
  /** Pushed when a workload is cancelled or ends: drop its in-flight units. */
  'workload:ended': (payload: { workloadId: string }) => void;
  /**
   * Pushed to connections whose last unit:request found no work, once new units become
   * leasable (a workload submitted, a training round opened, leases returned): ask again now
   * instead of after retryAfterMs. A hint, never a lease; polling stays the fallback.
   */
  'work:available': () => void;
}
