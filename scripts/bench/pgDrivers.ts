// `npm run bench -- pg-drivers`: node-postgres (pg, `pipeline: true`, what PgRepository uses)
// against postgres.js on the statement pattern of the coordinator's lease/complete loop, in one
// run on the same database, so the repository's driver is picked by a measurement. Each
// simulated tab runs, on its own connection: a lease transaction (the open units, FOR NO KEY
// UPDATE SKIP LOCKED, a replica inserted per unit with its id read back, the units' in-flight
// counts written without waiting), then a complete transaction (the workload row locked, each
// replica locked and read, replica, unit and aggregate writes sent without waiting, COMMIT after
// they settle) — the reads the engine waits for and the writes it pipelines, as pgSession.ts
// does. Both drivers use prepared statements. Needs PostgreSQL (TEST_DATABASE_URL, default the
// local trust setup); each driver gets a schema of its own, dropped after.
import pg from 'pg';
import postgres from 'postgres';
import type { BenchRow } from './benchRow';

const URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TABS = 8;
const UNITS = 4_000;
const BATCH = 16;
const QUORUM = 2;

const SCHEMA_SQL = (schema: string) => [
  `DROP SCHEMA IF EXISTS ${schema} CASCADE`,
  `CREATE SCHEMA ${schema}`,
  `CREATE TABLE ${schema}.workloads (id text PRIMARY KEY, units_validated int NOT NULL,
     aggregate jsonb NOT NULL)`,
  `CREATE TABLE ${schema}.units (workload_id text NOT NULL, idx int NOT NULL,
     state text NOT NULL, in_flight int NOT NULL, returned int NOT NULL,
     PRIMARY KEY (workload_id, idx))`,
  `CREATE INDEX units_open ON ${schema}.units (workload_id, idx) WHERE state = 'open'`,
  `CREATE TABLE ${schema}.replicas (id bigserial PRIMARY KEY, workload_id text NOT NULL,
     unit_idx int NOT NULL, volunteer_id text NOT NULL, state text NOT NULL,
     deadline bigint NOT NULL, result bytea)`,
  `INSERT INTO ${schema}.workloads VALUES ('w', 0, '{"hits": 0}')`,
  `INSERT INTO ${schema}.units SELECT 'w', i, 'open', 0, 0 FROM generate_series(0, ${UNITS - 1}) i`,
];

const LEASABLE = `SELECT idx FROM units WHERE workload_id = $1 AND state = 'open'
  AND in_flight + returned < $2 AND NOT EXISTS (SELECT 1 FROM replicas r
    WHERE r.workload_id = units.workload_id AND r.unit_idx = units.idx AND r.volunteer_id = $3)
  ORDER BY idx LIMIT $4 FOR NO KEY UPDATE OF units SKIP LOCKED`;
const INSERT_REPLICA = `INSERT INTO replicas (workload_id, unit_idx, volunteer_id, state, deadline)
  VALUES ($1, $2, $3, 'in_flight', $4) RETURNING id`;
const COUNT_LEASE = `UPDATE units SET in_flight = in_flight + 1 WHERE workload_id = $1 AND idx = $2`;
const LOCK_WORKLOAD = `SELECT units_validated, aggregate FROM workloads WHERE id = $1 FOR NO KEY UPDATE`;
const LOCK_REPLICA = `SELECT unit_idx, state FROM replicas WHERE id = $1 FOR UPDATE`;
const RETURN_REPLICA = `UPDATE replicas SET state = 'returned', result = $2 WHERE id = $1`;
const RETURN_UNIT = `UPDATE units SET in_flight = in_flight - 1, returned = returned + 1,
  state = CASE WHEN returned + 1 >= $3 THEN 'validated' ELSE state END
  WHERE workload_id = $1 AND idx = $2 RETURNING state`;
const FOLD = `UPDATE workloads SET units_validated = units_validated + $2,
  aggregate = jsonb_set(aggregate, '{hits}', to_jsonb((aggregate->>'hits')::bigint + $3)) WHERE id = $1`;

/** One connection's statements: reads waited for, writes sent and settled before COMMIT. */
interface Conn {
  read(text: string, values: unknown[]): Promise<Array<Record<string, unknown>>>;
  send(text: string, values: unknown[]): void;
  settle(): Promise<void>;
}

/** A tab's loop until no unit is left: lease a batch, complete it. Returns results sent. */
async function tabLoop(conn: Conn, tab: number): Promise<number> {
  const volunteer = `v${tab}`;
  const result = Buffer.from(JSON.stringify({ hits: 1, samples: 2 }));
  let sent = 0;
  for (;;) {
    await conn.read('BEGIN', []);
    const units = await conn.read(LEASABLE, ['w', QUORUM, volunteer, BATCH]);
    const leased: Array<{ id: string; idx: number }> = [];
    for (const u of units) {
      const [row] = await conn.read(INSERT_REPLICA, ['w', u.idx, volunteer, Date.now() + 60_000]);
      conn.send(COUNT_LEASE, ['w', u.idx]);
      leased.push({ id: String(row!.id), idx: Number(u.idx) });
    }
    await conn.settle();
    await conn.read('COMMIT', []);
    if (leased.length === 0) return sent;
    await conn.read('BEGIN', []);
    await conn.read(LOCK_WORKLOAD, ['w']);
    let validated = 0;
    for (const r of leased) {
      await conn.read(LOCK_REPLICA, [r.id]);
      conn.send(RETURN_REPLICA, [r.id, result]);
      const [unit] = await conn.read(RETURN_UNIT, ['w', r.idx, QUORUM]);
      if (unit?.state === 'validated') validated += 1;
    }
    if (validated > 0) conn.send(FOLD, ['w', validated, validated]);
    await conn.settle();
    await conn.read('COMMIT', []);
    sent += leased.length;
  }
}

/** node-postgres with `pipeline: true`, named (prepared) statements, as pgSession.ts. */
async function withPg(schema: string): Promise<{ tabs: Conn[]; close(): Promise<void> }> {
  const clients: pg.Client[] = [];
  const tabs: Conn[] = [];
  for (let i = 0; i < TABS; i++) {
    const client = new pg.Client({
      connectionString: URL,
      options: `-c search_path=${schema}`,
      pipeline: true,
    } as pg.ClientConfig);
    await client.connect();
    clients.push(client);
    const names = new Map<string, string>();
    const config = (text: string, values: unknown[]) => {
      if (values.length === 0) return { text, values };
      let name = names.get(text);
      if (!name) names.set(text, (name = `s${names.size}`));
      return { name, text, values };
    };
    let pending: Array<Promise<unknown>> = [];
    tabs.push({
      async read(text, values) {
        return (await client.query(config(text, values))).rows;
      },
      send(text, values) {
        pending.push(client.query(config(text, values)));
      },
      async settle() {
        const all = pending;
        pending = [];
        await Promise.all(all);
      },
    });
  }
  return { tabs, close: async () => void (await Promise.all(clients.map((c) => c.end()))) };
}

/** postgres.js: one reserved connection per tab, prepared statements, its own pipelining. */
async function withPostgresJs(schema: string): Promise<{ tabs: Conn[]; close(): Promise<void> }> {
  const sql = postgres(URL, {
    max: TABS,
    prepare: true,
    connection: { search_path: schema },
    onnotice: () => undefined,
  });
  const tabs: Conn[] = [];
  const reserved: Array<Awaited<ReturnType<typeof sql.reserve>>> = [];
  for (let i = 0; i < TABS; i++) {
    const conn = await sql.reserve();
    reserved.push(conn);
    let pending: Array<Promise<unknown>> = [];
    const run = (text: string, values: unknown[]) =>
      conn.unsafe(text, values as postgres.ParameterOrJSON<never>[], {
        prepare: values.length > 0,
      });
    tabs.push({
      async read(text, values) {
        return (await run(text, values)) as unknown as Array<Record<string, unknown>>;
      },
      send(text, values) {
        // A query starts when awaited or .execute()d: execute now, so it is pipelined.
        pending.push(run(text, values).execute());
      },
      async settle() {
        const all = pending;
        pending = [];
        await Promise.all(all);
      },
    });
  }
  return {
    tabs,
    async close() {
      for (const conn of reserved) conn.release();
      await sql.end();
    },
  };
}

async function runDriver(
  open: (schema: string) => Promise<{ tabs: Conn[]; close(): Promise<void> }>,
  schema: string,
): Promise<{ seconds: number; results: number; validated: number; cpuUs: number }> {
  const admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  try {
    for (const statement of SCHEMA_SQL(schema)) await admin.query(statement);
    const { tabs, close } = await open(schema);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const counts = await Promise.all(tabs.map((conn, i) => tabLoop(conn, i)));
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    await close();
    const { rows } = await admin.query<{ n: string }>(
      `SELECT units_validated AS n FROM ${schema}.workloads WHERE id = 'w'`,
    );
    return {
      seconds,
      results: counts.reduce((a, b) => a + b, 0),
      validated: Number(rows[0]!.n),
      cpuUs: used.user + used.system,
    };
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
  }
}

export async function benchPgDrivers(options: { log(line: string): void }): Promise<BenchRow[]> {
  const drivers: Array<
    [string, (schema: string) => Promise<{ tabs: Conn[]; close(): Promise<void> }>]
  > = [
    ['node-postgres 8 (pg), pipeline: true', withPg],
    ['postgres.js 3 (postgres)', withPostgresJs],
  ];
  const rows: BenchRow[] = [];
  let baseline = 0;
  // Twice each, alternating, so neither driver always runs on a warmer database.
  const best = new Map<
    string,
    { seconds: number; results: number; validated: number; cpuUs: number }
  >();
  for (let round = 0; round < 2; round++) {
    for (const [name, open] of drivers) {
      options.log(`pg-drivers: ${name}, round ${round + 1}`);
      const schema = `bench_driver_${process.pid}_${round}_${name.startsWith('node') ? 'pg' : 'js'}`;
      const run = await runDriver(open, schema);
      const prev = best.get(name);
      if (!prev || run.seconds < prev.seconds) best.set(name, run);
    }
  }
  for (const [name] of drivers) {
    const run = best.get(name)!;
    const rate = run.validated / run.seconds;
    if (baseline === 0) baseline = rate;
    rows.push({
      name,
      work: run.validated,
      unit: 'units',
      seconds: run.seconds,
      relative: rate / baseline,
      note: `${TABS} tabs, ${TABS} connections, batch ${BATCH}, quorum ${QUORUM}; ${run.results} results; per validated unit ${((run.seconds * 1e6) / run.validated).toFixed(0)} us wall, ${(run.cpuUs / run.validated).toFixed(0)} us of this process's CPU (the driver's cost)`,
      ...(run.validated === UNITS ? {} : { problem: `validated ${run.validated} of ${UNITS}` }),
    });
  }
  return rows;
}
