// [I3] An inference workload's tally, folded per validated unit (A1) and unfolded when a lone
// result is withdrawn (R4): rows predicted, rows per class, and rows whose class is their label
// (each unit's labels travel in its plan); and the small answer the dashboard shows from it.
import type { InferenceResult } from '@tessera/shared/kinds/inference/inferenceResult';
import type { StoredInferenceSpec } from '@tessera/shared/kinds/inference/inferenceSpec';
import type { UnitRow, WorkloadView } from '../../engine/repository';

/** [I1] A unit of rows: where it starts, how many, their shard's hash. */
export interface RowsPlan {
  first: number;
  count: number;
  hash: string;
  /** The rows' labels (base64 bytes) when the dataset has them: accuracy is folded per unit. */
  labels?: string;
}

/** [I3] What validated units add up to: rows predicted, and those matching their label. */
export interface InferenceAggregate {
  predicted: number;
  correct: number;
  /** Rows predicted as each class. */
  perClass: number[];
}

function matches(classes: Uint8Array, labels: Uint8Array): number {
  let right = 0;
  for (let n = 0; n < classes.length; n++) if (classes[n] === labels[n]) right++;
  return right;
}

export function unitTally(unit: UnitRow, result: InferenceResult): InferenceAggregate {
  const { labels } = unit.plan as RowsPlan;
  const perClass = new Array<number>(result.classCount).fill(0);
  for (const c of result.classes) perClass[c]! += 1;
  return {
    predicted: result.classes.length,
    correct: labels ? matches(result.classes, Buffer.from(labels, 'base64')) : 0,
    perClass,
  };
}

/** The tally with a unit's added (sign 1) or taken out (sign -1). */
export function tallied(was: InferenceAggregate, unit: InferenceAggregate, sign: 1 | -1) {
  return {
    predicted: was.predicted + sign * unit.predicted,
    correct: was.correct + sign * unit.correct,
    perClass: was.perClass.map((n, c) => n + sign * (unit.perClass[c] ?? 0)),
  } satisfies InferenceAggregate;
}

/** The dashboard's answer: the tally, without the predictions. */
export function inferenceSummary(
  view: WorkloadView,
  spec: StoredInferenceSpec,
): Record<string, unknown> {
  const { resolved, workload, dataset } = spec;
  const { predicted, correct, perClass } = view.aggregate as InferenceAggregate;
  // The dashboard's headline is the first number here: accuracy where there are labels,
  // else the rows predicted.
  return {
    kind: 'inference',
    ...(resolved.labeled ? { accuracy: predicted > 0 ? correct / predicted : null } : {}),
    rowsPredicted: predicted,
    rows: resolved.rows,
    ...(resolved.labeled ? { correct } : {}),
    classes: resolved.modelConfig.classes,
    classCounts: perClass,
    labeled: resolved.labeled,
    model: { workload, version: resolved.version, hash: resolved.modelHash },
    dataset,
    final: view.status === 'completed',
    status: view.status,
    unitsValidated: view.unitsValidated,
    unitsTotal: view.unitsTotal,
  };
}
