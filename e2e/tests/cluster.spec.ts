// Past one machine, in a browser: two coordinator processes on one PostgreSQL database and one
// Redis (started here as `npm start` would, on ports of their own), one volunteer tab on each. A
// pi workload submitted to node A is computed by both tabs; the dashboard on node B shows the
// tab connected to node A, and either node gives the same answer.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { RESEARCHER_TOKEN } from './support/coordinatorApi';
import { openVolunteerTab } from './support/volunteerTab';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const DATABASE_URL =
  process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const auth = { Authorization: `Bearer ${RESEARCHER_TOKEN}` };

/** Each node's output so far, printed when the test fails (CI shows nothing else of them). */
const outputs = new Map<number, string>();

function startNode(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  outputs.set(port, '');
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      outputs.set(port, output);
      if (output.includes(`:${port} (data`)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`node on ${port} exited (${code}): ${output}`)));
  });
}

/** What a stalled run leaves to read: the nodes' output and the units' and replicas' states. */
function printDiagnostics(schema: string): void {
  for (const [port, output] of outputs) console.log(`--- node :${port}\n${output.slice(-6000)}`);
  const query = (sql: string) =>
    spawnSync('psql', [DATABASE_URL, '-c', `SET search_path TO ${schema}; ${sql}`], {
      encoding: 'utf8',
    }).stdout;
  console.log(
    query('SELECT idx, state, wanted, quorum, in_flight, returned, errors FROM units ORDER BY idx'),
    query(
      'SELECT id, unit_idx, volunteer_id, instance_id, state, deadline, withdrawn FROM replicas ORDER BY id',
    ),
    query('SELECT id, heartbeat_at FROM instances'),
  );
}

test('two coordinator processes on PostgreSQL, a tab on each, one pi workload', async ({
  browser,
  request,
}) => {
  const schema = `e2e_cluster_${randomBytes(4).toString('hex')}`;
  const env = {
    DATABASE_URL,
    TESSERA_DB_SCHEMA: schema,
    REDIS_URL: process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    TESSERA_REDIS_PREFIX: `tessera-e2e-${randomBytes(4).toString('hex')}`,
    TESSERA_TOKEN: RESEARCHER_TOKEN,
    TESSERA_RATE_LIMIT: '0',
    LOG_LEVEL: 'warn',
  };
  const nodes: ChildProcess[] = [];
  try {
    nodes.push(await startNode(18091, env));
    nodes.push(await startNode(18092, env));
    const [a, b] = ['http://127.0.0.1:18091', 'http://127.0.0.1:18092'];

    const tabA = await openVolunteerTab(browser, 'on node A', `${a}/?backend=webgpu`);
    const tabB = await openVolunteerTab(browser, 'on node B', `${b}/?backend=cpu`);
    for (const tab of [tabA, tabB]) {
      await tab.page.getByTestId('contribute').click();
      await expect(tab.page.getByTestId('connection'), tab.label).toHaveText('Connected');
    }

    const submitted = await request.post(`${a}/api/workloads`, {
      headers: auth,
      data: {
        kind: 'montecarlo',
        name: 'cluster pi',
        spec: { estimator: 'pi', samples: 2 ** 22 * 12, seed: 5, samplesPerUnit: 2 ** 22 },
      },
    });
    expect(submitted.status(), await submitted.text()).toBe(201);
    const { id } = (await submitted.json()) as { id: string };

    // Node B's dashboard counts the WebGPU tab, which is connected to node A.
    const dashboard = await browser.newPage();
    await dashboard.goto(`${b}/dashboard`);
    await expect(dashboard.getByTestId('volunteers-online')).toHaveText('2');
    await expect(dashboard.getByTestId('volunteers-split')).toContainText('WebGPU 1');
    await expect(dashboard.getByTestId('volunteers-split')).toContainText('CPU 1');

    await expect
      .poll(
        async () => {
          const view = await (
            await request.get(`${b}/api/workloads/${id}`, { headers: auth })
          ).json();
          return (view as { status: string }).status;
        },
        { timeout: 100_000, intervals: [500] },
      )
      .toBe('completed');
    await dashboard.screenshot({ path: join(ARTIFACTS, 'cluster-dashboard.png'), fullPage: true });
    const results = await Promise.all(
      [a, b].map(async (url) =>
        (await request.get(`${url}/api/workloads/${id}/result`, { headers: auth })).json(),
      ),
    );
    const [ra, rb] = results as Array<{ estimate: number; stderr: number }>;
    expect(ra).toEqual(rb);
    expect(Math.abs(ra!.estimate - Math.PI)).toBeLessThan(5 * ra!.stderr);
    // Both tabs computed some of it.
    for (const tab of [tabA, tabB]) {
      const text = (await tab.page.getByTestId('units-completed').textContent()) ?? '';
      expect(
        Number(/([\d,]+)/.exec(text)?.[1]?.replaceAll(',', '') ?? 0),
        tab.label,
      ).toBeGreaterThan(0);
      expect(tab.errors, tab.label).toEqual([]);
    }
  } catch (error) {
    printDiagnostics(schema);
    throw error;
  } finally {
    for (const node of nodes) node.kill('SIGTERM');
    // A node must stop on SIGTERM (in a few seconds: it closes its connections and the store).
    const stopped = await Promise.all(
      nodes.map(
        (n) =>
          new Promise<boolean>((r) => {
            if (n.exitCode !== null) return r(true);
            const timer = setTimeout(() => r(false), 15_000);
            n.once('exit', () => {
              clearTimeout(timer);
              r(true);
            });
          }),
      ),
    );
    for (const node of nodes) if (node.exitCode === null) node.kill('SIGKILL');
    if (stopped.includes(false)) printDiagnostics(schema);
    expect(stopped, 'every node exits within 15 s of SIGTERM').toEqual(nodes.map(() => true));
    spawnSync('psql', [DATABASE_URL, '-qc', `DROP SCHEMA IF EXISTS ${schema} CASCADE`]);
    const redisUrl = env.REDIS_URL;
    const keys = spawnSync(
      'redis-cli',
      ['-u', redisUrl, '--scan', '--pattern', `${env.TESSERA_REDIS_PREFIX}*`],
      {
        encoding: 'utf8',
      },
    ).stdout;
    const names = keys.split('\n').filter((k) => k !== '');
    if (names.length > 0) spawnSync('redis-cli', ['-u', redisUrl, 'DEL', ...names]);
  }
});
