// Where the CLI finds its coordinator and researcher token: flags first, then the environment,
// then (token only) the file the coordinator writes on its first start, in the data folder
// found as dataDir.ts says (so from the repository root and from any folder inside it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TesseraClient } from '@tessera/shared';
import { TOKEN_FILE } from '../auth/tokens';
import { findDataDir } from './dataDir';
import { UsageError } from './exitCodes';

export const DEFAULT_URL = 'http://localhost:8080';

export interface Connection {
  url: string;
  token: string | undefined;
  /** Where the token came from, for messages: '--token', 'TESSERA_TOKEN', a file path, or null. */
  tokenSource: string | null;
  /** The token file looked for when neither --token nor TESSERA_TOKEN was given. */
  tokenFile: string | null;
  client: TesseraClient;
}

export interface ConnectionInput {
  url?: string | undefined;
  token?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function tokenFromFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    // No file (or not readable): carry on without a token; calls that need one say so.
    return undefined;
  }
}

export function resolveConnection(input: ConnectionInput): Connection {
  const url = input.url ?? (input.env.TESSERA_URL || DEFAULT_URL);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`"${url}" is not a URL: give the coordinator as http://HOST:PORT`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(
      `"${url}" is not an http(s) URL: give the coordinator as http://HOST:PORT`,
    );
  }

  let token: string | undefined;
  let tokenSource: string | null = null;
  let tokenFile: string | null = null;
  if (input.token !== undefined) {
    token = input.token.trim();
    tokenSource = '--token';
    if (!token) throw new UsageError('--token is empty');
  } else if (input.env.TESSERA_TOKEN) {
    token = input.env.TESSERA_TOKEN.trim();
    tokenSource = 'TESSERA_TOKEN';
  } else {
    tokenFile = join(findDataDir({ env: input.env, cwd: input.cwd }).path, TOKEN_FILE);
    token = tokenFromFile(tokenFile);
    tokenSource = token ? tokenFile : null;
  }
  const base = url.replace(/\/+$/, '');
  return {
    url: base,
    token,
    tokenSource,
    tokenFile,
    client: new TesseraClient({ baseUrl: base, token }),
  };
}
