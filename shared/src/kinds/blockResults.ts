// [R9] Monte Carlo results with their blocks. An estimator that can cut a unit into blocks
// (`blockTasks`) has every result carry each block's result beside its totals:
// `{ ...totals, blocks: [block 0, block 1, ...] }`, so the coordinator can recompute one block,
// chosen after the result is in, and compare it exactly. Volunteers build results here (CPU and
// GPU alike), the coordinator parses and compares them here.
import type { AnyEstimator } from './estimator';

type Result = Record<string, unknown>;

/** The result of a whole unit from its blocks' results, in block order: totals plus blocks. */
export function joinBlocks(estimator: AnyEstimator, blocks: readonly unknown[]): Result {
  if (!estimator.addResults) throw new Error(`${estimator.estimator} has no blocks`);
  if (blocks.length === 0) throw new Error('a unit has at least one block');
  const total = blocks.slice(1).reduce((sum, b) => estimator.addResults!(sum, b), blocks[0]);
  return { ...(total as Result), blocks: [...blocks] };
}

/** Computes a unit block by block with `run` (a GPU run, the reference), or whole without blocks. */
export async function runInBlocks<T>(
  estimator: AnyEstimator,
  task: unknown,
  run: (task: unknown) => Promise<{ result: unknown } & T>,
): Promise<{ result: unknown; runs: T[] }> {
  if (!estimator.blockTasks) {
    const { result, ...rest } = await run(task);
    return { result, runs: [rest as unknown as T] };
  }
  const results: unknown[] = [];
  const runs: T[] = [];
  for (const block of estimator.blockTasks(task)) {
    const { result, ...rest } = await run(block);
    results.push(result);
    runs.push(rest as unknown as T);
  }
  return { result: joinBlocks(estimator, results), runs };
}

/** The estimator's TypeScript reference for a unit, with its blocks where it has them. */
export function referenceWithBlocks(estimator: AnyEstimator, task: unknown): unknown {
  if (!estimator.blockTasks) return estimator.runReference(task);
  return joinBlocks(
    estimator,
    estimator.blockTasks(task).map((block) => estimator.runReference(block)),
  );
}

/** The blocks a result carries, or null when it has none. */
export function blocksOf(result: unknown): unknown[] | null {
  if (result === null || typeof result !== 'object') return null;
  const blocks = (result as Result).blocks;
  return Array.isArray(blocks) ? blocks : null;
}

/** The result without its blocks (what the estimator's own schema and fold know). */
function totalsOf(raw: unknown): { totals: unknown; blocks: unknown } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !('blocks' in raw)) {
    return { totals: raw, blocks: undefined };
  }
  const { blocks, ...totals } = raw as Result;
  return { totals, blocks };
}

function problemOf(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }) {
  return error.issues.map((i) => `${i.path.join('.') || 'result'}: ${i.message}`).join('; ');
}

/**
 * [V2][R9] A volunteer's wire result for `task`: parsed by the estimator's schema, checked for
 * plausibility, and, when it carries blocks, each block likewise against its own block task and
 * the totals against the blocks' sum. Blocks are optional (older clients send none).
 */
export function parseWithBlocks(
  estimator: AnyEstimator,
  task: unknown,
  raw: unknown,
): { result: unknown } | { problem: string } {
  const { totals, blocks } = totalsOf(raw);
  const parsed = estimator.resultSchema.safeParse(totals);
  if (!parsed.success) return { problem: problemOf(parsed.error) };
  const problem = estimator.implausibility(task, parsed.data);
  if (problem !== null) return { problem };
  if (blocks === undefined) return { result: parsed.data };
  if (!estimator.blockTasks || !estimator.addResults) {
    return { problem: `blocks: ${estimator.estimator} results carry no blocks` };
  }
  const tasks = estimator.blockTasks(task);
  if (!Array.isArray(blocks) || blocks.length !== tasks.length) {
    return { problem: `blocks: expected an array of ${tasks.length} block results` };
  }
  const parsedBlocks: unknown[] = [];
  for (const [i, block] of blocks.entries()) {
    const one = estimator.resultSchema.safeParse(block);
    if (!one.success) return { problem: `blocks.${i}: ${problemOf(one.error)}` };
    const wrong = estimator.implausibility(tasks[i], one.data);
    if (wrong !== null) return { problem: `blocks.${i}: ${wrong}` };
    parsedBlocks.push(one.data);
  }
  const joined = joinBlocks(estimator, parsedBlocks);
  if (!estimator.sameResult(joined, parsed.data)) {
    return { problem: 'the totals are not the sum of the blocks' };
  }
  return { result: { ...(parsed.data as Result), blocks: parsedBlocks } };
}

/**
 * [Q1] When two results (or two blocks) of the workload `spec` agree: by the estimator's `agree`
 * where it has one (a kernel whose math the device rounds: within its tolerance), else exactly.
 */
export function agreement(
  estimator: AnyEstimator,
  spec: unknown,
): (a: unknown, b: unknown) => boolean {
  return spec !== undefined && estimator.agree
    ? (a, b) => estimator.agree!(spec, a, b)
    : (a, b) => estimator.sameResult(a, b);
}

/**
 * [Q1] Two results agree when their totals do and, where both carry blocks, every block does
 * (honest devices compute the same blocks), by `agreement` for the workload's `spec`.
 */
export function sameWithBlocks(
  estimator: AnyEstimator,
  a: unknown,
  b: unknown,
  spec?: unknown,
): boolean {
  const same = agreement(estimator, spec);
  if (!same(a, b)) return false;
  const x = blocksOf(a);
  const y = blocksOf(b);
  if (x === null || y === null) return true;
  return x.length === y.length && x.every((block, i) => same(block, y[i]));
}
