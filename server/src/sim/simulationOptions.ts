// The hostile-volunteer simulator's options (hostileSimulation.ts runs it): the modes, the
// behavior each gives its hostile share, the scheduler defaults it runs under, and the schema every
// run's options are parsed with (the CLI's flags and the tests' inputs alike).
import { z } from 'zod';
import { DEFAULT_REDUNDANCY } from '@tessera/shared';
import type { SchedulerOptionsInput } from '../scheduler/schedulerOptions';
import { DEFAULT_HOLD_MS } from './coordinatedAttack';
import type { Behavior } from './volunteerBehaviors';

export const SIM_MODES = [
  'random',
  'colluding',
  'flaky',
  'slow',
  'flood',
  'timed-colluders',
  'error-saboteur',
] as const;
export type SimMode = (typeof SIM_MODES)[number];

/** The volunteer behavior each mode gives its hostile share. */
export const BEHAVIOR_OF_MODE = {
  random: 'randomLiar',
  colluding: 'colluder',
  flaky: 'flaky',
  slow: 'slow',
  flood: 'flood',
  'timed-colluders': 'timedColluder',
  'error-saboteur': 'errorSaboteur',
} as const satisfies Record<SimMode, Behavior>;

/** The simulator's own scheduler defaults: short polls and sweeps, so a run is minutes, not hours. */
export const SIM_SCHEDULER_DEFAULTS = {
  retryAfterMs: 200,
  sweepIntervalMs: 250,
  leaseDurationMs: 30_000,
} as const satisfies SchedulerOptionsInput;
/** slow mode: a lease short enough that late answers meet the deadline within the run. */
export const SLOW_MODE_LEASE_MS = 2_000;

export const simulationOptionsSchema = z
  .object({
    /** Simulated volunteers, each its own socket.io connection. Default 200. */
    volunteers: z.number().int().min(2).max(2_000).default(200),
    /** Share of them that behave as the mode says; the rest are honest. Default 0.2. */
    bad: z.number().min(0).max(1).default(0.2),
    mode: z.enum(SIM_MODES),
    /** Units in all, split evenly over the workloads. Default 10,000. */
    units: z.number().int().min(1).max(1_000_000).default(10_000),
    /** Workloads submitted at the start. Default 1. */
    workloads: z.number().int().min(1).max(100).default(1),
    /** pi samples per unit: the smallest allowed keeps the kernel cheap. Default 1,024. */
    samplesPerUnit: z
      .number()
      .int()
      .min(1_024)
      .max(2 ** 24)
      .default(1_024),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    /** redundancy.adaptive of every workload (server/SPEC.md R1-R5). Default off. */
    adaptive: z.boolean().default(false),
    /** randomLiar and colluder: the share of units lied on. Default 1. */
    lieRate: z.number().min(0).max(1).default(1),
    /** flaky: the chance per unit of closing the tab mid-unit. Default 0.3. */
    closeRate: z.number().min(0).max(1).default(0.3),
    /** flood: hostile events per burst (one burst after each unit). Default 20. */
    floodBurst: z.number().int().min(1).max(500).default(20),
    /** timed-colluders: how long a colluder waits for an honest result. Default 2,000 ms. */
    holdMs: z.number().int().min(10).max(600_000).default(DEFAULT_HOLD_MS),
    /** redundancy.maxReplicas of every workload. Default 10 (the platform's). */
    maxReplicas: z.number().int().min(2).max(20).default(DEFAULT_REDUNDANCY.maxReplicas),
    /** redundancy.maxErrors of every workload. Default 8 (the platform's). */
    maxErrors: z.number().int().min(0).max(50).default(8),
    /** Scheduler options passed to the coordinator, over SIM_SCHEDULER_DEFAULTS. */
    scheduler: z.record(z.string(), z.unknown()).default({}),
    /** Give up (and say so) after this long. Default 10 minutes. */
    timeoutMs: z.number().int().min(1_000).default(600_000),
    /** Keep the coordinator's data folder (its SQLite file) for a look afterwards. Default off. */
    keepData: z.boolean().default(false),
  })
  .strict();

export type SimulationOptions = z.infer<typeof simulationOptionsSchema>;
export type SimulationOptionsInput = z.input<typeof simulationOptionsSchema>;
