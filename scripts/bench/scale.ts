// `npm run bench -- scale`: validated units/s and coordinator CPU per unit for one process on
// SQLite and for 1, 2 and 4 processes on PostgreSQL (+ Redis), in one run. Each coordinator is
// a real `npm start` process (server/src/main.ts); 32 simulated volunteers in a process of their
// own are dealt round-robin over the coordinator processes and ask for up to 16 units at a time.
// Coordinator CPU is read from /proc for every coordinator process (user + system), so the
// volunteers' CPU is not counted. On a 2-core machine the processes share the cores with each
// other, PostgreSQL and the volunteers: the per-process figures say what one process did.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { CoordinatorProcess, freePort } from '../../server/test/support/coordinatorProcess';
import { TEST_TOKEN, api, tempDir } from '../../server/test/support/testCoordinator';
import { TEST_DATABASE_URL, dropSchema, testSchema } from '../../server/test/support/postgres';
import type { BenchRow } from './benchRow';

const CREW_SCRIPT = fileURLToPath(new URL('./volunteerCrew.ts', import.meta.url));
const UNITS = 4000;
const SAMPLES_PER_UNIT = 1024;
const VOLUNTEERS = 32;
const BATCH = 16;
const TIMEOUT_MS = 180_000;
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function startCrew(urls: string[]): Promise<ChildProcess> {
  const child = fork(CREW_SCRIPT, [urls.join(','), String(VOLUNTEERS), String(BATCH)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the volunteer crew exited with ${code}`)));
  });
}

async function run(label: string, processes: number, store: 'sqlite' | 'postgres') {
  const dir = tempDir('tessera-scale-');
  const schema = testSchema('scale');
  const env: Record<string, string> = {
    TESSERA_TOKEN: TEST_TOKEN,
    TESSERA_MAX_LEASES: String(BATCH),
    LOG_LEVEL: 'warn',
    ...(store === 'sqlite'
      ? { TESSERA_DATA: dir }
      : {
          DATABASE_URL: TEST_DATABASE_URL,
          TESSERA_DB_SCHEMA: schema,
          REDIS_URL: process.env['TESSERA_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
          TESSERA_REDIS_PREFIX: `tessera-bench-${randomBytes(4).toString('hex')}`,
        }),
  };
  const nodes: CoordinatorProcess[] = [];
  for (let i = 0; i < processes; i++) nodes.push(new CoordinatorProcess(await freePort(), env));
  let crew: ChildProcess | null = null;
  try {
    for (const node of nodes) await node.start();
    crew = await startCrew(nodes.map((n) => n.url));
    const cpuBefore = nodes.map((n) => cpuSeconds(n.pid!));
    const started = performance.now();
    const res = await api(nodes[0]!.url, 'POST', '/api/workloads', {
      kind: 'montecarlo',
      name: 'scale bench',
      spec: {
        estimator: 'pi',
        samples: UNITS * SAMPLES_PER_UNIT,
        seed: 3,
        samplesPerUnit: SAMPLES_PER_UNIT,
      },
    });
    if (res.status !== 201) throw new Error(`submit failed: ${JSON.stringify(res.body)}`);
    let status = 'running';
    for (const giveUp = Date.now() + TIMEOUT_MS; ;) {
      const view = (await api(nodes[0]!.url, 'GET', `/api/workloads/${res.body.id}`)).body;
      if (view.status !== 'running' && view.status !== 'queued') {
        status = view.status;
        break;
      }
      if (Date.now() > giveUp) {
        status = `stuck at ${view.progress.unitsValidated}/${UNITS}`;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = nodes.reduce((sum, n, i) => sum + cpuSeconds(n.pid!) - cpuBefore[i]!, 0);
    const perUnitUs = (cpu / UNITS) * 1e6;
    const row: BenchRow = {
      name: label,
      work: UNITS,
      unit: 'units',
      seconds,
      note:
        `coordinator CPU per validated unit: ${perUnitUs.toFixed(0)} us (all processes); ` +
        `per process: ${(UNITS / seconds / processes).toFixed(0)} units/s; ${status}`,
      ...(status === 'completed' ? {} : { problem: `workload ended ${status}` }),
    };
    return row;
  } finally {
    if (crew) {
      crew.send('stop');
      await new Promise((r) => crew!.once('exit', r));
    }
    for (const node of nodes) await node.stop();
    rmSync(dir, { recursive: true, force: true });
    if (store === 'postgres') await dropSchema(schema);
  }
}

export async function benchScale(options: { log: (line: string) => void }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cases: Array<[string, number, 'sqlite' | 'postgres']> = [
    [`1 process, SQLite, ${VOLUNTEERS} volunteers, batch ${BATCH}`, 1, 'sqlite'],
    [`1 process, PostgreSQL + Redis, batch ${BATCH}`, 1, 'postgres'],
    [`2 processes, PostgreSQL + Redis, batch ${BATCH}`, 2, 'postgres'],
    [`4 processes, PostgreSQL + Redis, batch ${BATCH}`, 4, 'postgres'],
  ];
  for (const [label, processes, store] of cases) {
    options.log(`scale: ${label}`);
    rows.push(await run(label, processes, store));
  }
  const rate = (row: BenchRow) => row.work / row.seconds;
  return rows.map((row) => ({ ...row, relative: rate(row) / rate(rows[0]!) }));
}
