// The public answer of a gradient workload: where training stands (version, per-step loss and
// held-out accuracy) and where its parameters download, read from the kind's own state.
import { parameterCount } from '@tessera/shared/kinds/gradient/gradientModel';
import type { GradientSpec } from '@tessera/shared/kinds/gradient/gradientSpec';
import type { Tx, WorkloadView } from '../../engine/repository';
import { modelConfigOf } from './gradientDatasets';
import { gradientStateOf, type StepMetrics } from './gradientRounds';
import { decodeStandardization, STANDARDIZATION_BLOB } from './standardizationBlob';
import type { Standardization } from '../../datasets/uploadedSets';

export interface GradientResultSummary {
  kind: 'gradient';
  status: string;
  final: boolean;
  /** Parameter version reached (= steps completed). */
  version: number;
  stepsTotal: number;
  /** `versions` (asynchronous rounds only): the parameter version of each shard's gradient. */
  steps: Array<{ step: number; loss: number; accuracy?: number; versions?: number[] }>;
  loss: number | null;
  accuracy: number | null;
  parameterCount: number;
  /** GET this with ?format=bin (or the versioned URL) for the parameters as float32 bytes. */
  paramsUrl: string;
  unitsValidated: number;
  unitsTotal: number;
  /** An uploaded dataset: its rows, the split, and the per-column statistics features were standardised with. */
  data?: NonNullable<GradientSpec['data']> & { dataset: string };
  standardization?: Standardization;
}

export async function gradientSummary(
  view: WorkloadView,
  spec: GradientSpec,
  tx: Tx,
): Promise<GradientResultSummary> {
  const state = gradientStateOf(view);
  const metrics = (await tx.records(view.id)) as StepMetrics[];
  const lastEval = [...metrics].reverse().find((m) => m.accuracy !== null);
  const stats = spec.data ? await tx.blob(view.id, STANDARDIZATION_BLOB) : null;
  return {
    kind: 'gradient',
    status: view.status,
    final: view.status === 'completed',
    version: state.version,
    stepsTotal: state.steps,
    steps: metrics.map((m) => ({
      step: m.step,
      loss: m.loss,
      ...(m.accuracy !== null ? { accuracy: m.accuracy } : {}),
      // [A3] which parameter version each shard used: with the spec, enough to replay the run.
      ...(spec.maxStaleness > 0 ? { versions: m.versions } : {}),
    })),
    loss: metrics.at(-1)?.loss ?? null,
    accuracy: lastEval?.accuracy ?? null,
    parameterCount: parameterCount(modelConfigOf(spec)),
    paramsUrl: `/api/workloads/${view.id}/result?format=bin`,
    unitsValidated: view.unitsValidated,
    unitsTotal: view.unitsTotal,
    ...(spec.data ? { data: { dataset: spec.dataset, ...spec.data } } : {}),
    ...(stats ? { standardization: decodeStandardization(stats) } : {}),
  };
}
