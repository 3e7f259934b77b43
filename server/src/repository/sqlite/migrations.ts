// Schema migrations for the SQLite store, applied in order inside one transaction each and
// recorded in schema_migrations. Never edit a shipped migration: append a new one.
export const SQLITE_MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE workloads (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        estimator TEXT NOT NULL,
        spec TEXT NOT NULL,
        redundancy TEXT NOT NULL,
        status TEXT NOT NULL
          CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        units_total INTEGER NOT NULL,
        units_validated INTEGER NOT NULL DEFAULT 0,
        units_failed INTEGER NOT NULL DEFAULT 0,
        aggregate TEXT NOT NULL,
        failure_reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        completed_at INTEGER
      );
      CREATE INDEX workloads_active ON workloads (created_at, id)
        WHERE status IN ('queued', 'running');

      -- wanted: result-bearing replicas the unit should have (quorum, raised on disagreement).
      -- in_flight / returned / errors: replica counts kept in step by every transaction.
      -- open_slots: replicas still to lease (an expression index would not match the planner).
      CREATE TABLE units (
        workload_id TEXT NOT NULL REFERENCES workloads (id),
        idx INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'validated', 'failed')),
        wanted INTEGER NOT NULL,
        in_flight INTEGER NOT NULL DEFAULT 0,
        returned INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        work INTEGER NOT NULL,
        canonical TEXT,
        validated_at INTEGER,
        open_slots INTEGER GENERATED ALWAYS AS (wanted - in_flight - returned) VIRTUAL,
        PRIMARY KEY (workload_id, idx)
      ) WITHOUT ROWID;
      -- Leasing walks this index in unit order and skips everything settled or fully leased.
      CREATE INDEX units_leasable ON units (workload_id, idx) WHERE state = 'open' AND open_slots > 0;
      CREATE INDEX units_validated_at ON units (validated_at) WHERE validated_at IS NOT NULL;
      CREATE INDEX units_in_flight ON units (workload_id) WHERE state = 'open' AND in_flight > 0;

      CREATE TABLE volunteers (
        id TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        display_name TEXT NOT NULL,
        credit REAL NOT NULL DEFAULT 0,
        units_valid INTEGER NOT NULL DEFAULT 0,
        units_invalid INTEGER NOT NULL DEFAULT 0,
        units_errored INTEGER NOT NULL DEFAULT 0,
        consecutive_valid INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
      );

      CREATE TABLE replicas (
        id INTEGER PRIMARY KEY,
        workload_id TEXT NOT NULL REFERENCES workloads (id),
        unit_idx INTEGER NOT NULL,
        volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
        connection_id TEXT NOT NULL,
        net_group TEXT,
        state TEXT NOT NULL
          CHECK (state IN ('in_flight', 'returned', 'timed_out', 'errored', 'valid', 'invalid')),
        leased_at INTEGER NOT NULL,
        deadline INTEGER NOT NULL,
        returned_at INTEGER,
        elapsed_ms REAL,
        result TEXT,
        error TEXT
      );
      CREATE INDEX replicas_unit ON replicas (workload_id, unit_idx);
      CREATE INDEX replicas_deadline ON replicas (deadline) WHERE state = 'in_flight';
      CREATE INDEX replicas_connection ON replicas (connection_id) WHERE state = 'in_flight';
    `,
  },
  {
    // Adaptive replication and reputation (SPEC.md R1-R5).
    version: 2,
    sql: `
      -- quorum: identical results this unit needs now (1 while a trusted volunteer runs it alone).
      -- verified: 0 when the canonical result rests on a lone result or on volunteers without an
      --   established record; such units are recomputed if one of them is later caught.
      ALTER TABLE units ADD COLUMN quorum INTEGER NOT NULL DEFAULT 2;
      ALTER TABLE units ADD COLUMN verified INTEGER NOT NULL DEFAULT 1;
      UPDATE units SET quorum = (
        SELECT json_extract(w.redundancy, '$.quorum') FROM workloads w WHERE w.id = units.workload_id);
      CREATE INDEX replicas_volunteer_valid ON replicas (volunteer_id) WHERE state = 'valid';
      ALTER TABLE volunteers ADD COLUMN offenses INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE volunteers ADD COLUMN suspended_until INTEGER;
    `,
  },
  {
    // Gradient workloads (server/src/gradient/gradientStore.ts): the parameter server's state,
    // the units and replicas of the open round, and the metrics of every closed step.
    version: 3,
    sql: `
      -- version: parameter version = the step whose round is open (steps once training is done).
      CREATE TABLE gradient_state (
        workload_id TEXT PRIMARY KEY REFERENCES workloads (id),
        version INTEGER NOT NULL,
        steps INTEGER NOT NULL,
        params BLOB NOT NULL,
        optimizer BLOB NOT NULL
      );
      CREATE TABLE gradient_steps (
        workload_id TEXT NOT NULL REFERENCES workloads (id),
        step INTEGER NOT NULL,
        loss REAL NOT NULL,
        train_correct INTEGER NOT NULL,
        examples INTEGER NOT NULL,
        accuracy REAL,
        closed_at INTEGER NOT NULL,
        PRIMARY KEY (workload_id, step)
      ) WITHOUT ROWID;
      -- One row per shard of the open round; rows of closed rounds are deleted with the round.
      CREATE TABLE gradient_units (
        workload_id TEXT NOT NULL REFERENCES workloads (id),
        step INTEGER NOT NULL,
        shard INTEGER NOT NULL,
        start INTEGER NOT NULL,
        count INTEGER NOT NULL,
        shard_hash TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'validated')),
        quorum INTEGER NOT NULL,
        wanted INTEGER NOT NULL,
        in_flight INTEGER NOT NULL DEFAULT 0,
        returned INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        canonical BLOB,
        PRIMARY KEY (workload_id, step, shard)
      ) WITHOUT ROWID;
      CREATE INDEX gradient_units_hash ON gradient_units (shard_hash);
      -- ids start at GRADIENT_REPLICA_ID_BASE so one replicaId names one replica of either kind.
      CREATE TABLE gradient_replicas (
        id INTEGER PRIMARY KEY,
        workload_id TEXT NOT NULL REFERENCES workloads (id),
        step INTEGER NOT NULL,
        shard INTEGER NOT NULL,
        volunteer_id TEXT NOT NULL REFERENCES volunteers (id),
        connection_id TEXT NOT NULL,
        state TEXT NOT NULL
          CHECK (state IN ('in_flight', 'returned', 'timed_out', 'errored', 'valid', 'invalid')),
        leased_at INTEGER NOT NULL,
        deadline INTEGER NOT NULL,
        returned_at INTEGER,
        result BLOB,
        error TEXT
      );
      CREATE INDEX gradient_replicas_unit ON gradient_replicas (workload_id, step, shard);
      CREATE INDEX gradient_replicas_deadline ON gradient_replicas (deadline)
        WHERE state = 'in_flight';
      CREATE INDEX gradient_replicas_connection ON gradient_replicas (connection_id)
        WHERE state = 'in_flight';
    `,
  },
  {
    // Straggler backups for gradient rounds: how many backup replicas a unit was given.
    version: 4,
    sql: `ALTER TABLE gradient_units ADD COLUMN backups INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    // Asynchronous gradient rounds with bounded staleness (SPEC A3): the parameter version a
    // unit is computed at (fixed at its first lease, so its replicas agree), the older
    // versions still leasable, and the versions each closed step's shards used.
    version: 5,
    sql: `
      ALTER TABLE gradient_units ADD COLUMN version INTEGER;
      ALTER TABLE gradient_steps ADD COLUMN versions TEXT;
      CREATE TABLE gradient_params (
        workload_id TEXT NOT NULL REFERENCES workloads (id),
        version INTEGER NOT NULL,
        params BLOB NOT NULL,
        PRIMARY KEY (workload_id, version)
      ) WITHOUT ROWID;
    `,
  },
  {
    // The dashboard's recent throughput counts validated gradient units by their valid replicas.
    version: 6,
    sql: `CREATE INDEX gradient_replicas_valid ON gradient_replicas (returned_at) WHERE state = 'valid';`,
  },
  {
    // [L2] gradient replicas remember their public network group, as Monte Carlo ones do.
    version: 7,
    sql: `ALTER TABLE gradient_replicas ADD COLUMN net_group TEXT;`,
  },
  {
    // [R4] A replica withdrawn because its volunteer was caught never counts as a vote again,
    // unlike one that a withdrawn result had outvoted.
    version: 8,
    sql: `ALTER TABLE replicas ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    // One work engine (server/src/engine/): every kind's units and replicas in one pair of
    // tables with one replica id sequence; a kind's own state in generic per-workload blobs and
    // records; exact integer credit; token shares and workload owners/priorities for fair
    // share; per-replica offense and withdrawal provenance for exoneration (SPEC R8, Q6).
    version: 9,
    sql: `
      ALTER TABLE units ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE units ADD COLUMN plan TEXT;
      ALTER TABLE units ADD COLUMN lease_key TEXT;
      ALTER TABLE units ADD COLUMN pin INTEGER;
      ALTER TABLE units ADD COLUMN backups INTEGER NOT NULL DEFAULT 0;
      DROP INDEX units_leasable;
      CREATE INDEX units_leasable ON units (workload_id, round, idx)
        WHERE state = 'open' AND open_slots > 0;
      CREATE INDEX units_lease_key ON units (lease_key) WHERE lease_key IS NOT NULL;
      CREATE INDEX units_stalled ON units (workload_id, idx)
        WHERE state = 'open' AND in_flight = 0 AND returned > 0;

      ALTER TABLE replicas ADD COLUMN offense INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE replicas ADD COLUMN withdrawn_by INTEGER;
      ALTER TABLE replicas ADD COLUMN fault TEXT CHECK (fault IN ('volunteer', 'disconnect'));
      UPDATE replicas SET fault = 'volunteer'
        WHERE state = 'errored' OR (state = 'timed_out' AND error = 'lease expired');
      UPDATE replicas SET fault = 'disconnect'
        WHERE state = 'timed_out' AND error = 'volunteer disconnected';
      UPDATE replicas SET offense = 1 WHERE state = 'invalid' AND withdrawn = 0;
      -- In-flight lookups by workload or volunteer walk replicas_deadline (in flight only: few
      -- rows); every index on replicas is paid for on each lease and each result.
      CREATE INDEX replicas_withdrawn_by ON replicas (withdrawn_by) WHERE withdrawn_by IS NOT NULL;
      CREATE INDEX replicas_volunteer_returned ON replicas (volunteer_id) WHERE state = 'returned';

      -- Gradient units and replicas join the engine's tables: unit index = step * shards + shard.
      INSERT INTO units (workload_id, idx, state, wanted, in_flight, returned, errors, work,
          canonical, quorum, verified, round, plan, lease_key, pin, backups)
        SELECT g.workload_id, g.step * json_extract(w.spec, '$.shards') + g.shard, g.state,
            g.wanted, g.in_flight, g.returned, g.errors,
            g.count * (length(s.params) / 4), g.canonical, g.quorum, 1, g.step,
            json_object('shard', g.shard, 'start', g.start, 'count', g.count), g.shard_hash,
            g.version, g.backups
          FROM gradient_units g
          JOIN workloads w ON w.id = g.workload_id
          JOIN gradient_state s ON s.workload_id = g.workload_id;
      INSERT INTO replicas (workload_id, unit_idx, volunteer_id, connection_id, net_group, state,
          leased_at, deadline, returned_at, result, error, offense)
        SELECT r.workload_id, r.step * json_extract(w.spec, '$.shards') + r.shard, r.volunteer_id,
            r.connection_id, r.net_group, r.state, r.leased_at, r.deadline, r.returned_at,
            r.result, r.error, r.state = 'invalid'
          FROM gradient_replicas r JOIN workloads w ON w.id = r.workload_id
          ORDER BY r.id;

      CREATE TABLE workload_blobs (
        workload_id TEXT NOT NULL REFERENCES workloads (id),
        name TEXT NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (workload_id, name)
      ) WITHOUT ROWID;
      CREATE TABLE workload_records (
        workload_id TEXT NOT NULL REFERENCES workloads (id),
        seq INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (workload_id, seq)
      ) WITHOUT ROWID;
      INSERT INTO workload_blobs SELECT workload_id, 'params', params FROM gradient_state;
      INSERT INTO workload_blobs SELECT workload_id, 'optimizer', optimizer FROM gradient_state;
      INSERT INTO workload_blobs
        SELECT workload_id, 'params@' || version, params FROM gradient_params;
      UPDATE workloads SET aggregate = (
          SELECT json_object('version', s.version, 'steps', s.steps) FROM gradient_state s
           WHERE s.workload_id = workloads.id)
        WHERE kind = 'gradient';
      INSERT INTO workload_records
        SELECT workload_id, step, json_object('step', step, 'loss', loss,
            'trainCorrect', train_correct, 'examples', examples, 'accuracy', accuracy,
            'versions', json(COALESCE(versions, '[]')))
          FROM gradient_steps;
      DROP TABLE gradient_replicas;
      DROP TABLE gradient_units;
      DROP TABLE gradient_params;
      DROP TABLE gradient_steps;
      DROP TABLE gradient_state;

      ALTER TABLE volunteers ADD COLUMN credit_micro INTEGER NOT NULL DEFAULT 0;
      UPDATE volunteers SET credit_micro = CAST(ROUND(credit * 1000000) AS INTEGER);
      CREATE INDEX volunteers_leaderboard ON volunteers (credit_micro DESC) WHERE units_valid > 0;

      ALTER TABLE tokens ADD COLUMN share INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE workloads ADD COLUMN owner TEXT;
      ALTER TABLE workloads ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    // [L5] Leases carry the coordinator process (instance) that granted them.
    version: 10,
    sql: `ALTER TABLE replicas ADD COLUMN instance_id TEXT;`,
  },
  {
    // A round's units by state (is the round done? Tx.unitsUnsettled), without walking every
    // unit of a long training run.
    version: 11,
    sql: `CREATE INDEX units_round ON units (workload_id, round, state);`,
  },
  {
    // Platform counts (replicas by state, volunteers, each workload's replicas in flight) kept
    // as the rows change (SqliteTx.flush) instead of counted over whole tables by every
    // dashboard build and every lease (fair share): a scan of millions of replicas a few times
    // a second would hold the coordinator's only thread.
    version: 12,
    sql: `
      CREATE TABLE platform_counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO platform_counts (name, n)
        SELECT 'replicas:' || state, COUNT(*) FROM replicas GROUP BY state;
      INSERT INTO platform_counts (name, n) SELECT 'volunteers', COUNT(*) FROM volunteers;
      INSERT INTO platform_counts (name, n) SELECT 'in_flight:' || workload_id, COUNT(*)
        FROM replicas WHERE state = 'in_flight' GROUP BY workload_id;
    `,
  },
  {
    // A unit's canonical result that is one of its replicas' is stored once, on the replica:
    // the unit names it (a 200 KB gradient was written twice, and cleared twice, per unit).
    version: 13,
    sql: `ALTER TABLE units ADD COLUMN canonical_replica INTEGER;`,
  },
];
