// Researcher calls carry `Authorization: Bearer <token>`.
import type { RequestHandler } from 'express';
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import type { TokenVerifier } from '../auth/tokens';

export function requireToken(verifier: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const owner = match ? await verifier.verify(match[1]!) : null;
    if (!owner) {
      throw new TesseraError(
        ERROR_CODES.unauthorized,
        'a researcher token is required: send Authorization: Bearer <token> (see data/researcher.token or TESSERA_TOKEN)',
      );
    }
    res.locals.owner = owner;
    next();
  };
}
