// The researcher's side of the REST API, as e2e tests use it: submit a workload, wait for it
// to finish, read its result. Every call checks its status code so a failure names the call.
import { expect, type APIRequestContext } from '@playwright/test';

export const RESEARCHER_TOKEN = process.env.TESSERA_E2E_TOKEN ?? 'e2e-token';
const auth = { Authorization: `Bearer ${RESEARCHER_TOKEN}` };

export interface WorkloadStatusView {
  id: string;
  status: string;
  progress: { unitsTotal: number; unitsValidated: number; unitsInFlight: number };
  failureReason?: string | null;
}

export async function submitWorkload(api: APIRequestContext, body: object): Promise<string> {
  const response = await api.post('/api/workloads', { headers: auth, data: body });
  expect(response.status(), `POST /api/workloads: ${await response.text()}`).toBe(201);
  const created = (await response.json()) as { id?: unknown };
  expect(typeof created.id).toBe('string');
  return created.id as string;
}

export async function getWorkload(api: APIRequestContext, id: string): Promise<WorkloadStatusView> {
  const response = await api.get(`/api/workloads/${id}`, { headers: auth });
  expect(response.status(), `GET /api/workloads/${id}: ${await response.text()}`).toBe(200);
  return (await response.json()) as WorkloadStatusView;
}

/**
 * Waits until every workload completed; a failed or cancelled one fails the test at once with
 * its reason, and one still running after `timeoutMs` fails it too.
 */
export async function waitForCompletion(
  api: APIRequestContext,
  ids: string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(ids.map((id) => getWorkload(api, id)));
    for (const view of views) {
      expect(['queued', 'running', 'completed'], view.failureReason ?? '').toContain(view.status);
    }
    if (views.every((view) => view.status === 'completed')) return;
    expect(Date.now(), 'workloads still running').toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function getResult<T>(api: APIRequestContext, id: string): Promise<T> {
  const response = await api.get(`/api/workloads/${id}/result`, { headers: auth });
  expect(response.status(), `GET /api/workloads/${id}/result: ${await response.text()}`).toBe(200);
  return (await response.json()) as T;
}
