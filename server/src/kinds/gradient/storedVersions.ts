// A parameter version as the store holds it (ParamVersions reads through this on a miss): the
// current version is the `params` blob, older ones still held ([A3] maxStaleness) are
// `params@<version>`; a version the store no longer holds is a 404 naming the current one.
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import { gradientSpecSchema } from '@tessera/shared/kinds/gradient/gradientSpec';
import type { KindContext } from '../../engine/kind';
import { gradientStateOf, oldestHeldVersion } from './gradientRounds';
import type { StoredVersion } from './paramVersions';

export async function readStoredVersion(
  context: KindContext,
  workloadId: string,
  version: number,
): Promise<StoredVersion> {
  const found = await context.repository.transaction(context.now(), async (tx) => {
    const w = await tx.workload(workloadId);
    if (!w || w.kind !== 'gradient') return null;
    const state = gradientStateOf(w);
    const bytes = await tx.blob(
      workloadId,
      version === state.version ? 'params' : `params@${version}`,
    );
    return { state, bytes, oldestHeld: oldestHeldVersion(state, gradientSpecSchema.parse(w.spec)) };
  });
  if (!found) throw new TesseraError(ERROR_CODES.notFound, `no gradient workload ${workloadId}`);
  if (!found.bytes) {
    throw new TesseraError(
      ERROR_CODES.notFound,
      `parameter version ${version} is not held: the workload is at version ${found.state.version}`,
      { version: found.state.version },
    );
  }
  return { bytes: found.bytes, oldestHeld: found.oldestHeld };
}
