// An inference workload's predictions so far, assembled from its validated units' canonical
// results in row order ([I3]): the class and probabilities of every predicted row.
import type { StoredInferenceSpec } from '@tessera/shared/kinds/inference/inferenceSpec';
import { decodeInferenceResult } from '@tessera/shared/kinds/inference/inferenceResult';
import type { Tx, WorkloadView } from '../../engine/repository';

export interface InferenceAnswer {
  rows: number;
  classCount: number;
  /** Per row (0 where not predicted yet: see done). */
  classes: Uint8Array;
  /** rows x classCount */
  probabilities: Float32Array;
  /** 1 where the row's unit is validated. */
  done: Uint8Array;
}

export async function inferenceAnswer(
  view: Pick<WorkloadView, 'id'>,
  spec: StoredInferenceSpec,
  tx: Tx,
): Promise<InferenceAnswer> {
  const { rows, modelConfig } = spec.resolved;
  const k = modelConfig.classes;
  const classes = new Uint8Array(rows);
  const probabilities = new Float32Array(rows * k);
  const done = new Uint8Array(rows);
  for (const unit of await tx.unitsOfRound(view.id, 0)) {
    if (unit.state !== 'validated' || !unit.canonical) continue;
    const first = (unit.plan as { first: number }).first;
    const result = decodeInferenceResult(unit.canonical);
    classes.set(result.classes, first);
    probabilities.set(result.probabilities, first * k);
    done.fill(1, first, first + result.classes.length);
  }
  return { rows, classCount: k, classes, probabilities, done };
}
