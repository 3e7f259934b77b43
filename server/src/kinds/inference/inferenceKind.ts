// Inference as an engine plug-in (DESIGN.md section 3): a trained model over every row of an
// uploaded dataset. Units are slices of rows, all leasable at once (round 0); a result is the
// slice's classes and probabilities (inferenceResult.ts); replicas agree on every class exactly
// and on probabilities within the spec's tolerance. The answer is the validated units'
// canonical results in row order, read when asked (nothing to fold: a caught volunteer's lone
// result is simply taken back and its unit reopened).
//
// At submission the model is pinned (its parameter bytes copied into this workload as the
// `model` blob, named by their SHA-256) with the training's standardisation, so the answer never
// depends on what happens to the training workload or its dataset afterwards.
import { ERROR_CODES, TesseraError, type Lease, type SubmitWorkload } from '@tessera/shared';
import { ByteLru } from '@tessera/shared/kinds/gradient/byteLru';
import { SPOT_BLOCKS } from '@tessera/shared/kinds/estimator';
import { sliceExamples, type ExampleSet } from '@tessera/shared/kinds/gradient/exampleSet';
import { flopsPerExample } from '@tessera/shared/kinds/gradient/gradientModel';
import { decodeShard, encodeShard } from '@tessera/shared/kinds/gradient/shardCodec';
import {
  decodeInferenceResult,
  encodeInferenceResult,
  inferenceResultProblem,
  inferenceResultsAgree,
  type InferenceResult,
} from '@tessera/shared/kinds/inference/inferenceResult';
import {
  MAX_ROWS_PER_UNIT,
  storedInferenceSpecSchema,
  type InferenceTask,
  type StoredInferenceSpec,
} from '@tessera/shared/kinds/inference/inferenceSpec';
import { predictRows } from '@tessera/shared/kinds/inference/predictRows';
import type {
  KindContext,
  KindPlugin,
  ParsedResult,
  PlannedWorkload,
  SettleOutcome,
  SpotCheckOutcome,
  ValidatedOutcome,
  WorkloadMeta,
} from '../../engine/kind';
import type { Tx, UnitRow, WorkloadView } from '../../engine/repository';
import { standardize, type Standardization } from '../../datasets/uploadedSets';
import { ownBuffer, paramsOf, sha256Hex } from '../gradient/gradientPlan';
import {
  decodeStandardization,
  encodeStandardization,
  STANDARDIZATION_BLOB,
} from '../gradient/standardizationBlob';
import { leaseOf, parseBinaryResult } from '../wireResults';
import {
  inferenceSummary,
  tallied,
  unitTally,
  type InferenceAggregate,
  type RowsPlan,
} from './inferenceTally';
import { trainedModel } from './inferenceModel';
import { inferenceAnswer } from './inferenceAnswer';

/** A unit aims at this many floating-point operations (about a second on a laptop GPU). */
const UNIT_FLOPS = 1e9;
const MIN_ROWS_PER_UNIT = 64;
const DEFAULT_MAX_ROWS_PER_UNIT = 4_096;
/** Row slices kept encoded for serving (and spot checks), by bytes. */
const ROWS_CACHE_BYTES = 128 * 1024 * 1024;
const MODELS_CACHE_BYTES = 64 * 1024 * 1024;

function rowsKey(workloadId: string, idx: number): string {
  return `${workloadId}/${idx}`;
}

function specOf(meta: { spec: unknown }): StoredInferenceSpec {
  return meta.spec as StoredInferenceSpec;
}

const INFERENCE_CODEC = {
  name: 'inference',
  decode: decodeInferenceResult,
  encode: encodeInferenceResult,
};

export class InferenceKind implements KindPlugin {
  readonly kind = 'inference' as const;
  readonly leaseChoices = 4;
  readonly stragglerBackups = true;
  readonly batchLeases = false;
  /** Units' rows, encoded, by `workload/unit`. */
  private readonly rowsCache = new ByteLru(ROWS_CACHE_BYTES);
  /** Pinned models' parameter bytes, by workload. */
  private readonly models = new ByteLru(MODELS_CACHE_BYTES);

  constructor(private readonly context: KindContext) {}

  parseSpec(raw: unknown): StoredInferenceSpec {
    return storedInferenceSpecSchema.parse(raw);
  }

  async plan(input: SubmitWorkload, id: string, now: number): Promise<PlannedWorkload> {
    if (input.kind !== 'inference') throw new Error('not an inference workload');
    const spec = input.spec;
    const model = await trainedModel(this.context.repository, now, spec.workload);
    const dataset = await this.context.datasets.find(spec.dataset);
    if (!dataset) {
      const message = `no dataset with id ${spec.dataset}`;
      throw new TesseraError(ERROR_CODES.invalidSpec, `spec.dataset: ${message}`, [
        { path: 'spec.dataset', message },
      ]);
    }
    if (dataset.features !== model.config.inputSize) {
      const message = `dataset ${dataset.id} has ${dataset.features} features, the model takes ${model.config.inputSize}`;
      throw new TesseraError(ERROR_CODES.invalidSpec, `spec.dataset: ${message}`, [
        { path: 'spec.dataset', message },
      ]);
    }
    const forward = Math.max(1, flopsPerExample(model.config) / 3);
    const rowsPerUnit = Math.min(
      dataset.rows,
      spec.rowsPerUnit ??
        Math.max(
          MIN_ROWS_PER_UNIT,
          Math.min(DEFAULT_MAX_ROWS_PER_UNIT, Math.round(UNIT_FLOPS / forward)),
        ),
      MAX_ROWS_PER_UNIT,
    );
    const content = await this.context.datasets.content(dataset.id);
    const stats = model.standardization;
    const units = [];
    for (let idx = 0, first = 0; first < dataset.rows; idx++, first += rowsPerUnit) {
      const count = Math.min(rowsPerUnit, dataset.rows - first);
      const bytes = this.encodeRows(content, model.config.classes, stats, first, count);
      const hash = sha256Hex(bytes);
      this.rowsCache.set(rowsKey(id, idx), bytes);
      const labels = content.labels?.subarray(first, first + count);
      units.push({
        idx,
        work: Math.round(count * forward),
        plan: {
          first,
          count,
          hash,
          ...(labels ? { labels: Buffer.from(labels).toString('base64') } : {}),
        } satisfies RowsPlan,
      });
    }
    const stored: StoredInferenceSpec = {
      ...spec,
      resolved: {
        modelConfig: model.config,
        parameterCount: model.params.length,
        modelHash: model.hash,
        version: model.version,
        rows: dataset.rows,
        rowsPerUnit,
        labeled: content.labels !== null,
      },
    };
    const modelBytes = new Uint8Array(
      model.params.buffer,
      model.params.byteOffset,
      model.params.byteLength,
    );
    this.models.set(id, modelBytes);
    const blobs: Record<string, Uint8Array> = { model: modelBytes };
    if (stats) blobs[STANDARDIZATION_BLOB] = encodeStandardization(stats);
    return {
      name: `inference of ${spec.workload} on ${dataset.name}`,
      estimator: 'inference',
      spec: stored,
      unitsTotal: units.length,
      units,
      aggregate: {
        predicted: 0,
        correct: 0,
        perClass: new Array<number>(model.config.classes).fill(0),
      } satisfies InferenceAggregate,
      blobs,
    };
  }

  /** A slice of rows as a shard: standardised features, zero labels (not used). */
  private encodeRows(
    content: { values: Float32Array; features: number },
    classes: number,
    stats: Standardization | null,
    first: number,
    count: number,
  ): Uint8Array {
    const d = content.features;
    const raw = content.values.subarray(first * d, (first + count) * d);
    const set: ExampleSet = {
      dtype: 'float32',
      count,
      inputSize: d,
      classes,
      features: stats ? standardize(raw, d, stats) : raw.slice(),
      labels: new Uint8Array(count),
    };
    return new Uint8Array(encodeShard(set));
  }

  /** A unit's rows: from the cache, or cut again from the dataset (and checked by hash). */
  async rows(workloadId: string, idx: number): Promise<Uint8Array> {
    const cached = this.rowsCache.get(rowsKey(workloadId, idx));
    if (cached) return cached;
    const found = await this.context.repository.transaction(this.context.now(), async (tx) => {
      const workload = await tx.peekWorkload(workloadId);
      if (!workload || workload.kind !== 'inference') return null;
      return {
        workload,
        unit: await tx.unit(workloadId, idx),
        stats: await tx.blob(workloadId, STANDARDIZATION_BLOB),
      };
    });
    if (!found?.unit) {
      throw new TesseraError(
        ERROR_CODES.notFound,
        `no unit ${idx} of inference workload ${workloadId}`,
      );
    }
    const plan = found.unit.plan as RowsPlan;
    const spec = this.parseSpec(found.workload.spec);
    const content = await this.context.datasets.content(spec.dataset);
    const stats = found.stats ? decodeStandardization(found.stats) : null;
    const bytes = this.encodeRows(
      content,
      spec.resolved.modelConfig.classes,
      stats,
      plan.first,
      plan.count,
    );
    if (sha256Hex(bytes) !== plan.hash) {
      throw new TesseraError(ERROR_CODES.internal, `unit ${idx}'s rows no longer match their hash`);
    }
    this.rowsCache.set(rowsKey(workloadId, idx), bytes);
    return bytes;
  }

  /** The pinned model's parameter bytes (kept in memory once read). */
  async model(workloadId: string): Promise<Uint8Array> {
    const cached = this.models.get(workloadId);
    if (cached) return cached;
    const bytes = await this.context.repository.transaction(this.context.now(), (tx) =>
      tx.blob(workloadId, 'model'),
    );
    if (!bytes) throw new TesseraError(ERROR_CODES.notFound, `no inference workload ${workloadId}`);
    // A copy of its own: a PostgreSQL Buffer may be a view into a shared pool.
    const own = new Uint8Array(bytes);
    this.models.set(workloadId, own);
    return own;
  }

  /**
   * [R9] Recomputes one block of a returned result's rows (a sixteenth of the unit at most) with
   * the float64 reference and compares it as replicas are compared (I2). Reads nothing from the
   * store: when the unit's rows or the model are not in memory the check is skipped (null).
   */
  async spotCheck(
    meta: WorkloadMeta,
    unitIdx: number,
    result: unknown,
    draw: number,
  ): Promise<SpotCheckOutcome | null> {
    const rowBytes = this.rowsCache.get(rowsKey(meta.id, unitIdx));
    const modelBytes = this.models.get(meta.id);
    if (!rowBytes || !modelBytes) return null;
    const { resolved, tolerance } = specOf(meta);
    const claimed = result as InferenceResult;
    const rows = decodeShard(rowBytes);
    if (claimed.classes.length !== rows.count) return { block: 0, blocks: 1, ok: false };
    const k = resolved.modelConfig.classes;
    const blocks = Math.min(SPOT_BLOCKS, rows.count);
    const block = Math.min(blocks - 1, Math.floor(draw * blocks));
    const from = Math.floor((block * rows.count) / blocks);
    const to = Math.floor(((block + 1) * rows.count) / blocks);
    const truth = predictRows(
      resolved.modelConfig,
      paramsOf(modelBytes),
      sliceExamples(rows, from, to),
    );
    const claim: InferenceResult = {
      classes: claimed.classes.subarray(from, to),
      probabilities: claimed.probabilities.subarray(from * k, to * k),
      classCount: claimed.classCount,
    };
    return { block, blocks, ok: inferenceResultsAgree(truth, claim, tolerance) };
  }

  preferKeys(): readonly string[] {
    return [];
  }

  pinAtLease(): number | null {
    return null;
  }

  taskFor(meta: WorkloadMeta, unit: UnitRow): InferenceTask {
    const { resolved } = specOf(meta);
    const plan = unit.plan as RowsPlan;
    return {
      modelConfig: resolved.modelConfig,
      parameterCount: resolved.parameterCount,
      model: { url: `/api/workloads/${meta.id}/model`, hash: resolved.modelHash },
      rows: {
        url: `/api/workloads/${meta.id}/rows/${unit.idx}`,
        hash: plan.hash,
        count: plan.count,
        first: plan.first,
      },
    };
  }

  toLease(
    meta: WorkloadMeta,
    unit: UnitRow,
    replica: { id: number; deadline: number; leaseDurationMs: number },
  ): Lease {
    return leaseOf(meta, unit, replica, 'inference', this.taskFor(meta, unit));
  }

  parseResult(meta: WorkloadMeta, unit: UnitRow, raw: unknown): ParsedResult {
    return parseBinaryResult(raw, INFERENCE_CODEC, (result) =>
      inferenceResultProblem(result, {
        rows: (unit.plan as RowsPlan).count,
        classes: specOf(meta).resolved.modelConfig.classes,
      }),
    );
  }

  decode(_meta: WorkloadMeta, bytes: Uint8Array): InferenceResult {
    return decodeInferenceResult(bytes);
  }

  same(meta: WorkloadMeta, a: unknown, b: unknown): boolean {
    return inferenceResultsAgree(
      a as InferenceResult,
      b as InferenceResult,
      specOf(meta).tolerance,
    );
  }

  /** [Q6] The coordinator's own forward pass (float64 reference) over the unit's rows. */
  async reference(meta: WorkloadMeta, unit: UnitRow) {
    const task = this.taskFor(meta, unit);
    const [rowBytes, modelBytes] = await Promise.all([
      this.rows(meta.id, unit.idx),
      this.model(meta.id),
    ]);
    const result = predictRows(task.modelConfig, paramsOf(modelBytes), decodeShard(rowBytes));
    return { result, bytes: new Uint8Array(encodeInferenceResult(result)) };
  }

  async onValidated(
    tx: Tx,
    meta: WorkloadMeta,
    unit: UnitRow,
    canonical: unknown,
  ): Promise<ValidatedOutcome> {
    const workload = (await tx.workload(meta.id))!;
    const was = workload.aggregate as InferenceAggregate;
    await tx.setAggregate(meta.id, tallied(was, unitTally(unit, canonical as InferenceResult), 1));
    return {
      complete: workload.unitsValidated === workload.unitsTotal && workload.status === 'running',
      settle: false,
    };
  }

  /** [R4] A withdrawn lone result: its rows leave the tally and its unit reopens. */
  async unfold(tx: Tx, meta: WorkloadMeta, unit: UnitRow, canonical: unknown): Promise<boolean> {
    const workload = (await tx.workload(meta.id))!;
    const was = workload.aggregate as InferenceAggregate;
    await tx.setAggregate(meta.id, tallied(was, unitTally(unit, canonical as InferenceResult), -1));
    return true;
  }

  async settle(): Promise<SettleOutcome> {
    return { opened: false, ended: null };
  }

  async result(view: WorkloadView, tx: Tx): Promise<Record<string, unknown>> {
    const answer = await inferenceAnswer(view, this.parseSpec(view.spec), tx);
    return {
      ...this.summary(view),
      predictions: Array.from(answer.classes, (c, n) => (answer.done[n] ? c : null)),
    };
  }

  /** The dashboard's answer: the tally, without the predictions. */
  summary(view: WorkloadView): Record<string, unknown> {
    return inferenceSummary(view, this.parseSpec(view.spec));
  }

  forgetConnection(): void {}
}
