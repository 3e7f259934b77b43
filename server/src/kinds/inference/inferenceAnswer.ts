// An inference workload's answer so far, assembled from its validated units' canonical results
// in row order: the class and probabilities of every predicted row, and accuracy against the
// dataset's labels (kept with the workload) where it has them.
import type { StoredInferenceSpec } from '@tessera/shared/kinds/inference/inferenceSpec';
import { decodeInferenceResult } from '@tessera/shared/kinds/inference/inferenceResult';
import type { Tx, WorkloadView } from '../../engine/repository';

export interface InferenceAnswer {
  summary: Record<string, unknown> & { rows: number; classes: number };
  /** Per row (0 where not predicted yet: see done). */
  classes: Uint8Array;
  /** rows x classes */
  probabilities: Float32Array;
  /** 1 where the row's unit is validated. */
  done: Uint8Array;
}

export async function inferenceAnswer(
  view: WorkloadView,
  spec: StoredInferenceSpec,
  tx: Tx,
): Promise<InferenceAnswer> {
  const { rows, modelConfig } = spec.resolved;
  const k = modelConfig.classes;
  const classes = new Uint8Array(rows);
  const probabilities = new Float32Array(rows * k);
  const done = new Uint8Array(rows);
  let predicted = 0;
  for (const unit of await tx.unitsOfRound(view.id, 0)) {
    if (unit.state !== 'validated' || !unit.canonical) continue;
    const first = (unit.plan as { first: number }).first;
    const result = decodeInferenceResult(unit.canonical);
    classes.set(result.classes, first);
    probabilities.set(result.probabilities, first * k);
    done.fill(1, first, first + result.classes.length);
    predicted += result.classes.length;
  }
  const labels = spec.resolved.labeled ? await tx.blob(view.id, 'labels') : null;
  let correct = 0;
  if (labels) for (let n = 0; n < rows; n++) if (done[n] && labels[n] === classes[n]) correct++;
  return {
    summary: {
      rows,
      rowsPredicted: predicted,
      classes: k,
      labeled: labels !== null,
      ...(labels ? { correct, accuracy: predicted > 0 ? correct / predicted : null } : {}),
      model: {
        workload: spec.workload,
        version: spec.resolved.version,
        hash: spec.resolved.modelHash,
      },
      dataset: spec.dataset,
      final: view.status === 'completed',
      status: view.status,
      unitsValidated: view.unitsValidated,
      unitsTotal: view.unitsTotal,
    },
    classes,
    probabilities,
    done,
  };
}
