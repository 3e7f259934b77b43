// [R9] Results with blocks: the blocks cover a unit exactly, in order, never splitting a sample
// pair; a unit computed block by block has the same totals as computed whole (so a tab that sends
// blocks and one that does not agree); and a result whose blocks and totals disagree is refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  blocksOf,
  joinBlocks,
  parseWithBlocks,
  referenceWithBlocks,
  runInBlocks,
  sameWithBlocks,
} from '../../src/kinds/blockResults';
import { SPOT_BLOCKS, sampleRangeBlocks } from '../../src/kinds/estimator';
import { estimatorFor } from '../../src/kinds/registry';

const pi = estimatorFor('pi');
const option = estimatorFor('european-option');
const optionSpec = option.specSchema.parse({
  estimator: 'european-option',
  samples: 4096,
  samplesPerUnit: 2048,
  seed: 9,
  params: { spot: 100, strike: 105, rate: 0.03, volatility: 0.25, maturity: 1, type: 'call' },
});

describe('sampleRangeBlocks', () => {
  test('covers the range exactly, in order, aligned, at most SPOT_BLOCKS blocks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 30 }),
        fc.integer({ min: 1, max: 2 ** 26 }),
        fc.constantFrom(1, 2),
        (half, count, align) => {
          const task = { seed: 1, start: half * 2, count };
          const blocks = sampleRangeBlocks(task, align);
          assert.ok(blocks.length >= 1 && blocks.length <= SPOT_BLOCKS);
          let at = task.start;
          for (const [i, b] of blocks.entries()) {
            assert.equal(b.start, at);
            assert.ok(b.count >= 1);
            if (i < blocks.length - 1) assert.equal(b.count % align, 0);
            at += b.count;
          }
          assert.equal(at, task.start + count);
        },
      ),
    );
  });
});

describe('results with blocks', () => {
  for (const count of [1, 2, 3, 31, 1024, 4097]) {
    test(`pi: ${count} samples block by block have the whole unit's totals`, () => {
      const task = { seed: 3, start: 2 ** 20, count };
      const blocked = referenceWithBlocks(pi, task) as { hits: number; samples: number };
      assert.deepEqual({ hits: blocked.hits, samples: blocked.samples }, pi.runReference(task));
      assert.equal(blocksOf(blocked)!.length, Math.min(SPOT_BLOCKS, Math.ceil(count / 2)));
      assert.deepEqual(parseWithBlocks(pi, task, blocked), { result: blocked });
    });
  }

  test('european-option: an odd unit block by block has the whole unit’s exact sums', () => {
    const task = { ...(option.taskFor(optionSpec, 1) as object), count: 2047 };
    const blocked = referenceWithBlocks(option, task) as Record<string, unknown>;
    const { blocks, ...totals } = blocked;
    assert.equal((blocks as unknown[]).length, SPOT_BLOCKS);
    assert.deepEqual(totals, option.runReference(task));
  });

  test('runInBlocks drives an async runner block by block and joins the results', async () => {
    const task = { seed: 4, start: 0, count: 640 };
    const seen: number[] = [];
    const { result, runs } = await runInBlocks(pi, task, async (t) => {
      seen.push((t as { count: number }).count);
      return { result: pi.runReference(t), busyMs: 1 };
    });
    assert.equal(seen.length, SPOT_BLOCKS);
    assert.equal(runs.length, SPOT_BLOCKS);
    assert.deepEqual(result, referenceWithBlocks(pi, task));
  });

  test('refusals: totals off their blocks, a block too many or malformed, blocks on a blockless kind', () => {
    const task = { seed: 3, start: 0, count: 1024 };
    const right = referenceWithBlocks(pi, task) as {
      hits: number;
      samples: number;
      blocks: Array<{ hits: number; samples: number }>;
    };
    const problem = (raw: unknown) => {
      const parsed = parseWithBlocks(pi, task, raw);
      return 'problem' in parsed ? parsed.problem : null;
    };
    assert.match(problem({ ...right, hits: right.hits + 1 })!, /not the sum of the blocks/);
    assert.match(problem({ ...right, blocks: [...right.blocks, right.blocks[0]] })!, /16 block/);
    assert.match(problem({ ...right, blocks: 'all of them' })!, /expected an array/);
    assert.match(
      problem({ ...right, blocks: right.blocks.map((b, i) => (i ? b : { hits: -1 })) })!,
      /^blocks\.0: /,
    );
    assert.match(
      problem({ ...right, blocks: right.blocks.map((b) => ({ ...b, hits: b.hits + 65 })) })!,
      /more hits than samples/,
    );
    // Without blocks (an older tab) the totals alone are taken.
    assert.deepEqual(parseWithBlocks(pi, task, { hits: right.hits, samples: 1024 }), {
      result: { hits: right.hits, samples: 1024 },
    });
    const ising = estimatorFor('ising-2d');
    assert.equal(ising.blockTasks, undefined, 'a Markov chain is not cut into blocks');
  });

  test('two results agree when totals and every block do; a result without blocks by totals', () => {
    const task = { seed: 3, start: 0, count: 1024 };
    const right = referenceWithBlocks(pi, task) as {
      hits: number;
      samples: number;
      blocks: Array<{ hits: number; samples: number }>;
    };
    // Two blocks moved one hit between them: the same totals, not the same result.
    const shifted = right.blocks.map((b, i) =>
      i === 0 ? { ...b, hits: b.hits + 1 } : i === 1 ? { ...b, hits: b.hits - 1 } : b,
    );
    assert.equal(sameWithBlocks(pi, right, joinBlocks(pi, shifted)), false);
    assert.equal(sameWithBlocks(pi, right, { hits: right.hits, samples: 1024 }), true);
    assert.equal(sameWithBlocks(pi, right, { hits: right.hits + 1, samples: 1024 }), false);
  });
});
