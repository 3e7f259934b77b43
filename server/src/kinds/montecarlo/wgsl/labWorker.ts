// The kernel lab's child process (forked by kernelLab.ts): holds the Dawn device and answers
// one request at a time over IPC, checking kernels (compile + trial) and running tasks. It
// trusts nothing it is sent: each request is parsed first. It exits when the coordinator goes
// away, and the coordinator SIGKILLs it when a kernel outlives its deadline: SwiftShader has no
// watchdog, and destroying a device with a shader still running blocks forever.
import { GpuKernelRunner } from '@tessera/shared/gpu/gpuKernelRunner';
import { wgslGpuPlan } from '@tessera/shared/kinds/wgsl-kernel/wgslEstimator';
import { compileKernel, runTask, scopedProblems, trialRun } from './kernelTrial';
import { openLabDevice, type LabDevice } from './labDawn';
import { labRequestSchema, type LabReply, type LabRequest } from './labMessages';

/** Runners (with their compiled pipelines) of the kernels checked or run last. */
const KEPT_RUNNERS = 4;

let opening: Promise<LabDevice> | undefined;
const runners = new Map<string, GpuKernelRunner>();

function send(reply: LabReply): void {
  process.send?.(reply);
}

/** Keeps `runner` as the most recent; the oldest beyond KEPT_RUNNERS go. */
function keep(source: string, runner: GpuKernelRunner): void {
  runners.delete(source);
  runners.set(source, runner);
  for (const old of runners.keys()) {
    if (runners.size <= KEPT_RUNNERS) break;
    runners.delete(old);
  }
}

function runnerFor(lab: LabDevice, source: string): GpuKernelRunner {
  const runner = runners.get(source) ?? new GpuKernelRunner(lab.device);
  keep(source, runner);
  return runner;
}

async function handle(request: LabRequest): Promise<LabReply> {
  opening ??= openLabDevice();
  const lab = await opening;
  if (request.type === 'run') {
    const { task } = request;
    const ran = await runTask(lab, runnerFor(lab, task.source), task);
    if ('errors' in ran) {
      const message = scopedProblems(ran.errors, task.source)
        .map((p) => (p.line === null ? p.message : `line ${p.line}: ${p.message}`))
        .join('; ');
      return { id: request.id, type: 'failed', error: { name: 'GpuError', message } };
    }
    return { id: request.id, type: 'ran', result: ran.result };
  }
  const { id, source, outputs, seed, trialSamples } = request;
  // A kernel that fails to compile gets a runner of its own, dropped with it.
  const runner = new GpuKernelRunner(lab.device);
  const plan = wgslGpuPlan({ seed, start: 0, count: trialSamples, source, outputs });
  const problems = await compileKernel(lab, runner, plan, source);
  if (problems.length > 0) return { id, type: 'checked', outcome: { ok: false, problems } };
  send({ id, type: 'phase', phase: 'trial' });
  const outcome = await trialRun(lab, runner, request);
  if (outcome.ok) keep(source, runner);
  return { id, type: 'checked', outcome };
}

process.on('message', (raw: unknown) => {
  const parsed = labRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const id = (raw as { id?: unknown } | null)?.id;
    send({
      id: typeof id === 'number' ? id : -1,
      type: 'failed',
      error: { name: 'ProtocolError', message: `bad lab request: ${parsed.error.message}` },
    });
    return;
  }
  const request = parsed.data;
  handle(request).then(send, (error: unknown) => {
    const { name, message } =
      error instanceof Error ? error : { name: 'Error', message: String(error) };
    send({ id: request.id, type: 'failed', error: { name, message } });
  });
});

// The coordinator went away (or closed the lab): nothing left to answer.
process.on('disconnect', () => process.exit(0));
