// The kernel lab's IPC envelopes between the coordinator (kernelLab.ts) and its Dawn child
// (labWorker.ts), as zod schemas: every message is parsed on arrival before anything acts on
// it. Requests carry an id that their reply repeats; a check reports 'phase' when compiling is
// done and the trial run starts, so the parent can hold each step to its own deadline. Errors
// cross as plain { name, message } objects.
import { wgslResultSchema, wgslTaskSchema } from '@tessera/shared/kinds/wgsl-kernel/wgslSpec';
import { z } from 'zod';

export const kernelProblemSchema = z
  .object({
    /** 1-based line of the researcher's source; null when the problem has no place in it. */
    line: z.number().int().min(1).nullable(),
    column: z.number().int().min(1).nullable(),
    message: z.string(),
  })
  .strict();
export type KernelProblem = z.infer<typeof kernelProblemSchema>;

export const labRequestSchema = z.discriminatedUnion('type', [
  z
    .object({
      id: z.number().int(),
      type: z.literal('check'),
      source: z.string(),
      outputs: z.array(z.string()).min(1),
      seed: z.number().int().min(0),
      /** Samples in each of the trial's two identical runs. */
      trialSamples: z.number().int().min(1),
      /** About how long the timing run should last. */
      timingSeconds: z.number().positive(),
    })
    .strict(),
  z.object({ id: z.number().int(), type: z.literal('run'), task: wgslTaskSchema }).strict(),
]);
export type LabRequest = z.infer<typeof labRequestSchema>;

/** A trial's verdict: the kernel's cost on this Dawn, or why it is refused. */
export const trialOutcomeSchema = z.discriminatedUnion('ok', [
  z
    .object({
      ok: z.literal(true),
      nsPerSample: z.number().positive(),
      /** The adapter that ran the trial (nsPerSample is its figure). */
      adapter: z.string(),
    })
    .strict(),
  z.object({ ok: z.literal(false), problems: z.array(kernelProblemSchema).min(1) }).strict(),
]);
export type TrialOutcome = z.infer<typeof trialOutcomeSchema>;

export const labReplySchema = z.discriminatedUnion('type', [
  z.object({ id: z.number().int(), type: z.literal('phase'), phase: z.literal('trial') }).strict(),
  z
    .object({ id: z.number().int(), type: z.literal('checked'), outcome: trialOutcomeSchema })
    .strict(),
  z.object({ id: z.number().int(), type: z.literal('ran'), result: wgslResultSchema }).strict(),
  z
    .object({
      id: z.number().int(),
      type: z.literal('failed'),
      error: z.object({ name: z.string(), message: z.string() }).strict(),
    })
    .strict(),
]);
export type LabReply = z.infer<typeof labReplySchema>;
