// Keeps the volunteer's settings in localStorage (the worker cannot reach it, so the page
// loads them and sends them on). Storage that is full, disabled or holds junk gives the
// defaults, never a broken page.
import { DEFAULT_SETTINGS, parseSettings, type VolunteerSettings } from './volunteerSettings';

export const SETTINGS_STORAGE_KEY = 'tessera.settings';

export function loadSettings(storage: Storage | null = safeLocalStorage()): VolunteerSettings {
  try {
    const raw = storage?.getItem(SETTINGS_STORAGE_KEY);
    if (raw) return parseSettings(JSON.parse(raw));
  } catch {
    // Unreadable storage or JSON: the defaults below.
  }
  return DEFAULT_SETTINGS;
}

export function saveSettings(
  settings: VolunteerSettings,
  storage: Storage | null = safeLocalStorage(),
): void {
  try {
    storage?.setItem(SETTINGS_STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Quota or privacy settings: the settings apply to this visit only.
  }
}

function safeLocalStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    // Some browsers throw on mere access when storage is disabled.
    return null;
  }
}
