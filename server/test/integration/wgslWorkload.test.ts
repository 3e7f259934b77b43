// Researchers' WGSL kernels over real sockets: a coordinator whose kernel lab (Dawn in a child
// process) checks the kernel at submission and spot-checks results, and Node volunteers whose
// "GPU" is Dawn in this process. [L12] a CPU-only tab is never sent a kernel unit; the answer is
// the kernel's TypeScript port's, bit for bit; [R9] a liar whose lone results were made up is
// caught by a sub-range spot check and its units recomputed; [Q1] two device classes that round
// exp/log differently (f32 on SwiftShader, a double-precision port) are both validated and
// credited under the kernel's tolerance, also when the coordinator spot-checks every result;
// [E1] a kernel that passed its trial but never ends on the tabs fails its workload, with why.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Lease, UnitRequestReply } from '@tessera/shared';
import { runInBlocks } from '@tessera/shared/kinds/blockResults';
import { GpuKernelRunner } from '@tessera/shared/gpu/gpuKernelRunner';
import { wgslEstimator, wgslGpuPlan } from '@tessera/shared/kinds/wgsl-kernel/wgslEstimator';
import type { WgslResult, WgslTask } from '@tessera/shared/kinds/wgsl-kernel/wgslSpec';
import { runTypeScriptKernel } from '@tessera/shared/kinds/wgsl-kernel/wgslStream';
import { dawnGpu, withGpuErrorCheck } from '../../../shared/test/gpu/dawnDevice';
import type { DawnGpu } from '../../../shared/test/gpu/dawnGpu';
import { asianPort, piPort } from '../../../shared/test/kinds/wgslPorts';
import { SimulatedVolunteer, type Behavior } from '../../src/sim/simulatedVolunteer';
import type { SchedulerOptionsInput } from '../../src/scheduler/schedulerOptions';
import {
  api,
  startTestCoordinator,
  volunteerRecord,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';
import { finished, submitMontecarlo } from '../support/workloadRuns';

const kernel = (name: string) =>
  readFileSync(new URL(`../../../examples/${name}.wgsl`, import.meta.url), 'utf8');
const PI_SOURCE = kernel('pi-kernel');
const ASIAN_SOURCE = kernel('asian-option');
const TEST_TIMEOUT_MS = 120_000;

let dawn: DawnGpu;
let runner: GpuKernelRunner;
before(async () => {
  dawn = await dawnGpu();
  runner = new GpuKernelRunner(dawn.device);
});

type Device = (task: WgslTask) => Promise<WgslResult>;

/** This process's Dawn, as a volunteer's GPU. */
const onDawn: Device = async (task) => {
  const output = await withGpuErrorCheck(dawn, () => runner.run(wgslGpuPlan(task)));
  return wgslEstimator.decodeGpuOutput(task, output);
};

/** A lease computed block by block on `device`, as a tab does (SPEC R9); each result kept. */
function computeWith(device: Device, seen?: Map<number, WgslResult>) {
  return async (lease: Lease) => {
    const task = wgslEstimator.taskSchema.parse(lease.task);
    const { result } = await runInBlocks(wgslEstimator, task, async (t) => ({
      result: await device(t as WgslTask),
    }));
    seen?.set(lease.unitIndex, result as WgslResult);
    return result;
  };
}

/** The whole workload by the kernel's TypeScript port, as one process would fold it. */
function portAnswer(
  spec: { source: string; outputs: string[]; samples: number; seed: number },
  perUnit: number,
) {
  const parsed = wgslEstimator.specSchema.parse({
    estimator: 'wgsl',
    ...spec,
    samplesPerUnit: perUnit,
  });
  let aggregate = wgslEstimator.emptyAggregate();
  for (let i = 0; i < wgslEstimator.unitCount(parsed); i++) {
    aggregate = wgslEstimator.fold(
      aggregate,
      runTypeScriptKernel(wgslEstimator.taskFor(parsed, i), piPort),
    );
  }
  return wgslEstimator.finalize(aggregate);
}

async function crewOf(
  url: string,
  members: Array<{ behavior: Behavior; compute: (lease: Lease) => Promise<unknown> }>,
): Promise<SimulatedVolunteer[]> {
  const crew = members.map(
    ({ behavior, compute }, i) =>
      new SimulatedVolunteer({
        url,
        behavior,
        compute,
        backend: 'webgpu',
        displayName: `${behavior}-${i}`,
        idleMs: 20,
      }),
  );
  await Promise.all(crew.map((v) => v.connect()));
  return crew;
}

/** Runs the crew until the workload is completed with every spot check settled. */
async function settled(coordinator: TestCoordinator, id: string, crew: SimulatedVolunteer[]) {
  const running = crew.map((v) => v.run());
  let view;
  for (;;) {
    view = await finished(coordinator.url, id, 90_000);
    await coordinator.server.coordinator.spotChecks.drain();
    const again = await finished(coordinator.url, id, 90_000);
    if (again.status === view.status && again.unitsValidated === view.unitsValidated) break;
  }
  crew.forEach((v) => v.close());
  await Promise.all(running);
  const result = await api(coordinator.url, 'GET', `/api/workloads/${id}/result`);
  assert.equal(result.status, 200, JSON.stringify(result.body));
  return { ...view, result: result.body };
}

describe('researchers’ WGSL kernels on volunteers (Dawn in Node)', { timeout: 300_000 }, () => {
  let coordinator: TestCoordinator;
  const start = async (scheduler: SchedulerOptionsInput = {}) => {
    await coordinator?.cleanup();
    coordinator = await startTestCoordinator({ scheduler });
  };
  after(async () => coordinator?.cleanup());

  test(
    '[L12] kernel units go to WebGPU tabs only; the answer is the port’s, bit for bit',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await start();
      const spec = { source: PI_SOURCE, outputs: ['pi'], samples: 12_000, seed: 11 };
      const id = await submitMontecarlo(coordinator.url, {
        estimator: 'wgsl',
        ...spec,
        samplesPerUnit: 4096,
      });
      // A CPU-only tab asks first and is given nothing: it cannot run a kernel.
      const cpu = new SimulatedVolunteer({
        url: coordinator.url,
        displayName: 'cpu-tab',
        idleMs: 20,
      });
      await cpu.connect();
      const refused = await cpu.call<UnitRequestReply>('unit:request', { maxUnits: 4 });
      assert.ok(refused.ok);
      assert.equal(refused.ok && refused.leases.length, 0);
      const crew = await crewOf(coordinator.url, [
        { behavior: 'honest', compute: computeWith(onDawn) },
        { behavior: 'honest', compute: computeWith(onDawn) },
      ]);
      const view = await settled(coordinator, id, crew);
      cpu.close();
      assert.equal(view.status, 'completed');
      assert.deepEqual(view.result.outputs, portAnswer(spec, 4096).outputs);
      const pi = view.result.outputs.pi;
      assert.ok(Math.abs(pi.mean - Math.PI) < 5 * pi.stderr, JSON.stringify(pi));
    },
  );

  test(
    '[R9] a liar that made up its lone results is caught by a spot check; its units are recomputed',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await start();
      const spec = { source: PI_SOURCE, outputs: ['pi'], samples: 16_384, seed: 12 };
      const id = await submitMontecarlo(
        coordinator.url,
        { estimator: 'wgsl', ...spec, samplesPerUnit: 4096 },
        { redundancy: { quorum: 1, maxReplicas: 6 } },
      );
      const [liar] = await crewOf(coordinator.url, [
        { behavior: 'randomLiar', compute: computeWith(onDawn) },
      ]);
      // The liar alone: its made-up results settle units at once (quorum 1)...
      const counters = coordinator.server.coordinator.counters;
      const failedChecks = () => counters.get('tessera_spot_checks_total', { outcome: 'failed' });
      const lying = liar!.run();
      await waitFor(async () => failedChecks() >= 1, 60_000, 'a failed spot check');
      liar!.close();
      await lying;
      await coordinator.server.coordinator.spotChecks.drain();
      // ...and the spot checks catch it: what it settled is taken back.
      const caught = (await volunteerRecord(coordinator.repository, liar!.volunteerId!))!;
      assert.ok(caught.offenses >= 1, JSON.stringify(caught));
      assert.equal(caught.creditMicro, 0);
      // An honest tab recomputes them; the answer is the port's.
      const honest = await crewOf(coordinator.url, [
        { behavior: 'honest', compute: computeWith(onDawn) },
      ]);
      const view = await settled(coordinator, id, honest);
      assert.equal(view.status, 'completed');
      assert.deepEqual(view.result.outputs, portAnswer(spec, 4096).outputs);
      assert.ok(counters.get('tessera_spot_checks_total', { outcome: 'passed' }) >= 1);
    },
  );

  test(
    '[Q1][R9] two device classes with different exp/log rounding are both validated and credited',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await start({ blockCheckRate: 1 });
      const spec = {
        source: ASIAN_SOURCE,
        outputs: ['arithmetic', 'geometric'],
        samples: 8192,
        seed: 13,
      };
      const id = await submitMontecarlo(coordinator.url, {
        estimator: 'wgsl',
        ...spec,
        samplesPerUnit: 2048,
      });
      const gpu = new Map<number, WgslResult>();
      const cpu = new Map<number, WgslResult>();
      // A double-precision "device": Math.exp and Math.log, rounded to f32 only at the end.
      const inDouble: Device = async (task) => runTypeScriptKernel(task, asianPort);
      const crew = await crewOf(coordinator.url, [
        { behavior: 'honest', compute: computeWith(onDawn, gpu) },
        { behavior: 'honest', compute: computeWith(inDouble, cpu) },
      ]);
      const view = await settled(coordinator, id, crew);
      assert.equal(view.status, 'completed');
      // The classes really differ in the last bits: an exact comparison would call one a liar.
      const both = [...gpu.keys()].filter((i) => cpu.has(i));
      assert.ok(both.length > 0);
      assert.ok(both.some((i) => !wgslEstimator.sameResult(gpu.get(i)!, cpu.get(i)!)));
      for (const v of crew) {
        const record = (await volunteerRecord(coordinator.repository, v.volunteerId!))!;
        assert.equal(record.offenses, 0, `${v.volunteerId} judged a liar for rounding`);
        assert.ok(record.creditMicro > 0);
      }
      const counters = coordinator.server.coordinator.counters;
      assert.equal(counters.get('tessera_spot_checks_total', { outcome: 'failed' }), 0);
      assert.ok(counters.get('tessera_spot_checks_total', { outcome: 'passed' }) >= 4);
      // The stored spec says how replicas were compared.
      const stored = await coordinator.repository.transaction(Date.now(), (tx) => tx.workload(id));
      assert.equal((stored!.spec as { tolerance: number }).tolerance, 1e-3);
    },
  );

  test(
    '[E1] a kernel that passes its trial but never ends on the tabs fails the workload with the reason',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await start({ leaseDurationMs: 500, sweepIntervalMs: 50 });
      const spec = { source: PI_SOURCE, outputs: ['pi'], samples: 4096, seed: 14 };
      const id = await submitMontecarlo(
        coordinator.url,
        { estimator: 'wgsl', ...spec, samplesPerUnit: 4096 },
        { redundancy: { quorum: 2, maxReplicas: 4, maxErrors: 2 } },
      );
      // Tabs whose GPU never finishes the unit (a runaway kernel there): leases expire.
      const stuck = await crewOf(
        coordinator.url,
        [0, 1, 2].map(() => ({ behavior: 'stall' as const, compute: computeWith(onDawn) })),
      );
      const running = stuck.map((v) => v.run());
      const view = await finished(coordinator.url, id, 60_000);
      stuck.forEach((v) => v.close());
      await Promise.all(running);
      assert.equal(view.status, 'failed');
      assert.match(view.failureReason, /unit 0: replicas of 3 volunteers timed out or errored/);
    },
  );
});
