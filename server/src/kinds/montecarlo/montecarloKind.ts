// Monte Carlo workloads as an engine plug-in: every unit exists from the start (one round),
// results are the estimator's integer accumulators compared exactly, a validated unit folds into
// the aggregate in its transaction ([A1]) and a withdrawn one unfolds exactly ([R4]); the
// estimator's TypeScript reference arbitrates contested units ([Q6]).
import { estimatorFor, type AnyEstimator, type Lease, type SubmitWorkload } from '@tessera/shared';
import type {
  KindPlugin,
  ParsedResult,
  PlannedWorkload,
  SettleOutcome,
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

export class MontecarloKind implements KindPlugin {
  readonly kind = 'montecarlo' as const;
  readonly leaseChoices = 8;
  readonly stragglerBackups = false;
  readonly batchLeases = true;

  parseSpec(raw: unknown): unknown {
    const estimator = estimatorFor((raw as { estimator: string }).estimator);
    return estimator.specSchema.parse(raw);
  }

  async plan(input: SubmitWorkload, _id: string, now: number): Promise<PlannedWorkload> {
    if (input.kind !== 'montecarlo') throw new Error('not a Monte Carlo workload');
    const estimator = estimatorFor(input.spec.estimator);
    const spec = estimator.specSchema.parse(input.spec);
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
    return {
      replicaId: replica.id,
      workloadId: meta.id,
      workloadName: meta.name,
      kind: 'montecarlo',
      estimator: meta.estimator,
      unitIndex: unit.idx,
      task: estimatorOf(meta).taskFor(meta.spec, unit.idx),
      deadline: replica.deadline,
      leaseDurationMs: replica.leaseDurationMs,
    };
  }

  parseResult(meta: WorkloadMeta, unit: UnitRow, raw: unknown): ParsedResult {
    const estimator = estimatorOf(meta);
    const parsed = estimator.resultSchema.safeParse(raw);
    if (!parsed.success) {
      return {
        problem: parsed.error.issues
          .map((i) => `${i.path.join('.') || 'result'}: ${i.message}`)
          .join('; '),
      };
    }
    const problem = estimator.implausibility(estimator.taskFor(meta.spec, unit.idx), parsed.data);
    return problem === null ? { result: parsed.data, bytes: encode(parsed.data) } : { problem };
  }

  decode(_meta: WorkloadMeta, bytes: Uint8Array): unknown {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  }

  same(meta: WorkloadMeta, a: unknown, b: unknown): boolean {
    return estimatorOf(meta).sameResult(a, b);
  }

  async reference(
    meta: WorkloadMeta,
    unit: UnitRow,
  ): Promise<{ result: unknown; bytes: Uint8Array }> {
    const result = estimatorOf(meta).runReference(estimatorOf(meta).taskFor(meta.spec, unit.idx));
    return { result, bytes: encode(result) };
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
