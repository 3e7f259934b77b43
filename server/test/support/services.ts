// Stops and starts this machine's PostgreSQL and Redis for outage tests (the services CI runs
// against: DEVELOPERS.md). Starting is idempotent, so a test's `finally` can always call it.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const run = (command: string, args: string[]) =>
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });

const pgVersion = () => readdirSync('/etc/postgresql')[0]!;

export function stopPostgres(): void {
  run('pg_ctlcluster', ['--skip-systemctl-redirect', pgVersion(), 'main', 'stop', '-m', 'fast']);
}

export function startPostgres(): void {
  try {
    run('pg_isready', ['-q', '-h', '127.0.0.1', '-p', '5432']);
    return;
  } catch {
    run('pg_ctlcluster', ['--skip-systemctl-redirect', pgVersion(), 'main', 'start']);
  }
}

export function stopRedis(): void {
  run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'shutdown', 'nosave']);
}

export function startRedis(): void {
  try {
    run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping']);
  } catch {
    run('redis-server', [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '-::1',
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      '/var/lib/redis',
      '--logfile',
      '/var/log/redis/ci.log',
    ]);
  }
}
