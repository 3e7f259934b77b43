// `npm run typecheck`: runs `tsc -p` on every project that the root tsconfig.json references,
// two at a time, and fails if any reports an error. Not `tsc -b`: for projects without emit and
// without references between them, its up-to-date check looks only at each project's own files,
// so a change in shared/src that breaks the server would pass unseen. `tsc -p --incremental`
// rechecks every changed file in the program, wherever it lives. Its cache, under
// node_modules/.cache/typecheck, spares rechecking unchanged files (each program is still parsed):
// a run over an unchanged tree costs about 40% of a cold one.
// Usage: node scripts/typecheck.mjs [--no-cache]
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const cacheDir = join(root, 'node_modules', '.cache', 'typecheck');
// Two programs at once fill two cores; more only adds memory, each holds its own copy of the
// library declarations.
const CONCURRENCY = Math.min(2, availableParallelism());

const useCache = !process.argv.includes('--no-cache');
const solution = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
if (solution.error !== undefined) {
  console.error(ts.flattenDiagnosticMessageText(solution.error.messageText, '\n'));
  process.exit(1);
}
/** Each referenced project as the path to its config file, relative to the root. */
const projects = solution.config.references.map(({ path }) => {
  const file = path.endsWith('.json') ? path : join(path, 'tsconfig.json');
  return relative(root, join(root, file));
});

/** Runs tsc on one project; resolves with its exit status and everything it printed. */
function check(project) {
  const cacheName = project.replace(/[\\/]/g, '_').replace(/\.json$/, '.tsbuildinfo');
  // tsc colours its output only on a terminal, and here it writes into a pipe.
  const args = [tsc, '-p', project, '--pretty', String(process.stdout.isTTY === true)];
  if (useCache) args.push('--incremental', '--tsBuildInfoFile', join(cacheDir, cacheName));
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (status) => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      resolve({ project, ok: status === 0, output, seconds });
    });
  });
}

const results = new Array(projects.length);
let next = 0;
async function worker() {
  while (next < projects.length) {
    const index = next++;
    results[index] = await check(projects[index]);
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));

for (const { project, ok, output, seconds } of results) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${project} (${seconds} s)`);
  if (!ok) console.log(output.trimEnd());
}
process.exit(results.every((result) => result.ok) ? 0 : 1);
