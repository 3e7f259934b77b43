// What the volunteer-controls tests read from the coordinator beyond the researcher API: a
// counter from /metrics (how many leases it has handed out) and cancelling a workload so one
// test's leftover units never feed the next.
import { expect, type APIRequestContext } from '@playwright/test';
import { RESEARCHER_TOKEN } from './coordinatorApi';

/**
 * The value of a counter without labels of its own in the coordinator's Prometheus text (every
 * series carries the node's `instance` label, nothing else); 0 when absent.
 */
export async function metricValue(api: APIRequestContext, name: string): Promise<number> {
  const response = await api.get('/metrics');
  expect(response.status(), 'GET /metrics').toBe(200);
  const text = await response.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

export async function cancelWorkload(api: APIRequestContext, id: string): Promise<void> {
  const response = await api.delete(`/api/workloads/${id}`, {
    headers: { Authorization: `Bearer ${RESEARCHER_TOKEN}` },
  });
  expect(response.status(), `DELETE /api/workloads/${id}: ${await response.text()}`).toBeLessThan(
    300,
  );
}
