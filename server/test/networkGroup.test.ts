import assert from 'node:assert/strict';
import { test } from 'node:test';
import { networkGroup } from '../src/scheduler/networkGroup';

test('[L3] loopback and private addresses are exempt by default', () => {
  for (const a of [
    '127.0.0.1',
    '::1',
    '::ffff:127.0.0.1',
    '10.1.2.3',
    '192.168.0.9',
    '172.20.1.1',
    'fd00::1',
  ]) {
    assert.equal(networkGroup(a, true), null, a);
  }
});

test('[L3] public addresses group by IPv4 address and IPv6 /64', () => {
  assert.equal(networkGroup('203.0.113.7', true), 'v4:203.0.113.7');
  assert.equal(networkGroup('::ffff:203.0.113.7', true), 'v4:203.0.113.7');
  assert.equal(networkGroup('2001:db8:1:2::5', true), 'v6:2001:0db8:0001:0002::/64');
  assert.equal(networkGroup('2001:db8:1:2:aaaa::9', true), networkGroup('2001:db8:1:2::5', true));
  assert.notEqual(networkGroup('2001:db8:1:3::5', true), networkGroup('2001:db8:1:2::5', true));
});

test('[L3] without the exemption private addresses group too', () => {
  assert.equal(networkGroup('127.0.0.1', false), 'v4:127.0.0.1');
  assert.equal(networkGroup('garbage', false), null);
  assert.equal(networkGroup(undefined, false), null);
});
