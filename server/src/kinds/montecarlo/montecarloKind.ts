// Monte Carlo workloads as an engine plug-in: every unit exists from the start (one round),
// results are the estimator's integer accumulators compared exactly (with their blocks, [R9]),
// a validated unit folds into the aggregate in its transaction ([A1]) and a withdrawn one
// unfolds exactly ([R4]); the estimator's reference arbitrates contested units ([Q6]) and
// recomputes one block of a result to spot-check it ([R9]): the TypeScript reference, or the
// kernel lab (Dawn in a child process) for researchers' WGSL kernels, which also checks a
// kernel before its workload is accepted.
import {
  ERROR_CODES,
  TesseraError,
  estimatorFor,
  type AnyEstimator,
  type Backend,
  type Lease,
  type SubmitWorkload,
} from '@tessera/shared';
import {
  agreement,
  blocksOf,
  parseWithBlocks,
  runInBlocks,
  sameWithBlocks,
} from '@tessera/shared/kinds/blockResults';
import { toleranceFor } from '@tessera/shared/kinds/wgsl-kernel/wgslTolerance';
import { leaseOf } from '../wireResults';
import type {
  KindPlugin,
  ParsedResult,
  PlannedWorkload,
  SettleOutcome,
  SpotCheckOutcome,
  ValidatedOutcome,
  WorkloadMeta,
} from '../../engine/kind';
import type { Tx, UnitRow, WorkloadView } from '../../engine/repository';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function estimatorOf(meta: { estimator: string }): AnyEstimator {
  return estimatorFor(meta.estimator);
}

function encode(result: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(result));
}

/** What a refused kernel's problems look like ([line, column] in the researcher's source). */
export interface KernelProblem {
  line: number | null;
  column: number | null;
  message: string;
}

/** The coordinator's GPU for estimators without a TypeScript reference (researchers' kernels). */
export interface KernelRunner {
  /** Compiles and trial-runs a spec's kernel: refusals, or the samples per unit it suggests. */
  check(
    spec: unknown,
  ): Promise<{ ok: true; samplesPerUnit: number } | { ok: false; problems: KernelProblem[] }>;
  /** One task (a unit or one of its blocks) computed on the coordinator's GPU. */
  run(task: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** A kernel's refusal as the REST answer: INVALID_SPEC with each problem at its line. */
function kernelRefusal(problems: readonly KernelProblem[]): TesseraError {
  const details = problems.map((p) => ({
    path: 'spec.source',
    message: p.line === null ? p.message : `line ${p.line}, column ${p.column ?? 1}: ${p.message}`,
    ...(p.line === null ? {} : { line: p.line, column: p.column ?? 1 }),
  }));
  return new TesseraError(
    ERROR_CODES.invalidSpec,
    `the kernel was refused: ${details[0]?.message ?? 'unknown problem'}`,
    details,
  );
}

export class MontecarloKind implements KindPlugin {
  readonly kind = 'montecarlo' as const;
  readonly leaseChoices = 8;
  readonly stragglerBackups = false;
  readonly batchLeases = true;
  private lab: KernelRunner | null = null;

  /** `kernels` opens the kernel lab the first time a GPU-only estimator needs it. */
  constructor(private readonly kernels: () => KernelRunner) {}

  private kernelLab(): KernelRunner {
    this.lab ??= this.kernels();
    return this.lab;
  }

  async close(): Promise<void> {
    const lab = this.lab;
    this.lab = null;
    await lab?.close();
  }

  parseSpec(raw: unknown): unknown {
    const estimator = estimatorFor((raw as { estimator: string }).estimator);
    return estimator.specSchema.parse(raw);
  }

  async plan(input: SubmitWorkload, _id: string, now: number): Promise<PlannedWorkload> {
    if (input.kind !== 'montecarlo') throw new Error('not a Monte Carlo workload');
    const estimator = estimatorFor(input.spec.estimator);
    let spec = estimator.specSchema.parse(input.spec) as Record<string, unknown>;
    if (estimator.requiresGpu) {
      // Compiled and trial-run before anything is stored; the trial sizes the units.
      const checked = await this.kernelLab().check(spec);
      if (!checked.ok) throw kernelRefusal(checked.problems);
      // Stored resolved: the unit size the trial suggests, the tolerance its operations need.
      const asked = input.spec as Record<string, unknown>;
      spec = estimator.specSchema.parse({
        ...spec,
        samplesPerUnit: asked.samplesPerUnit ?? checked.samplesPerUnit,
        tolerance: toleranceFor(spec as { source: string; tolerance?: number }),
      }) as Record<string, unknown>;
    }
    const count = estimator.unitCount(spec);
    return {
      name: `${input.spec.estimator} ${new Date(now).toISOString()}`,
      estimator: estimator.estimator,
      spec,
      unitsTotal: count,
      units: Array.from({ length: count }, (_, idx) => ({
        idx,
        work: estimator.workOf(estimator.taskFor(spec, idx)),
      })),
      aggregate: estimator.emptyAggregate(),
    };
  }

  runsOn(meta: WorkloadMeta, backend: Backend): boolean {
    return backend === 'webgpu' || !estimatorOf(meta).requiresGpu;
  }

  preferKeys(): readonly string[] {
    return [];
  }

  pinAtLease(): number | null {
    return null;
  }

  toLease(
    meta: WorkloadMeta,
    unit: UnitRow,
    replica: { id: number; deadline: number; leaseDurationMs: number },
  ): Lease {
    return leaseOf(
      meta,
      unit,
      replica,
      'montecarlo',
      estimatorOf(meta).taskFor(meta.spec, unit.idx),
    );
  }

  parseResult(meta: WorkloadMeta, unit: UnitRow, raw: unknown): ParsedResult {
    const estimator = estimatorOf(meta);
    const parsed = parseWithBlocks(estimator, estimator.taskFor(meta.spec, unit.idx), raw);
    return 'problem' in parsed ? parsed : { result: parsed.result, bytes: encode(parsed.result) };
  }

  decode(_meta: WorkloadMeta, bytes: Uint8Array): unknown {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  }

  same(meta: WorkloadMeta, a: unknown, b: unknown): boolean {
    return sameWithBlocks(estimatorOf(meta), a, b, meta.spec);
  }

  /** A task computed by the coordinator: the TypeScript reference, or the kernel lab. */
  private async compute(estimator: AnyEstimator, task: unknown): Promise<unknown> {
    return estimator.requiresGpu ? this.kernelLab().run(task) : estimator.runReference(task);
  }

  async reference(
    meta: WorkloadMeta,
    unit: UnitRow,
  ): Promise<{ result: unknown; bytes: Uint8Array }> {
    const estimator = estimatorOf(meta);
    const task = estimator.taskFor(meta.spec, unit.idx);
    const { result } = await runInBlocks(estimator, task, async (t) => ({
      result: await this.compute(estimator, t),
    }));
    return { result, bytes: encode(result) };
  }

  async spotCheck(
    meta: WorkloadMeta,
    unitIdx: number,
    result: unknown,
    draw: number,
  ): Promise<SpotCheckOutcome | null> {
    const estimator = estimatorOf(meta);
    const claimed = blocksOf(result);
    if (!estimator.blockTasks || claimed === null) return null;
    const tasks = estimator.blockTasks(estimator.taskFor(meta.spec, unitIdx));
    if (tasks.length !== claimed.length) return null;
    const block = Math.min(tasks.length - 1, Math.floor(draw * tasks.length));
    const truth = await this.compute(estimator, tasks[block]);
    const ok = agreement(estimator, meta.spec)(truth, claimed[block]);
    return { block, blocks: tasks.length, ok };
  }

  async onValidated(
    tx: Tx,
    meta: WorkloadMeta,
    _unit: UnitRow,
    canonical: unknown,
  ): Promise<ValidatedOutcome> {
    const workload = (await tx.workload(meta.id))!;
    const estimator = estimatorOf(meta);
    await tx.setAggregate(meta.id, estimator.fold(workload.aggregate, canonical));
    return {
      complete: workload.unitsValidated === workload.unitsTotal && workload.status === 'running',
      settle: false,
    };
  }

  async unfold(tx: Tx, meta: WorkloadMeta, _unit: UnitRow, canonical: unknown): Promise<boolean> {
    const estimator = estimatorOf(meta);
    if (!estimator.unfold) return false;
    const workload = (await tx.workload(meta.id))!;
    await tx.setAggregate(meta.id, estimator.unfold(workload.aggregate, canonical));
    return true;
  }

  async settle(): Promise<SettleOutcome> {
    return { opened: false, ended: null };
  }

  async result(view: WorkloadView): Promise<Record<string, unknown>> {
    const estimator = estimatorOf(view);
    const aggregate = estimator.aggregateSchema.parse(view.aggregate);
    return {
      ...(estimator.finalize(aggregate) as Record<string, unknown>),
      final: view.status === 'completed',
      status: view.status,
      unitsValidated: view.unitsValidated,
      unitsTotal: view.unitsTotal,
    };
  }

  forgetConnection(): void {}
}
