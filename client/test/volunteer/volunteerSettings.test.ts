// Settings from localStorage: each valid field kept, each bad one replaced by its default,
// values clamped into range, names cleaned for other people's screens; and the round trip
// through a real Storage-shaped object.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  loadSettings,
  saveSettings,
  SETTINGS_STORAGE_KEY,
} from '../../src/volunteer/settingsStorage';
import {
  DEFAULT_SETTINGS,
  parseSettings,
  updateSettings,
} from '../../src/volunteer/volunteerSettings';

/** An in-memory Storage: the Web Storage interface, as the page's localStorage offers it. */
class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length(): number {
    return this.items.size;
  }
  clear(): void {
    this.items.clear();
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

test('nothing stored gives the defaults', () => {
  assert.deepEqual(parseSettings(undefined), DEFAULT_SETTINGS);
  assert.deepEqual(parseSettings(null), DEFAULT_SETTINGS);
  assert.deepEqual(parseSettings('junk'), DEFAULT_SETTINGS);
  assert.deepEqual(loadSettings(new MemoryStorage()), DEFAULT_SETTINGS);
  assert.deepEqual(loadSettings(null), DEFAULT_SETTINGS);
});

test('valid settings are kept as they are', () => {
  const settings = {
    throttlePercent: 25,
    pauseWhenHidden: true,
    batteryPauseBelowPercent: 50,
    displayName: 'Ada',
  };
  assert.deepEqual(parseSettings(settings), settings);
});

test('each bad field falls back on its own, the good ones stay', () => {
  const parsed = parseSettings({
    throttlePercent: 'fast',
    pauseWhenHidden: 'yes',
    batteryPauseBelowPercent: 30,
    displayName: 42,
  });
  assert.deepEqual(parsed, {
    ...DEFAULT_SETTINGS,
    batteryPauseBelowPercent: 30,
  });
});

test('numbers are rounded and clamped into range', () => {
  assert.equal(parseSettings({ throttlePercent: 3 }).throttlePercent, 10);
  assert.equal(parseSettings({ throttlePercent: 250 }).throttlePercent, 100);
  assert.equal(parseSettings({ throttlePercent: 24.6 }).throttlePercent, 25);
  assert.equal(parseSettings({ throttlePercent: Number.NaN }).throttlePercent, 100);
  assert.equal(parseSettings({ batteryPauseBelowPercent: -4 }).batteryPauseBelowPercent, 0);
  assert.equal(parseSettings({ batteryPauseBelowPercent: 140 }).batteryPauseBelowPercent, 100);
});

test('display names are trimmed, spaces collapsed, control characters removed, 40 kept', () => {
  assert.equal(parseSettings({ displayName: '  Ada   Lovelace \n' }).displayName, 'Ada Lovelace');
  assert.equal(parseSettings({ displayName: 'a\u0000b\u0007c' }).displayName, 'a b c');
  const long = parseSettings({ displayName: 'x'.repeat(60) }).displayName;
  assert.equal(long.length, 40);
});

test('an update normalises the change the same way', () => {
  const next = updateSettings(DEFAULT_SETTINGS, { throttlePercent: 5, displayName: ' Bo ' });
  assert.equal(next.throttlePercent, 10);
  assert.equal(next.displayName, 'Bo');
  assert.equal(next.pauseWhenHidden, DEFAULT_SETTINGS.pauseWhenHidden);
});

test('settings survive a save and load, and junk in storage gives the defaults', () => {
  const storage = new MemoryStorage();
  const settings = updateSettings(DEFAULT_SETTINGS, {
    throttlePercent: 40,
    pauseWhenHidden: true,
    displayName: 'Grace',
  });
  saveSettings(settings, storage);
  assert.deepEqual(loadSettings(storage), settings);
  storage.setItem(SETTINGS_STORAGE_KEY, '{not json');
  assert.deepEqual(loadSettings(storage), DEFAULT_SETTINGS);
});
