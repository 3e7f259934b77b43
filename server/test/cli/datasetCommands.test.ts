// `tessera dataset upload|list|delete` against a stand-in for the coordinator's datasets API
// (the contract: a CSV streamed as the body, `{ error: { code, message, details } }` refusals):
// the file goes as a stream with a progress bar on a terminal and Ctrl-C stops it, every
// argument mistake is a usage error (exit 2, nothing sent), and the answers come out as a line,
// a table or JSON.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import { datasetSummary, datasetTable, formatBytes } from '../../src/cli/datasetText';
import { EXIT } from '../../src/cli/exitCodes';
import type { CliIO } from '../../src/cli/output';
import { main } from '../../src/cli/tessera';
import { UploadProgress, uploadLine } from '../../src/cli/uploadProgress';
import { tempDir } from '../support/testCoordinator';

const TOKEN = 'dataset-test-token';
const CREATED_AT = Date.UTC(2026, 2, 1, 12, 0, 5);

interface Received {
  headers: IncomingHttpHeaders;
  url: string;
  body: Buffer;
  chunks: number;
}

/** The datasets API as the coordinator answers it, kept in memory. */
function standIn() {
  const stored = new Map<string, DatasetInfo>();
  const inUse = new Set<string>();
  const received: Received[] = [];
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const refuse = (
    res: import('node:http').ServerResponse,
    status: number,
    code: string,
    message: string,
    details?: unknown,
  ) => json(res, status, { error: { code, message, ...(details ? { details } : {}) } });

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const authorized = req.headers.authorization === `Bearer ${TOKEN}`;
    if (req.method === 'POST' && url.pathname === '/api/datasets') {
      if (!authorized) {
        req.resume();
        return refuse(res, 401, 'UNAUTHORIZED', 'a researcher token is required');
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        received.push({ headers: req.headers, url: req.url ?? '', body, chunks: chunks.length });
        const lines = body.toString('utf8').trim().split('\n');
        const bad = lines.findIndex((line) => line.includes('abc'));
        if (bad >= 0) {
          const column = lines[bad]!.split(',').indexOf('abc') + 1;
          return refuse(
            res,
            400,
            'BAD_REQUEST',
            `invalid dataset: line ${bad + 1}, column ${column}: "abc" is not a number`,
            [
              {
                path: `line ${bad + 1}, column ${column}`,
                message: '"abc" is not a number',
                line: bad + 1,
                column,
              },
            ],
          );
        }
        const header = lines[0]!.split(',');
        const labeled = header.at(-1) === 'label';
        const id = `ds-${createHash('sha256').update(body).digest('hex').slice(0, 24)}`;
        const known = stored.get(id);
        if (known) return json(res, 200, known);
        const info: DatasetInfo = {
          id,
          name: url.searchParams.get('name') ?? 'dataset.csv',
          rows: lines.length - 1,
          features: header.length - (labeled ? 1 : 0),
          classes: labeled ? 3 : 0,
          labeled,
          bytes: (lines.length - 1) * (header.length - (labeled ? 1 : 0)) * 4,
          createdAt: CREATED_AT,
        };
        stored.set(id, info);
        json(res, 201, info);
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/datasets') {
      return json(res, 200, { datasets: [...stored.values()] });
    }
    const one = /^\/api\/datasets\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && one) {
      const id = decodeURIComponent(one[1]!);
      if (!authorized) return refuse(res, 401, 'UNAUTHORIZED', 'a researcher token is required');
      if (!stored.has(id)) return refuse(res, 404, 'NOT_FOUND', `no dataset with id ${id}`);
      if (inUse.has(id)) {
        return refuse(
          res,
          409,
          'CONFLICT',
          `dataset ${id} is used by workload w1; cancel or finish it first`,
        );
      }
      stored.delete(id);
      res.writeHead(204).end();
      return;
    }
    refuse(res, 404, 'NOT_FOUND', `no such endpoint: ${req.method} ${url.pathname}`);
  });
  return { server, stored, inUse, received };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function tessera(
  argv: string[],
  options: { url: string; cwd: string; tty?: boolean; token?: string },
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  let clock = 0;
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty, columns: 80 },
    env: { TESSERA_URL: options.url, TESSERA_TOKEN: options.token ?? TOKEN },
    cwd: options.cwd,
    // Each reading a little later, so the bar may redraw on every chunk.
    now: () => (clock += 250),
    onInterrupt: () => () => {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const IRIS = 'sepal,petal,label\n5.1,1.4,0\n7.0,4.7,1\n6.3,6.0,2\n';

describe('tessera dataset: arguments', () => {
  let dir: string;
  before(() => {
    dir = tempDir('tessera-dataset-args-');
    writeFileSync(join(dir, 'iris.csv'), IRIS);
    mkdirSync(join(dir, 'folder.csv'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every mistake is a usage error: exit 2 with the usage text, nothing sent', async () => {
    // Port 9 refuses at once: a call that got this far would exit 3, not 2.
    const url = 'http://127.0.0.1:9';
    const cases: Array<[string[], RegExp]> = [
      [['dataset'], /^tessera: dataset needs one of: upload, list, delete\n/],
      [['dataset', 'show'], /^tessera: unknown command: dataset show; dataset takes upload, /],
      [['dataset', 'upload'], /^tessera: dataset upload needs FILE\n/],
      [
        ['dataset', 'upload', 'a.csv', 'b.csv'],
        /^tessera: dataset upload takes FILE, got "a\.csv b\.csv"/,
      ],
      [['dataset', 'upload', 'missing.csv'], /^tessera: cannot read missing\.csv: no such file\n/],
      [['dataset', 'upload', 'folder.csv'], /^tessera: cannot read folder\.csv: it is a folder\n/],
      [['dataset', 'upload', 'iris.csv', '--name', ' '], /^tessera: --name is empty\n/],
      [
        ['dataset', 'upload', 'iris.csv', '--wait'],
        /^tessera: dataset upload does not take --wait/,
      ],
      [['dataset', 'list', 'extra'], /^tessera: dataset list takes no arguments, got "extra"/],
      [['dataset', 'list', '--out', 'x'], /^tessera: dataset list does not take --out/],
      [['dataset', 'delete'], /^tessera: dataset delete needs ID\n/],
      [['dataset', 'delete', 'ds-1', '--json'], /^tessera: dataset delete does not take --json/],
    ];
    for (const [argv, message] of cases) {
      const run = await tessera(argv, { url, cwd: dir });
      assert.equal(run.code, EXIT.usage, `${argv.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, argv.join(' '));
      assert.match(run.stderr, /Usage: tessera/);
      assert.equal(run.stdout, '');
    }
  });

  test('no coordinator at the URL: exit 3, with the hint', async () => {
    const run = await tessera(['dataset', 'upload', 'iris.csv'], {
      url: 'http://127.0.0.1:9',
      cwd: dir,
    });
    assert.equal(run.code, EXIT.unreachable, run.stderr);
    assert.match(run.stderr, /^tessera: cannot reach the coordinator at http:\/\/127\.0\.0\.1:9: /);
    assert.match(run.stderr, /Start one with `npm start`/);
  });
});

describe('tessera dataset: against the datasets API', () => {
  let dir: string;
  let api: ReturnType<typeof standIn>;
  let url: string;
  before(async () => {
    dir = tempDir('tessera-dataset-');
    writeFileSync(join(dir, 'iris.csv'), IRIS);
    writeFileSync(join(dir, 'bad.csv'), 'a,b\n1,2\n3,abc\n');
    api = standIn();
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    api.stored.clear();
    api.inUse.clear();
    api.received.length = 0;
  });
  after(async () => {
    await new Promise((resolve) => api.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test('upload streams the file as text/csv and prints the id, the summary on stderr', async () => {
    const run = await tessera(['dataset', 'upload', 'iris.csv'], { url, cwd: dir });
    assert.equal(run.code, EXIT.ok, run.stderr);
    const [sent] = api.received;
    assert.ok(sent);
    assert.equal(sent.body.toString(), IRIS);
    assert.equal(sent.headers['content-type'], 'text/csv');
    // A stream, not a buffered body: no length known up front.
    assert.equal(sent.headers['transfer-encoding'], 'chunked');
    assert.equal(sent.headers['content-length'], undefined);
    assert.equal(sent.url, '/api/datasets?name=iris.csv');
    const id = run.stdout.trim();
    assert.match(id, /^ds-[0-9a-f]{24}$/);
    assert.equal(
      run.stderr,
      `Uploaded iris.csv (48 B) as dataset ${id} "iris.csv": 3 rows, 2 features, 3 classes; 24 B stored.\n`,
    );

    const again = await tessera(['dataset', 'upload', 'iris.csv', '--name', 'other name.csv'], {
      url,
      cwd: dir,
    });
    assert.equal(again.code, EXIT.ok, again.stderr);
    assert.equal(again.stdout, `${id}\n`);
    assert.equal(api.received[1]?.url, '/api/datasets?name=other%20name.csv');
    assert.match(again.stderr, /^Already uploaded: dataset ds-\w+ "iris\.csv": 3 rows/);
  });

  test('--json prints the whole record', async () => {
    const run = await tessera(['dataset', 'upload', 'iris.csv', '--json', '--name', 'iris'], {
      url,
      cwd: dir,
    });
    assert.equal(run.code, EXIT.ok, run.stderr);
    const record = JSON.parse(run.stdout) as DatasetInfo;
    assert.deepEqual(record, [...api.stored.values()][0]);
    assert.equal(record.name, 'iris');
  });

  test('on a terminal a bar counts the bytes sent, then the summary starts a fresh line', async () => {
    // 1.5 MiB in 64 KiB chunks: 24 of them.
    const row = '0.125,0.25,0.5,1\n';
    const big = `a,b,c,label\n${row.repeat(Math.ceil((1.5 * 1024 * 1024) / row.length))}`;
    writeFileSync(join(dir, 'big.csv'), big);
    const run = await tessera(['dataset', 'upload', 'big.csv'], { url, cwd: dir, tty: true });
    assert.equal(run.code, EXIT.ok, run.stderr);
    assert.equal(api.received[0]?.body.length, big.length);
    const frames = run.stderr.split('\r').slice(1);
    assert.ok(frames.length >= 10, `${frames.length} frames`);
    assert.match(frames[0]!, /^\[█*░+\]  64\.0 KiB \/ 1\.5 MiB  4\.2%\x1b\[K$/);
    assert.match(
      frames.at(-1)!,
      /^\[█{30}\]  1\.5 MiB \/ 1\.5 MiB  100\.0%\x1b\[K\nUploaded big\.csv/,
    );
  });

  test('off a terminal there is no bar', async () => {
    const run = await tessera(['dataset', 'upload', 'iris.csv'], { url, cwd: dir, tty: false });
    assert.equal(run.code, EXIT.ok, run.stderr);
    assert.doesNotMatch(run.stderr, /[\r█]/);
  });

  test('a refused file: the line and column the coordinator names, exit 1', async () => {
    const run = await tessera(['dataset', 'upload', 'bad.csv'], { url, cwd: dir });
    assert.equal(run.code, EXIT.failure);
    assert.equal(
      run.stderr,
      'tessera: the coordinator refused bad.csv: invalid dataset: line 3, column 2: "abc" is not a number (BAD_REQUEST)\n',
    );
    assert.equal(run.stdout, '');
  });

  test('a refused token: exit 3, naming where the token came from', async () => {
    const run = await tessera(['dataset', 'upload', 'iris.csv'], {
      url,
      cwd: dir,
      token: 'wrong-token',
    });
    assert.equal(run.code, EXIT.unreachable, run.stderr);
    assert.match(run.stderr, /^tessera: a researcher token is required \(UNAUTHORIZED\)\n/);
    assert.match(run.stderr, /does not accept the token from TESSERA_TOKEN/);
  });

  test('list: a table, JSON, or a hint when there is none', async () => {
    const empty = await tessera(['dataset', 'list'], { url, cwd: dir });
    assert.equal(empty.code, EXIT.ok, empty.stderr);
    assert.equal(empty.stdout, '');
    assert.match(empty.stderr, /^No datasets yet\. Upload one with: tessera dataset upload /);

    const id = (await tessera(['dataset', 'upload', 'iris.csv'], { url, cwd: dir })).stdout.trim();
    const table = await tessera(['dataset', 'list'], { url, cwd: dir });
    assert.equal(table.code, EXIT.ok, table.stderr);
    assert.equal(
      table.stdout,
      'ID                           NAME      ROWS  FEATURES  LABELS     SIZE  CREATED\n' +
        `${id}  iris.csv  3     2         3 classes  24 B  2026-03-01 12:00:05\n`,
    );
    const json = await tessera(['dataset', 'list', '--json'], { url, cwd: dir });
    assert.deepEqual(JSON.parse(json.stdout), [...api.stored.values()]);
  });

  test('delete: the id on stdout; refused while in use (exit 1) or unknown', async () => {
    const id = (await tessera(['dataset', 'upload', 'iris.csv'], { url, cwd: dir })).stdout.trim();
    api.inUse.add(id);
    const busy = await tessera(['dataset', 'delete', id], { url, cwd: dir });
    assert.equal(busy.code, EXIT.failure);
    assert.equal(
      busy.stderr,
      `tessera: dataset ${id} is used by workload w1; cancel or finish it first (CONFLICT)\n`,
    );
    api.inUse.delete(id);
    const done = await tessera(['dataset', 'delete', id], { url, cwd: dir });
    assert.equal(done.code, EXIT.ok, done.stderr);
    assert.equal(done.stdout, `${id} deleted\n`);
    assert.equal(api.stored.size, 0);
    const gone = await tessera(['dataset', 'delete', id], { url, cwd: dir });
    assert.equal(gone.code, EXIT.failure);
    assert.match(gone.stderr, /no dataset with id ds-\w+ \(NOT_FOUND\)/);
  });
});

describe('tessera dataset upload: Ctrl-C', () => {
  test('stops the upload midway: exit 130, nothing stored', async () => {
    const dir = tempDir('tessera-dataset-interrupt-');
    const row = '0.125,0.25,0.5,1\n';
    writeFileSync(join(dir, 'big.csv'), `a,b,c,label\n${row.repeat(200_000)}`);
    let interrupt: (() => void) | null = null;
    // Takes the first bytes, then never answers: only Ctrl-C ends the upload.
    const server = createServer((req) => {
      req.once('data', () => interrupt?.());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let stdout = '';
    let stderr = '';
    try {
      const code = await main(['dataset', 'upload', 'big.csv'], {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text), isTTY: false, columns: 80 },
        env: {
          TESSERA_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          TESSERA_TOKEN: TOKEN,
        },
        cwd: dir,
        now: () => 0,
        onInterrupt: (handler) => {
          interrupt = handler;
          return () => (interrupt = null);
        },
      });
      assert.equal(code, EXIT.interrupted, stderr);
      assert.equal(stderr, 'Stopped uploading big.csv; nothing was stored.\n');
      assert.equal(stdout, '');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('datasets in words', () => {
  const iris: DatasetInfo = {
    id: 'ds-0123456789abcdef01234567',
    name: 'iris.csv',
    rows: 150,
    features: 4,
    classes: 3,
    labeled: true,
    bytes: 2_550,
    createdAt: CREATED_AT,
  };

  test('byte counts in binary units', () => {
    const cases: Array<[number, string]> = [
      [0, '0 B'],
      [1023, '1023 B'],
      [1024, '1.0 KiB'],
      [2_550, '2.5 KiB'],
      [1024 * 1024 - 1, '1.0 MiB'],
      [12.34 * 1024 * 1024, '12.3 MiB'],
      [3 * 1024 ** 3, '3.0 GiB'],
      [5 * 1024 ** 5, '5120.0 TiB'],
    ];
    for (const [bytes, words] of cases) assert.equal(formatBytes(bytes), words, String(bytes));
  });

  test('the summary line, labeled or not, one of a kind or many', () => {
    assert.equal(
      datasetSummary(iris),
      '"iris.csv": 150 rows, 4 features, 3 classes; 2.5 KiB stored',
    );
    assert.equal(
      datasetSummary({ ...iris, rows: 1, features: 1, classes: 0, labeled: false, bytes: 4 }),
      '"iris.csv": 1 row, 1 feature, unlabeled; 4 B stored',
    );
    assert.equal(
      datasetSummary({ ...iris, rows: 1_000_000, classes: 1 }),
      '"iris.csv": 1,000,000 rows, 4 features, 1 class; 2.5 KiB stored',
    );
  });

  test('the table: columns aligned, long names cut', () => {
    const long = {
      ...iris,
      id: 'ds-ffffffffffffffffffffffff',
      name: 'x'.repeat(40),
      labeled: false,
      classes: 0,
    };
    assert.equal(
      datasetTable([iris, long]),
      'ID                           NAME                              ROWS  FEATURES  LABELS     SIZE     CREATED\n' +
        'ds-0123456789abcdef01234567  iris.csv                          150   4         3 classes  2.5 KiB  2026-03-01 12:00:05\n' +
        `ds-ffffffffffffffffffffffff  ${'x'.repeat(31)}…  150   4         unlabeled  2.5 KiB  2026-03-01 12:00:05\n`,
    );
  });

  test('the upload bar: shrunk to fit, redrawn at most every 100 ms, the last always', () => {
    assert.equal(
      uploadLine(512 * 1024, 2 * 1024 * 1024, 80),
      `[${'█'.repeat(8)}${'░'.repeat(22)}]  512.0 KiB / 2.0 MiB  25.0%`,
    );
    assert.equal(uploadLine(0, 0, 80), `[${'█'.repeat(30)}]  0 B / 0 B  100.0%`);
    // No room for a bar of 10: the figures alone.
    assert.equal(uploadLine(1024, 2048, 30), '1.0 KiB / 2.0 KiB  50.0%');

    let written = '';
    let at = 0;
    const progress = new UploadProgress(
      { write: (text: string) => (written += text), isTTY: true, columns: 80 },
      300,
      () => at,
    );
    progress.update(100);
    at = 50;
    progress.update(200);
    at = 60;
    progress.update(300);
    progress.finish();
    assert.equal(written.split('\r').length - 1, 2, JSON.stringify(written));
    assert.match(written, /100\.0%\x1b\[K\n$/);
  });
});
