// Researcher calls carry `Authorization: Bearer <token>`.
import type { RequestHandler } from 'express';
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import type { TokenVerifier } from '../auth/tokens';

export function requireToken(verifier: TokenVerifier): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match || !(await verifier.verify(match[1]!))) {
      throw new TesseraError(
        ERROR_CODES.unauthorized,
        'a researcher token is required: send Authorization: Bearer <token> (see data/researcher.token or TESSERA_TOKEN)',
      );
    }
    next();
  };
}
