// Closing gradient rounds ([A3]) outside the write lock: once every shard of the current step is
// validated, the canonical gradients are read, aggregated in shard order (stale ones weighed),
// the optimizer steps and the held-out set is evaluated with no transaction open; then one
// transaction commits the step if the version is still the one computed from (a concurrent
// close, in this process or another, makes it a no-op), records the metrics, opens the next
// round and completes the workload after the last step. The sweep calls it too, so a crash
// between a round's last validation and its close loses nothing.
import { evaluate } from '@tessera/shared/kinds/gradient/gradientReference';
import type { GradientResult } from '@tessera/shared/kinds/gradient/gradientReference';
import type { GradientSpec } from '@tessera/shared/kinds/gradient/gradientSpec';
import { optimizerStep } from '@tessera/shared/kinds/gradient/optimizer';
import {
  decodeOptimizerState,
  encodeOptimizerState,
} from '@tessera/shared/kinds/gradient/optimizerStateCodec';
import { aggregateGradients } from '@tessera/shared/kinds/gradient/robustAggregation';
import { weighStaleness } from '@tessera/shared/kinds/gradient/staleness';
import type { KindContext, SettleOutcome, WorkloadMeta } from '../../engine/kind';
import type { NewUnit, WorkloadRow } from '../../engine/repository';
import { modelConfigOf, type GradientDatasets } from './gradientDatasets';
import { aggregationOf, bytesOf, optimizerOf, ownBuffer, paramsOf } from './gradientPlan';

export interface GradientState {
  /** The open round's step (= parameter version); `steps` once training is done. */
  version: number;
  steps: number;
}

export interface StepMetrics {
  step: number;
  /** Mean training loss of the step's batch, at the parameters before the step's update. */
  loss: number;
  trainCorrect: number;
  examples: number;
  /** Held-out accuracy after the step's update, on the steps where it was evaluated. */
  accuracy: number | null;
  /** [A3] The parameter version each shard's gradient was taken at, in shard order. */
  versions: number[];
}

export function gradientStateOf(workload: Pick<WorkloadRow, 'aggregate'>): GradientState {
  return workload.aggregate as GradientState;
}

/**
 * The oldest parameter version the store holds: [A3] the open round's and the maxStaleness
 * before it while training; the final one alone once done.
 */
export function oldestHeldVersion(state: GradientState, spec: GradientSpec): number {
  return state.version >= state.steps
    ? state.version
    : Math.max(0, state.version - spec.maxStaleness);
}

interface RoundSource {
  readonly datasets: GradientDatasets;
  decode(meta: WorkloadMeta, bytes: Uint8Array): GradientResult;
  planRound(workloadId: string, spec: GradientSpec, step: number): Promise<NewUnit[]>;
  paramsCommitted(workloadId: string, version: number, bytes: Uint8Array, oldestHeld: number): void;
}

export class GradientRounds {
  /** One closer per workload in this process at a time. */
  private readonly closing = new Map<string, Promise<SettleOutcome>>();

  constructor(
    private readonly context: KindContext,
    private readonly source: RoundSource,
  ) {}

  closeReady(meta: WorkloadMeta): Promise<SettleOutcome> {
    const running = this.closing.get(meta.id);
    const next = (running ?? Promise.resolve()).then(() => this.closeLoop(meta));
    const tracked = next.finally(() => {
      if (this.closing.get(meta.id) === tracked) this.closing.delete(meta.id);
    });
    this.closing.set(meta.id, tracked);
    return tracked;
  }

  private async closeLoop(meta: WorkloadMeta): Promise<SettleOutcome> {
    const outcome: SettleOutcome = { opened: false, ended: null };
    for (;;) {
      const step = await this.closeOne(meta);
      if (step === null) return outcome;
      outcome.opened = true;
      if (step === 'completed') {
        outcome.ended = 'completed';
        return outcome;
      }
    }
  }

  /** Closes the current round if every shard is in; null when there was none to close. */
  private async closeOne(meta: WorkloadMeta): Promise<'closed' | 'completed' | null> {
    const repo = this.context.repository;
    // Parsed once per workload, when the coordinator first read it (WorkloadMeta.spec).
    const spec = meta.spec as GradientSpec;
    const input = await repo.transaction(this.context.now(), async (tx) => {
      const w = await tx.workload(meta.id);
      if (!w || (w.status !== 'running' && w.status !== 'queued')) return null;
      const state = gradientStateOf(w);
      const units = await tx.unitsOfRound(meta.id, state.version);
      if (units.length === 0 || units.some((u) => u.state !== 'validated' || !u.canonical)) {
        return null;
      }
      return {
        state,
        canonicals: units.map((u) => this.source.decode(meta, u.canonical!)),
        versions: units.map((u) => u.pin ?? state.version),
        params: (await tx.blob(meta.id, 'params'))!,
        optimizer: (await tx.blob(meta.id, 'optimizer'))!,
      };
    });
    if (!input) return null;
    const step = input.state.version;
    const sets = await this.source.datasets.load(spec);
    // [A3] a stale shard's gradient counts 1 / (1 + staleness).
    const gradient = aggregateGradients(
      weighStaleness(step, input.canonicals, input.versions),
      aggregationOf(spec),
    );
    const next = optimizerStep(
      optimizerOf(spec),
      paramsOf(input.params),
      decodeOptimizerState(ownBuffer(input.optimizer)),
      gradient,
    );
    let lossSum = 0;
    let examples = 0;
    let trainCorrect = 0;
    for (const r of input.canonicals) {
      lossSum += r.lossSum;
      examples += r.count;
      trainCorrect += r.correct;
    }
    const done = step + 1;
    const evaluateNow = done % spec.evalEvery === 0 || done === input.state.steps;
    const metrics: StepMetrics = {
      step,
      loss: lossSum / examples,
      trainCorrect,
      examples,
      accuracy: evaluateNow ? evaluate(modelConfigOf(spec), next.params, sets.test).accuracy : null,
      versions: input.versions,
    };
    const opening = done + spec.maxStaleness;
    const nextRound =
      opening < input.state.steps ? await this.source.planRound(meta.id, spec, opening) : null;
    const nextParams = bytesOf(next.params);
    const closed = await repo.transaction(this.context.now(), async (tx) => {
      const w = await tx.workload(meta.id);
      if (!w || gradientStateOf(w).version !== step) return null;
      if (w.status !== 'running' && w.status !== 'queued') return null;
      if (spec.maxStaleness > 0) {
        // [A3] Units of the open rounds may still be computed at the versions this one replaces.
        await tx.putBlob(meta.id, `params@${step}`, input.params);
        await tx.deleteBlob(meta.id, `params@${done - spec.maxStaleness - 1}`);
      }
      await tx.putBlob(meta.id, 'params', nextParams);
      await tx.putBlob(meta.id, 'optimizer', new Uint8Array(encodeOptimizerState(next.state)));
      await tx.putRecord(meta.id, step, metrics);
      await tx.setAggregate(meta.id, { version: done, steps: input.state.steps });
      // Backup replicas still computing this round are no longer needed: their results are stale.
      for (const r of await tx.inFlight({ workloadId: meta.id, round: step })) {
        await tx.updateReplica(r.id, {
          state: 'timed_out',
          error: 'round closed',
          returnedAt: tx.now,
        });
        await tx.updateUnit(meta.id, r.unitIdx, { inFlight: 0 });
      }
      await tx.clearCanonicals(meta.id, step);
      if (done === input.state.steps) {
        for (let v = done - spec.maxStaleness - 1; v < done; v++) {
          await tx.deleteBlob(meta.id, `params@${v}`);
        }
        await tx.setWorkloadStatus(meta.id, 'completed', null);
        return 'completed' as const;
      }
      if (nextRound) await tx.insertUnits(meta.id, nextRound, meta.redundancy.quorum);
      return 'closed' as const;
    });
    if (closed !== null) {
      const oldest = oldestHeldVersion({ version: done, steps: input.state.steps }, spec);
      this.source.paramsCommitted(meta.id, done, nextParams, oldest);
    }
    return closed;
  }
}
