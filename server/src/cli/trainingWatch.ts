// Reads a gradient workload's training (step, loss, held-out accuracy) from its result, for
// `tessera status ID` and the progress of `tessera submit --wait`. The result answers NOT_READY
// until the first unit is validated: that is "nothing to show yet", not a failure.
import {
  ApiError,
  CLIENT_ERROR_CODES,
  ERROR_CODES,
  type GradientWorkloadResult,
  type TesseraClient,
  type WorkloadView,
} from '@tessera/shared';

/** The workload's gradient result, or null while it has none (NOT_READY). */
export async function latestTraining(
  client: TesseraClient,
  id: string,
): Promise<GradientWorkloadResult | null> {
  try {
    return await client.gradientResult(id);
  } catch (error) {
    if (error instanceof ApiError && error.code === ERROR_CODES.notReady) return null;
    throw error;
  }
}

/**
 * Follows training alongside the status polls of a wait: the result is fetched only after a
 * poll that saw the workload move (units validated, or its status), so never more often than
 * the status, and not at all while nothing changes.
 */
export class TrainingWatch {
  private seen: string | null = null;
  /** The latest gradient result read, or null before the first. */
  latest: GradientWorkloadResult | null = null;

  constructor(private readonly client: TesseraClient) {}

  async refresh(view: WorkloadView): Promise<GradientWorkloadResult | null> {
    if (view.kind !== 'gradient' || view.progress.unitsValidated === 0) return this.latest;
    const moved = `${view.progress.unitsValidated} ${view.status}`;
    if (moved === this.seen) return this.latest;
    try {
      const result = await latestTraining(this.client, view.id);
      if (result) {
        this.latest = result;
        this.seen = moved;
      }
    } catch (error) {
      // The status poll reports an unreachable coordinator; the figures wait for the next one.
      if (!(error instanceof ApiError) || error.code !== CLIENT_ERROR_CODES.unreachable) {
        throw error;
      }
    }
    return this.latest;
  }
}
