// Reads a file a command was given (`-` is stdin), turning the file system's error codes into
// words a researcher can act on: a usage error (exit 2), since nothing was sent yet.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './exitCodes';
import type { CliIO } from './output';

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** Why a file could not be opened or read, in words. */
export function whyUnreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code && WHY[code]) ?? (error as Error).message;
}

export function readInputText(file: string, io: CliIO): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${whyUnreadable(error)}`);
  }
}
