// Where the CLI finds the coordinator's data folder (researcher.token, tessera.sqlite), so that
// `npx tessera` works from the repository root and from any workspace or folder inside it:
// `npm start` runs the coordinator at the root, which writes ./data there.
//   1. --data DIR (token create), then TESSERA_DATA, each relative to the current folder, as the
//      coordinator reads TESSERA_DATA: an explicit folder is used as given, never searched for;
//   2. else the nearest data/ folder holding researcher.token or tessera.sqlite, from the
//      current folder upward, the root of the Tessera checkout (the folder whose package.json is
//      named "tessera") being the last one looked in;
//   3. else the checkout root's data/ when inside one, else ./data.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TOKEN_FILE } from '../auth/tokens';

export const DATA_FOLDER = 'data';
/** The embedded store's file in the data folder (main.ts opens the same name). */
export const SQLITE_FILE = 'tessera.sqlite';
/** The root package.json's name: the search for a data folder stops at that folder. */
export const PROJECT_PACKAGE_NAME = 'tessera';

export interface DataDir {
  path: string;
  /**
   * How it was chosen: named (--data, TESSERA_DATA), found by the upward search, or the default
   * where no folder holds the coordinator's files yet.
   */
  source: '--data' | 'TESSERA_DATA' | 'found' | 'default';
}

export interface DataDirInput {
  /** `--data DIR`, for the commands that take it. */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function holdsCoordinatorFiles(dir: string): boolean {
  return existsSync(join(dir, TOKEN_FILE)) || existsSync(join(dir, SQLITE_FILE));
}

function isProjectRoot(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === PROJECT_PACKAGE_NAME;
  } catch {
    // No package.json here, or one that is not JSON: not the root; keep going up.
    return false;
  }
}

export function findDataDir(input: DataDirInput): DataDir {
  if (input.flag !== undefined) return { path: resolve(input.cwd, input.flag), source: '--data' };
  // An empty variable means unset, as in config.ts.
  const named = input.env.TESSERA_DATA;
  if (named) return { path: resolve(input.cwd, named), source: 'TESSERA_DATA' };

  let dir = resolve(input.cwd);
  for (;;) {
    const candidate = join(dir, DATA_FOLDER);
    if (holdsCoordinatorFiles(candidate)) return { path: candidate, source: 'found' };
    if (isProjectRoot(dir)) return { path: candidate, source: 'default' };
    const parent = dirname(dir);
    if (parent === dir) return { path: resolve(input.cwd, DATA_FOLDER), source: 'default' };
    dir = parent;
  }
}
