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

export async function getResult<T>(api: APIRequestContext, id: string): Promise<T> {
  const response = await api.get(`/api/workloads/${id}/result`, { headers: auth });
  expect(response.status(), `GET /api/workloads/${id}/result: ${await response.text()}`).toBe(200);
  return (await response.json()) as T;
}
