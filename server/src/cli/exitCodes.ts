// The CLI's exit codes (documented in `tessera --help`) and the errors that choose them.
import { ApiError, CLIENT_ERROR_CODES, ERROR_CODES } from '@tessera/shared';

export const EXIT = {
  ok: 0,
  /** The request was refused (bad spec, unknown id...) or the workload failed or was cancelled. */
  failure: 1,
  /** Bad arguments, or a FILE that cannot be read as JSON: nothing was sent. */
  usage: 2,
  /** No coordinator answered at the URL (or what answered is not one), or it refused the token. */
  unreachable: 3,
  /** Interrupted (Ctrl-C) while waiting (the workload goes on) or uploading (nothing stored). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What the person typed cannot work: exit 2 with the usage text. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure already explained on stderr by the command: only its exit code is left to give. */
export class ReportedFailure extends Error {
  constructor(readonly exitCode: ExitCode) {
    super(`exit ${exitCode}`);
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof ReportedFailure) return error.exitCode;
  if (typeof (error as { code?: unknown })?.code === 'string') {
    if ((error as { code: string }).code.startsWith('ERR_PARSE_ARGS')) return EXIT.usage;
  }
  if (error instanceof ApiError) {
    switch (error.code) {
      case CLIENT_ERROR_CODES.unreachable:
      case CLIENT_ERROR_CODES.badResponse:
      case ERROR_CODES.unauthorized:
        return EXIT.unreachable;
      default:
        return EXIT.failure;
    }
  }
  return EXIT.failure;
}
