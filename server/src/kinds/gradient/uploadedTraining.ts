// A gradient spec naming an uploaded dataset, resolved at submission: the dataset must exist and
// be labeled with at least 2 rows; its shape and split are recorded in the stored spec (`data`),
// and its standardisation statistics kept with the workload for inference on the model later.
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import { isBuiltInDataset, type GradientSpec } from '@tessera/shared/kinds/gradient/gradientSpec';
import { checkModelConfig } from '@tessera/shared/kinds/gradient/gradientModel';
import type { Datasets } from '../../datasets/datasets';
import { holdoutSizes } from '../../datasets/uploadedSets';
import { modelConfigOf } from './gradientDatasets';
import { encodeStandardization } from './standardizationBlob';

function refuse(path: string, message: string): never {
  throw new TesseraError(ERROR_CODES.invalidSpec, `${path}: ${message}`, [{ path, message }]);
}

/** [V1] A model this coordinator and its volunteers can run, or a refusal naming spec.hidden. */
export function checkModelOf(spec: GradientSpec): void {
  try {
    checkModelConfig(modelConfigOf(spec));
  } catch (error) {
    refuse(spec.model === 'mlp' ? 'spec.hidden' : 'spec.model', (error as Error).message);
  }
}

export async function resolveUpload(
  submitted: GradientSpec,
  datasets: Datasets,
): Promise<{ spec: GradientSpec; standardization: Uint8Array | null }> {
  if (submitted.data !== undefined) {
    refuse('spec.data', 'data is filled in by the coordinator from the dataset; leave it out');
  }
  if (isBuiltInDataset(submitted.dataset)) return { spec: submitted, standardization: null };
  const meta = await datasets.find(submitted.dataset);
  if (!meta) refuse('spec.dataset', `no dataset with id ${submitted.dataset}`);
  if (!meta.labeled) {
    refuse('spec.dataset', `dataset ${meta.id} has no label column: training needs labels`);
  }
  if (meta.rows < 2) refuse('spec.dataset', `dataset ${meta.id} has 1 row: training needs 2`);
  const split = holdoutSizes(meta.rows);
  return {
    spec: {
      ...submitted,
      data: {
        rows: meta.rows,
        features: meta.features,
        classes: meta.classes,
        train: split.train,
        test: split.test,
      },
    },
    standardization: encodeStandardization(meta),
  };
}
