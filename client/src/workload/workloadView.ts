// The workload as GET /api/workloads/:id describes it, parsed before the page uses it: only
// the fields this page reads are checked; the rest pass through untouched.
import { z } from 'zod';
import { WORKLOAD_STATUSES } from '@tessera/shared/workloadSpec';

export const workloadViewSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  status: z.enum(WORKLOAD_STATUSES),
  progress: z.looseObject({
    unitsTotal: z.number(),
    unitsValidated: z.number(),
    unitsInFlight: z.number(),
    unitsFailed: z.number(),
    fraction: z.number(),
    unitsWaiting: z.number().int().min(0).optional(),
  }),
  spec: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  failureReason: z.string().nullable(),
  /** Monte Carlo workloads: tabs online that can run its units (WebGPU tabs for a kernel). */
  capableVolunteers: z.number().int().min(0).optional(),
});
export type WorkloadViewData = z.infer<typeof workloadViewSchema>;

export type LoadedView =
  | { state: 'loading' }
  | { state: 'loaded'; view: WorkloadViewData }
  | { state: 'missing'; message: string }
  | { state: 'failed'; message: string };

export async function fetchWorkloadView(id: string, signal: AbortSignal): Promise<LoadedView> {
  const response = await fetch(`/api/workloads/${encodeURIComponent(id)}`, { signal });
  const body: unknown = await response.json().catch(() => null);
  if (response.status === 404) {
    return { state: 'missing', message: `There is no workload with id ${id}.` };
  }
  if (!response.ok) {
    const message = z.object({ error: z.object({ message: z.string() }) }).safeParse(body);
    return {
      state: 'failed',
      message: message.success ? message.data.error.message : `HTTP ${response.status}`,
    };
  }
  const parsed = workloadViewSchema.safeParse(body);
  return parsed.success
    ? { state: 'loaded', view: parsed.data }
    : {
        state: 'failed',
        message: 'the coordinator answered with a workload this page cannot read',
      };
}
