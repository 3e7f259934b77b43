// [L13] HeldRequests on its own: a wait ends on a wake-up, a timeout or the connection closing,
// and a wake-up that came between looking for work and waiting is never missed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeldRequests } from '../../src/realtime/heldRequests';

describe('HeldRequests', () => {
  test('a wake-up ends every held wait, of every connection, with "woken"', async () => {
    const held = new HeldRequests();
    const a = held.wait('a', 10_000, held.epoch);
    const b = held.wait('b', 10_000, held.epoch);
    const a2 = held.wait('a', 10_000, held.epoch);
    assert.equal(held.size, 3);
    assert.equal(held.heldBy('a'), 2);
    held.wake();
    assert.deepEqual(await Promise.all([a, b, a2]), ['woken', 'woken', 'woken']);
    assert.equal(held.size, 0);
    assert.equal(held.heldBy('a'), 0);
  });

  test('a wake-up after the epoch was read is not missed: the wait ends at once', async () => {
    const held = new HeldRequests();
    const before = held.epoch;
    held.wake(); // work appeared while the request was looking
    const started = Date.now();
    assert.equal(await held.wait('a', 10_000, before), 'woken');
    assert.ok(Date.now() - started < 1_000);
    assert.equal(held.size, 0, 'nothing was left waiting');
  });

  test('a wait with no wake-up ends "timeout" after its time, and holds nothing after', async () => {
    const held = new HeldRequests();
    const started = Date.now();
    assert.equal(await held.wait('a', 120, held.epoch), 'timeout');
    assert.ok(Date.now() - started >= 100, 'waited its time');
    assert.equal(await held.wait('a', 0, held.epoch), 'timeout', 'no time: no wait');
    assert.equal(held.size, 0);
  });

  test("a closed connection's waits end 'closed'; other connections keep waiting", async () => {
    const held = new HeldRequests();
    const a = held.wait('a', 10_000, held.epoch);
    const b = held.wait('b', 10_000, held.epoch);
    held.drop('a');
    assert.equal(await a, 'closed');
    assert.equal(held.heldBy('b'), 1);
    held.wake();
    assert.equal(await b, 'woken');
  });
});
