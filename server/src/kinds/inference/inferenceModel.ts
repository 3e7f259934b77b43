// What an inference workload runs: a completed gradient workload's final parameters, the model
// shape its spec fixes, and the standardisation its training data had (an uploaded dataset's
// statistics; none for the built-in datasets, whose features go in as the model saw them).
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import type { ModelConfig } from '@tessera/shared/kinds/gradient/gradientModel';
import { parameterCount } from '@tessera/shared/kinds/gradient/gradientModel';
import type { Repository } from '../../engine/repository';
import { gradientSpecSchema } from '@tessera/shared/kinds/gradient/gradientSpec';
import { modelConfigOf } from '../gradient/gradientDatasets';
import { gradientStateOf } from '../gradient/gradientRounds';
import { paramsOf, sha256Hex } from '../gradient/gradientPlan';
import { decodeStandardization, STANDARDIZATION_BLOB } from '../gradient/standardizationBlob';
import type { Standardization } from '../../datasets/uploadedSets';

export interface TrainedModel {
  config: ModelConfig;
  params: Float32Array;
  /** SHA-256 of the parameters' bytes. */
  hash: string;
  version: number;
  standardization: Standardization | null;
}

function refuse(message: string): never {
  throw new TesseraError(ERROR_CODES.invalidSpec, `spec.workload: ${message}`, [
    { path: 'spec.workload', message },
  ]);
}

/** The trained model of gradient workload `id`, or a refusal naming spec.workload. */
export async function trainedModel(
  repository: Repository,
  now: number,
  id: string,
): Promise<TrainedModel> {
  const found = await repository.transaction(now, async (tx) => {
    const workload = await tx.peekWorkload(id);
    if (!workload) return null;
    return {
      workload,
      params: await tx.blob(id, 'params'),
      standardization: await tx.blob(id, STANDARDIZATION_BLOB),
    };
  });
  if (!found) refuse(`no workload with id ${id}`);
  const { workload } = found;
  if (workload.kind !== 'gradient') refuse(`workload ${id} is ${workload.kind}, not gradient`);
  if (workload.status !== 'completed') {
    refuse(`workload ${id} is ${workload.status}: inference needs a completed training`);
  }
  if (!found.params) refuse(`workload ${id} holds no parameters`);
  const config = modelConfigOf(gradientSpecSchema.parse(workload.spec));
  const params = paramsOf(found.params);
  if (params.length !== parameterCount(config)) {
    throw new Error(
      `workload ${id}: ${params.length} parameters, its model has ${parameterCount(config)}`,
    );
  }
  return {
    config,
    params,
    hash: sha256Hex(found.params),
    version: gradientStateOf(workload).version,
    standardization: found.standardization ? decodeStandardization(found.standardization) : null,
  };
}
