// The `tessera` binary run as a child process (the coordinator under test lives in this one, so
// its event loop must not block), with the caller's TESSERA_* environment only.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/tessera.mjs', import.meta.url));
const CHILD_TIMEOUT_MS = 60_000;

export interface BinaryRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tesseraBinary(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<BinaryRun> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TESSERA_')),
  );
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...clean, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}
