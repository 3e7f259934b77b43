// Keeps the volunteer's anonymous identity in localStorage, which workers cannot reach: the
// page stores what the worker reports and hands it back on the next start, so credit follows
// the browser across visits. Storage that is full, disabled or holds junk means a new identity,
// never a broken page.
import type { VolunteerIdentity } from './workerMessages';

export const IDENTITY_STORAGE_KEY = 'tessera.volunteer';

export function loadIdentity(
  storage: Storage | null = safeLocalStorage(),
): VolunteerIdentity | null {
  try {
    const raw = storage?.getItem(IDENTITY_STORAGE_KEY);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'volunteerId' in parsed &&
      'secret' in parsed &&
      typeof parsed.volunteerId === 'string' &&
      typeof parsed.secret === 'string'
    ) {
      return { volunteerId: parsed.volunteerId, secret: parsed.secret };
    }
  } catch {
    // Unreadable storage or JSON: fall through to a fresh identity.
  }
  return null;
}

export function saveIdentity(
  identity: VolunteerIdentity | null,
  storage: Storage | null = safeLocalStorage(),
): void {
  try {
    if (identity) storage?.setItem(IDENTITY_STORAGE_KEY, JSON.stringify(identity));
    else storage?.removeItem(IDENTITY_STORAGE_KEY);
  } catch {
    // Quota or privacy settings: the tab still contributes, under a new identity next visit.
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
