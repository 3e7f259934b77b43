// Where the engine's time goes: runs the in-process engine bench (scripts/bench/coordinator.ts)
// with every SQLite statement timed, and prints statements per validated unit and microseconds
// per validated unit for each, slowest first. Not part of `npm run bench`:
//   node --import tsx scripts/bench/profileEngine.ts [units=4000] [batch=16] [volunteers]
// With a volunteer count, the same for that many simulated volunteers over socket.io (another
// process), so the statements of the socket path can be set beside the engine's own.
import type Database from 'better-sqlite3';
import {
  StatementCache,
  type RowStatement,
} from '../../server/src/repository/sqlite/statementCache';
import { benchCoordinatorEngineOnly, benchCoordinatorSockets } from './coordinator';

const units = Number(process.argv[2] ?? 4000);
const batch = Number(process.argv[3] ?? 16);
const volunteers = process.argv[4] === undefined ? 0 : Number(process.argv[4]);
const spent = new Map<string, { calls: number; ns: bigint }>();
let timing = false;

/** `call`, with the time it takes added to the statement's line. */
function timed<A extends unknown[], R>(source: string, call: (...args: A) => R) {
  const label = source.replace(/\s+/g, ' ').slice(0, 90);
  return (...args: A): R => {
    const start = process.hrtime.bigint();
    try {
      return call(...args);
    } finally {
      if (timing) {
        const entry = spent.get(label) ?? { calls: 0, ns: 0n };
        entry.calls += 1;
        entry.ns += process.hrtime.bigint() - start;
        spent.set(label, entry);
      }
    }
  };
}

const get = StatementCache.prototype.get;
const wrapped = new WeakMap<Database.Statement, Database.Statement>();
StatementCache.prototype.get = function (this: StatementCache, source: string) {
  const statement = get.call(this, source);
  let proxy = wrapped.get(statement);
  if (!proxy) {
    proxy = new Proxy(statement, {
      get(target, name) {
        const value = Reflect.get(target, name) as unknown;
        if (typeof value !== 'function' || !['run', 'get', 'all'].includes(String(name))) {
          return value;
        }
        return timed(source, (...args: unknown[]) =>
          (value as (...a: unknown[]) => unknown).apply(target, args),
        );
      },
    });
    wrapped.set(statement, proxy);
  }
  return proxy;
};
const rows = StatementCache.prototype.rows;
StatementCache.prototype.rows = function <Row>(this: StatementCache, source: string) {
  const statement = rows.call(this, source) as RowStatement<Row>;
  return { all: timed(source, statement.all), get: timed(source, statement.get) };
};

timing = true;
const row =
  volunteers > 0
    ? await benchCoordinatorSockets(units, volunteers, batch)
    : await benchCoordinatorEngineOnly(units, batch);
timing = false;
const wallUs = (row.seconds * 1e6) / units;
let sqlUs = 0;
let statements = 0;
const lines = [...spent].sort((a, b) => Number(b[1].ns - a[1].ns));
for (const [, e] of lines) {
  sqlUs += Number(e.ns) / 1e3 / units;
  statements += e.calls / units;
}
console.log(`${row.name}: ${(units / row.seconds).toFixed(0)} units/s; ${row.note}`);
console.log(
  `wall ${wallUs.toFixed(0)} us/unit, in SQLite ${sqlUs.toFixed(0)} us/unit, ${statements.toFixed(1)} statements/unit`,
);
for (const [label, e] of lines.slice(0, 24)) {
  const perUnit = (Number(e.ns) / 1e3 / units).toFixed(1).padStart(6);
  const calls = (e.calls / units).toFixed(2).padStart(5);
  const perCall = (Number(e.ns) / 1e3 / e.calls).toFixed(1).padStart(6);
  console.log(`${perUnit} us  ${calls}/unit  ${perCall} us/call  ${label}`);
}
