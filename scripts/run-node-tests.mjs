// Runs every *.test.ts under shared/, server/ and client/ with Node's own test runner (tsx for
// TypeScript). Node 20's --test takes no globs, so the files are found here.
// Usage: node scripts/run-node-tests.mjs [substring filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['shared', 'server', 'client', 'scripts'];
const filters = process.argv.slice(2);

function find(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...find(path));
    else if (entry.name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const files = roots
  .flatMap((root) => find(root))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  // A file that hangs fails after 10 minutes instead of holding CI until its own limit.
  ['--import', 'tsx', '--test', '--test-timeout=600000', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
