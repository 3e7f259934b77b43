// Researcher tokens: random, shown once, stored only as SHA-256 hashes. TESSERA_TOKEN makes a
// token valid for this process without storing it; otherwise the first start mints one and
// writes it to <data>/researcher.token with mode 0600.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Repository } from '../engine/repository';

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

/** Who a researcher call came from: a stored token's id, or null for the environment token. */
export interface TokenOwner {
  tokenId: string | null;
}

/** Accepts the environment token (if any) or any stored token. */
export class TokenVerifier {
  constructor(
    private readonly repository: Repository,
    private readonly envToken: string | undefined,
  ) {}

  async verify(token: string): Promise<TokenOwner | null> {
    if (this.envToken !== undefined && sameSecret(token, this.envToken)) return { tokenId: null };
    const row = await this.repository.transaction(Date.now(), (tx) =>
      tx.tokenByHash(hashSecret(token)),
    );
    return row ? { tokenId: row.id } : null;
  }
}

/**
 * Creates and stores a named token; returns the plain token (shown once). [S1] `share` weighs
 * its workloads against other researchers' when volunteers are scarce (default 1).
 */
export async function createToken(
  repository: Repository,
  name: string,
  now: number,
  share = 1,
): Promise<string> {
  const token = newToken();
  await repository.transaction(now, (tx) => tx.addToken(name, hashSecret(token), share));
  return token;
}

/**
 * On first start without TESSERA_TOKEN and without any stored token, mints the first token and
 * writes it to the data folder. Returns it so the caller can print it once.
 */
export async function ensureFirstToken(
  repository: Repository,
  dataDir: string,
  now: number,
): Promise<{ token: string; path: string } | null> {
  const path = join(dataDir, TOKEN_FILE);
  if ((await repository.transaction(now, (tx) => tx.countTokens())) > 0) return null;
  const token = await createToken(repository, 'first', now);
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, path };
}
