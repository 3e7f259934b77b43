// [L13] Long-polled lease requests over real socket.io: a unit:request with waitMs that finds no
// work is held and answered with units as soon as they appear (no work:available push, no second
// request), answered empty when its time is up (then L10's push still comes), ends with its
// connection, and a connection holds at most maxLeasesPerConnection of them. retryAfterMs is a
// minute, so only the hold can explain a prompt lease.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_REQUEST_WAIT_MS } from '@tessera/shared';
import { pushed, submitPi, withTabs } from '../support/volunteerTab';

describe('held lease requests', () => {
  test('[L13] a held request is answered with the units of a workload submitted while it waits', async () => {
    await withTabs(1, async (c, [tab]) => {
      const started = Date.now();
      const asked = tab.request({ waitMs: 15_000 });
      await new Promise((r) => setTimeout(r, 200));
      await submitPi(c, 1);
      const reply = await asked;
      assert.equal(reply.ok, true, JSON.stringify(reply));
      assert.equal(reply.leases?.length, 1, 'the new unit came in the reply');
      assert.ok(Date.now() - started < 10_000, 'answered when the work appeared, not at the end');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(tab.pushes, 0, 'a held request needs no push');
    });
  });

  test('[L13] with no work it is answered empty when its time is up, and L10 still pushes', async () => {
    await withTabs(1, async (c, [tab]) => {
      const started = Date.now();
      const reply = await tab.request({ waitMs: 300 });
      assert.equal(reply.ok, true);
      assert.deepEqual(reply.leases, []);
      assert.ok(Date.now() - started >= 250, `held ${Date.now() - started} ms of 300`);
      await submitPi(c, 1);
      await pushed(tab, 1);
      assert.equal((await tab.request()).leases?.length, 1);
    });
  });

  test('[L13] a request held by a connection that closes leases nothing', async () => {
    await withTabs(2, async (c, [gone, other]) => {
      void gone.request({ waitMs: 15_000 }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      gone.socket.close();
      await new Promise((r) => setTimeout(r, 200));
      await submitPi(c, 1);
      const reply = await other.request({ waitMs: 5_000 });
      assert.equal(reply.leases?.length, 1, 'the only unit went to the tab still connected');
    });
  });

  test('[L13] one connection holds at most maxLeasesPerConnection requests', async () => {
    await withTabs(
      1,
      async (c, [tab]) => {
        const first = tab.request({ waitMs: 15_000 });
        const second = tab.request({ waitMs: 15_000 });
        await new Promise((r) => setTimeout(r, 200));
        const started = Date.now();
        const third = await tab.request({ waitMs: 15_000 });
        assert.deepEqual(third.leases, [], 'past the cap: answered at once, empty');
        assert.ok(Date.now() - started < 5_000);
        await submitPi(c, 2);
        const replies = await Promise.all([first, second]);
        assert.deepEqual(
          replies.map((r) => r.leases?.length),
          [1, 1],
          'both held requests got a unit',
        );
      },
      { maxLeasesPerConnection: 2 },
    );
  });

  test("[L13] unit:wait-cancel answers the connection's held requests empty, at once", async () => {
    await withTabs(2, async (c, [tab, other]) => {
      const started = Date.now();
      const mine = [tab.request({ waitMs: 15_000 }), tab.request({ waitMs: 15_000 })];
      const theirs = other.request({ waitMs: 15_000 });
      await new Promise((r) => setTimeout(r, 200));
      const cancel = await tab.socket.timeout(5_000).emitWithAck('unit:wait-cancel', {});
      assert.deepEqual(cancel, { ok: true, cancelled: 2 });
      for (const reply of await Promise.all(mine)) assert.deepEqual(reply.leases, []);
      assert.ok(Date.now() - started < 5_000, 'answered at the cancel, not at the end');
      // Another connection's held request is not touched: it still gets the next unit.
      await submitPi(c, 1);
      assert.equal((await theirs).leases?.length, 1);
      const refused = await tab.socket.timeout(5_000).emitWithAck('unit:wait-cancel', { all: 1 });
      assert.equal(refused.ok, false, 'the cancel takes no fields');
    });
  });

  test('[L13] a wait past the longest one, or not a whole number of ms, is refused', async () => {
    await withTabs(1, async (c, [tab]) => {
      for (const waitMs of [MAX_REQUEST_WAIT_MS + 1, -1, 1.5, '100']) {
        const reply = await tab.request({ waitMs });
        assert.equal(reply.ok, false, `waitMs ${String(waitMs)}`);
        assert.equal(reply.error?.code, 'BAD_REQUEST');
      }
    });
  });
});
