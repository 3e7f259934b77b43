// How many CPU compute workers a tab runs: cores − 1 (at least one), at most eight, never more
// than the coordinator lets one connection lease; ?cpuWorkers=N overrides the core count only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cpuWorkerCount,
  DEFAULT_LEASE_LIMIT,
  MAX_CPU_WORKERS,
  requestedCpuWorkersFrom,
} from '../../src/volunteer/cpuWorkerCount';

test('one core is left for the page and the machine', () => {
  assert.equal(cpuWorkerCount({ hardwareConcurrency: 4, requested: null, leaseLimit: 64 }), 3);
  assert.equal(cpuWorkerCount({ hardwareConcurrency: 2, requested: null, leaseLimit: 64 }), 1);
});

test('a single core or an unknown count still gives one worker', () => {
  assert.equal(cpuWorkerCount({ hardwareConcurrency: 1, requested: null, leaseLimit: 4 }), 1);
  assert.equal(
    cpuWorkerCount({ hardwareConcurrency: undefined, requested: null, leaseLimit: 4 }),
    1,
  );
  assert.equal(cpuWorkerCount({ hardwareConcurrency: 0, requested: null, leaseLimit: 4 }), 1);
});

test('many cores are capped at eight and by the lease limit', () => {
  assert.equal(
    cpuWorkerCount({ hardwareConcurrency: 64, requested: null, leaseLimit: 64 }),
    MAX_CPU_WORKERS,
  );
  assert.equal(cpuWorkerCount({ hardwareConcurrency: 64, requested: null, leaseLimit: 4 }), 4);
  assert.equal(
    cpuWorkerCount({ hardwareConcurrency: 64, requested: null, leaseLimit: null }),
    DEFAULT_LEASE_LIMIT,
  );
});

test('?cpuWorkers overrides the core count but not the caps', () => {
  assert.equal(cpuWorkerCount({ hardwareConcurrency: 2, requested: 2, leaseLimit: 4 }), 2);
  assert.equal(cpuWorkerCount({ hardwareConcurrency: 16, requested: 1, leaseLimit: 4 }), 1);
  assert.equal(cpuWorkerCount({ hardwareConcurrency: 2, requested: 6, leaseLimit: 4 }), 4);
});

test('?cpuWorkers is read as a whole number 1..8, anything else ignored', () => {
  assert.equal(requestedCpuWorkersFrom('?cpuWorkers=2'), 2);
  assert.equal(requestedCpuWorkersFrom('?backend=cpu&cpuWorkers=8'), 8);
  assert.equal(requestedCpuWorkersFrom(''), null);
  assert.equal(requestedCpuWorkersFrom('?cpuWorkers=0'), null);
  assert.equal(requestedCpuWorkersFrom('?cpuWorkers=9'), null);
  assert.equal(requestedCpuWorkersFrom('?cpuWorkers=2.5'), null);
  assert.equal(requestedCpuWorkersFrom('?cpuWorkers=-1'), null);
  assert.equal(requestedCpuWorkersFrom('?cpuWorkers=lots'), null);
});
