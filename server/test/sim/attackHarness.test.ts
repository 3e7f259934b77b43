// The coordinated-attack harness apart from sockets (server/src/sim/coordinatedAttack.ts): the
// forged answer is wrong, plausible and the same for every colluder; a timed colluder lies only
// once an honest result is in and hands back what no honest result follows; the ring names a
// partner other than the liar; the saboteur's pace stays under the coordinator's event limit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimatorFor } from '@tessera/shared';
import { EVENTS_PER_SECOND } from '../../src/realtime/volunteerNamespace';
import {
  ColluderBlackboard,
  EventPacer,
  SABOTEUR_EVENTS_PER_SECOND,
  plausibleWrongAnswer,
  timedColluderMove,
} from '../../src/sim/coordinatedAttack';

const unit = { workloadId: 'w1', unitIndex: 7 };
const truth = { hits: 800, samples: 1_024 };

describe('the forged answer', () => {
  const cases = [
    {
      estimator: 'pi',
      spec: { estimator: 'pi', samples: 4_096, samplesPerUnit: 2_048, seed: 3 },
    },
    {
      estimator: 'european-option',
      spec: {
        estimator: 'european-option',
        params: { spot: 100, strike: 95, rate: 0.03, volatility: 0.25, maturity: 0.5, type: 'put' },
        samples: 4_096,
        samplesPerUnit: 2_048,
        seed: 3,
      },
    },
    {
      estimator: 'ising-2d',
      spec: {
        estimator: 'ising-2d',
        params: { size: 8, temperature: 2.4, sweeps: 20, burnIn: 5 },
        chains: 2,
        seed: 3,
      },
    },
  ];
  for (const { estimator: name, spec } of cases) {
    test(`${name}: wrong, plausible, and the same for every colluder`, () => {
      const estimator = estimatorFor(name);
      const task = estimator.taskFor(estimator.specSchema.parse(spec), 1);
      const result = estimator.runReference(task) as Record<string, unknown>;
      const forged = plausibleWrongAnswer(result);
      assert.equal(estimator.sameResult(estimator.resultSchema.parse(forged), result), false);
      assert.equal(estimator.implausibility(task, estimator.resultSchema.parse(forged)), null);
      assert.deepEqual(plausibleWrongAnswer(result), forged, 'deterministic');
    });
  }

  test('a zero count is moved up, never left true', () => {
    assert.deepEqual(plausibleWrongAnswer({ hits: 0, samples: 8 }), { hits: 1, samples: 8 });
    assert.deepEqual(plausibleWrongAnswer({ sum: '0', sumSq: '0' }), { sum: '1', sumSq: '0' });
  });
});

describe('timed colluders', () => {
  test('a colluder holds its answer until an honest result is in, then lies; the next agrees', async () => {
    const board = new ColluderBlackboard();
    const first = timedColluderMove(board, unit, truth, { holdMs: 5_000, lies: true });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(board.figures.lies, 0, 'no lie before the honest result');
    board.honestReturned(unit);
    const move = await first;
    assert.deepEqual(move, {
      kind: 'answer',
      result: plausibleWrongAnswer(truth),
      role: 'first-liar',
    });
    const second = await timedColluderMove(board, unit, truth, { holdMs: 5_000, lies: true });
    assert.deepEqual(second, {
      kind: 'answer',
      result: plausibleWrongAnswer(truth),
      role: 'agreeing',
    });
    assert.deepEqual(
      { lies: board.figures.lies, agreements: board.figures.agreements },
      { lies: 1, agreements: 1 },
    );
  });

  test('a colluder already holding a replica when another lies agrees at once', async () => {
    const board = new ColluderBlackboard();
    const waiting = timedColluderMove(board, unit, truth, { holdMs: 5_000, lies: true });
    board.forge(unit, truth);
    const move = await waiting;
    assert.equal(move.kind === 'answer' ? move.role : move.kind, 'agreeing');
  });

  test('no honest result within holdMs: the replica is handed back, nothing is answered', async () => {
    const board = new ColluderBlackboard();
    const started = performance.now();
    const move = await timedColluderMove(board, unit, truth, { holdMs: 50, lies: true });
    assert.equal(move.kind, 'hand-back');
    assert.ok(performance.now() - started >= 45, 'it waited first');
    assert.equal(board.figures.handedBack, 1);
    assert.equal(board.forgery(unit), undefined, 'no lie was fixed');
  });

  test('a unit outside the lie rate is answered truthfully at once', async () => {
    const board = new ColluderBlackboard();
    const move = await timedColluderMove(board, unit, truth, { holdMs: 5_000, lies: false });
    assert.deepEqual(move, { kind: 'answer', result: truth, role: 'truthful' });
  });

  test('the ring names a partner other than the liar, in turn; a ring of one names no one', () => {
    const board = new ColluderBlackboard();
    const named: string[] = [];
    const stop = board.onContested((partner) => named.push(partner));
    board.join('a');
    board.contested('a');
    assert.deepEqual(named, [], 'alone in the ring');
    board.join('b');
    board.join('c');
    board.join('b');
    for (let i = 0; i < 4; i++) board.contested('a');
    board.contested('b');
    assert.deepEqual(named, ['b', 'c', 'b', 'c', 'a']);
    stop();
    board.contested('a');
    assert.equal(named.length, 5, 'unsubscribed');
  });
});

describe('the error saboteur', () => {
  test('paces itself under the per-connection event limit', async () => {
    assert.ok(SABOTEUR_EVENTS_PER_SECOND < EVENTS_PER_SECOND);
    const pacer = new EventPacer(200);
    const started = performance.now();
    for (let i = 0; i < 11; i++) await pacer.turn();
    assert.ok(performance.now() - started >= 45, '10 intervals of 5 ms');
    assert.throws(() => new EventPacer(0), RangeError);
  });
});
