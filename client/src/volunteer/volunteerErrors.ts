// The volunteer runtime's own errors. Their names travel to the page (and to the coordinator in
// unit:error), so they are chosen to read well there; their classes drive what the loop does.

/** The GPU device went away (driver reset, tab backgrounded on some systems, out of memory). */
export class DeviceLostError extends Error {
  override readonly name = 'DeviceLostError';
}

/** WebGPU was asked for and cannot be had: the volunteer must see why, not a silent fallback. */
export class WebGpuUnavailableError extends Error {
  override readonly name = 'WebGpuUnavailableError';
}

/** The unit was dropped on purpose (stop pressed, workload ended, lease lost): send nothing. */
export class UnitAbandonedError extends Error {
  override readonly name = 'UnitAbandonedError';
}

/** The coordinator answered an event with { ok: false }: its code and message are for people. */
export class CoordinatorRefusedError extends Error {
  override readonly name = 'CoordinatorRefusedError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
