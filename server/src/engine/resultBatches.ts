// [L11][V1][Q1]-[Q6][R9] A volunteer's results, a batch in one transaction: the batch's replicas
// and units read at once, each result taken on its own (a refusal answers that item only), then
// after the commit the announcements, the spot checks and, for units sent to arbitration, the
// final verdicts.
import { TesseraError, toErrorBody } from '@tessera/shared';
import type { BatchReply } from '../coordinatorTypes';
import type { Logger } from '../ops/logger';
import { arbitratedInvalid, invalidReplicas, reportVerdicts } from '../ops/resultVerdicts';
import type { ThroughputMeter } from '../scheduler/throughputMeter';
import type { Aftermath, EngineCore } from './aftermath';
import type { WorkloadMeta } from './kind';
import { Ledger } from './ledger';
import { takeResult, type ResultItem } from './results';
import type { SpotChecks } from './spotChecks';

export interface ResultBatchCore extends EngineCore {
  readonly throughput: ThroughputMeter;
  readonly logger: Logger;
}

export class ResultBatches {
  constructor(
    private readonly core: ResultBatchCore,
    private readonly aftermath: Aftermath,
    private readonly spotChecks: SpotChecks,
  ) {}

  /** Answers each item of the batch, in order; `connectionId` gets the throughput credited. */
  async take(
    volunteerId: string,
    connectionId: string | null,
    items: readonly ResultItem[],
  ): Promise<BatchReply[]> {
    const { core } = this;
    const { ledger, outcomes, caught } = await core.transaction(async (tx) => {
      const ledger = new Ledger(tx, core.ledgerEnv);
      const env = {
        meta: (id: string) => core.meta(tx, id),
        plugin: (m: WorkloadMeta) => core.plugin(m),
        spotCheck: (_m: WorkloadMeta, lone: boolean) => this.spotChecks.wants(lone),
      };
      await tx.prefetchResults(items.map((item) => item.replicaId));
      const outcomes = [];
      for (const item of items) outcomes.push(await takeResult(ledger, env, volunteerId, item));
      return { ledger, outcomes, caught: await invalidReplicas(tx, ledger) };
    });
    const replies: BatchReply[] = outcomes.map((o, i) => {
      if (!o.ok) {
        core.counters.inc('tessera_results_refused_total', { code: o.code });
        return { ok: false, error: toErrorBody(new TesseraError(o.code, o.message)) };
      }
      core.counters.inc('tessera_results_accepted_total');
      if (connectionId) core.throughput.record(connectionId, o.connectionWork, items[i]!.elapsedMs);
      return { ok: true, verdict: o.verdict };
    });
    await this.aftermath.finish(ledger);
    this.spotChecks.enqueue(ledger.spotChecks);
    if (ledger.arbitrate.length > 0) {
      // [Q6] arbitration settled contested units after the commit: report the final verdicts.
      await core.transaction(async (tx) => {
        for (const [i, reply] of replies.entries()) {
          if (!reply.ok || reply.verdict !== 'pending') continue;
          const state = (await tx.replica(items[i]!.replicaId))?.state;
          if (state === 'valid' || state === 'invalid') replies[i] = { ok: true, verdict: state };
        }
        caught.push(...(await arbitratedInvalid(tx, ledger)));
      });
    }
    reportVerdicts(core.logger, core.counters, caught, replies);
    return replies;
  }
}
