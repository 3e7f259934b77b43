// [L10] Tabs idling for want of work hear about new units at once instead of polling: a
// workload submitted, and replicas released by a closed connection, push 'work:available' to
// connections whose last request came back empty, and only to them. retryAfterMs is a minute
// here, so only the push can explain a prompt second request.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Lease } from '@tessera/shared/protocol/volunteerProtocol';
import { pushed, submitPi, withTabs, type Tab } from '../support/volunteerTab';

/** The leases of a plain (unheld) request, which must be answered ok. */
async function leases(tab: Tab): Promise<Lease[]> {
  const reply = await tab.request();
  assert.equal(reply.ok, true, JSON.stringify(reply));
  return reply.leases!;
}

describe('work:available', () => {
  test('[L10] an idle tab is told when a workload is submitted; a busy one is not', async () => {
    await withTabs(2, async (c, [idle, busy]) => {
      await submitPi(c, 1);
      assert.equal((await leases(busy)).length, 1, 'busy takes the only unit');
      assert.deepEqual(await leases(idle), [], 'nothing left for idle');
      await submitPi(c, 1);
      await pushed(idle, 1);
      assert.equal((await leases(idle)).length, 1, 'the push was true: a unit is there');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(busy.pushes, 0, 'busy never asked in vain, so it is not woken');
    });
  });

  test('[L10] units released by a closed tab wake the idle ones, once per idle request', async () => {
    await withTabs(2, async (c, [holder, idle]) => {
      await submitPi(c, 1);
      assert.equal((await leases(holder)).length, 1);
      assert.deepEqual(await leases(idle), []);
      holder.socket.close();
      await pushed(idle, 1);
      assert.equal((await leases(idle)).length, 1, 'the released unit is leased again');
      // Holding a unit now, idle left the room: more work does not push to it again.
      await submitPi(c, 1);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(idle.pushes, 1);
    });
  });
});
