// Researcher tokens: random, shown once, stored only as SHA-256 hashes. TESSERA_TOKEN makes a
// token valid for this process without storing it; otherwise the first start mints one and
// writes it to <data>/researcher.token with mode 0600.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store';

export const TOKEN_FILE = 'researcher.token';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function newToken(): string {
  return `tsr_${randomBytes(24).toString('base64url')}`;
}

export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(hashSecret(a), 'hex');
  const right = Buffer.from(hashSecret(b), 'hex');
  return timingSafeEqual(left, right);
}

/** Accepts the environment token (if any) or any stored token. */
export class TokenVerifier {
  constructor(
    private readonly store: Store,
    private readonly envToken: string | undefined,
  ) {}

  async verify(token: string): Promise<boolean> {
    if (this.envToken !== undefined && sameSecret(token, this.envToken)) return true;
    return this.store.hasToken(hashSecret(token));
  }
}

/** Creates and stores a named token; returns the plain token (shown once). */
export async function createToken(store: Store, name: string, now: number): Promise<string> {
  const token = newToken();
  await store.addToken(name, hashSecret(token), now);
  return token;
}

/**
 * On first start without TESSERA_TOKEN and without any stored token, mints the first token and
 * writes it to the data folder. Returns it so the caller can print it once.
 */
export async function ensureFirstToken(
  store: Store,
  dataDir: string,
  now: number,
): Promise<{ token: string; path: string } | null> {
  const path = join(dataDir, TOKEN_FILE);
  if ((await store.countTokens()) > 0) return null;
  const token = await createToken(store, 'first', now);
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, path };
}
