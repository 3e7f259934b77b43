// How many units a CPU-fallback tab computes at once, one per compute worker: every core the
// browser reports but one (left for the page and the rest of the machine), at most
// MAX_CPU_WORKERS, and never more than the coordinator lets one connection lease. `?cpuWorkers=N`
// on the page URL overrides the core count (tests use it on two-core machines); the caps stay.

export const MAX_CPU_WORKERS = 8;
/** The coordinator's default maxLeasesPerConnection, for a coordinator that does not say. */
export const DEFAULT_LEASE_LIMIT = 4;

export function cpuWorkerCount(options: {
  hardwareConcurrency: number | undefined;
  requested: number | null;
  leaseLimit: number | null;
}): number {
  const cores = options.hardwareConcurrency;
  const fromCores =
    cores !== undefined && Number.isInteger(cores) && cores >= 1 ? Math.max(1, cores - 1) : 1;
  const wanted = options.requested ?? fromCores;
  const limit = options.leaseLimit ?? DEFAULT_LEASE_LIMIT;
  return Math.max(1, Math.min(wanted, MAX_CPU_WORKERS, limit));
}

/** `?cpuWorkers=N` as a whole number 1..MAX_CPU_WORKERS, or null when absent or unreadable. */
export function requestedCpuWorkersFrom(search: string): number | null {
  const value = new URLSearchParams(search).get('cpuWorkers')?.trim();
  if (!value || !/^\d+$/.test(value)) return null;
  const count = Number(value);
  return count >= 1 && count <= MAX_CPU_WORKERS ? count : null;
}
