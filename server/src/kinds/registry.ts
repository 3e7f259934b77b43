// Every workload kind the engine runs. Adding one: a folder beside montecarlo/ implementing
// KindPlugin (engine/kind.ts), and a line here.
import type { WorkloadKind } from '@tessera/shared/workloadSpec';
import type { KindContext, KindPlugin } from '../engine/kind';
import { GradientKind } from './gradient/gradientKind';
import { InferenceKind } from './inference/inferenceKind';
import { MontecarloKind, type KernelRunner } from './montecarlo/montecarloKind';
import { KernelLab } from './montecarlo/wgsl/kernelLab';

export interface Kinds extends Record<WorkloadKind, KindPlugin> {
  montecarlo: MontecarloKind;
  gradient: GradientKind;
  inference: InferenceKind;
}

export function createKinds(
  context: KindContext,
  kernels: () => KernelRunner = () => new KernelLab(),
): Kinds {
  return {
    montecarlo: new MontecarloKind(kernels),
    gradient: new GradientKind(context),
    inference: new InferenceKind(context),
  };
}
