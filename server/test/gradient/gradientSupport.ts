// Shared steps of the gradient workload tests: submit a spec, run a crew of Node volunteers
// until the workload ends, read the final parameters as bytes.
import assert from 'node:assert/strict';
import { GradientVolunteer, type GradientBehavior } from '../../src/sim/gradientVolunteer';
import { api, waitFor } from '../support/testCoordinator';

export async function submitGradient(
  url: string,
  spec: object,
  redundancy?: object,
): Promise<string> {
  const res = await api(url, 'POST', '/api/workloads', {
    kind: 'gradient',
    name: 'gradient test',
    spec,
    ...(redundancy ? { redundancy } : {}),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.kind, 'gradient');
  return res.body.id as string;
}

export async function crewOf(
  url: string,
  behaviors: GradientBehavior[],
): Promise<GradientVolunteer[]> {
  const crew = behaviors.map(
    (behavior, i) => new GradientVolunteer({ url, behavior, displayName: `${behavior}-${i}` }),
  );
  await Promise.all(crew.map((v) => v.connect()));
  return crew;
}

export async function runToEnd(
  url: string,
  id: string,
  crew: GradientVolunteer[],
  timeoutMs = 50_000,
) {
  const running = crew.map((v) => v.run().catch(() => undefined));
  try {
    return await waitFor(
      async () => {
        const res = await api(url, 'GET', `/api/workloads/${id}`);
        return ['completed', 'failed', 'cancelled'].includes(res.body.status) ? res.body : null;
      },
      timeoutMs,
      `gradient workload ${id} to finish`,
    );
  } finally {
    crew.forEach((v) => v.close());
    await Promise.all(running);
  }
}

export async function finalParams(
  url: string,
  id: string,
): Promise<{ params: Float32Array; response: Response }> {
  const response = await fetch(`${url}/api/workloads/${id}/result?format=bin`);
  assert.equal(response.status, 200);
  const params = new Float32Array(await response.clone().arrayBuffer());
  return { params, response };
}

export function relativeL2(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
}
