// Volunteer identities: an anonymous id and a secret kept in the tab's storage (only the
// secret's hash is stored). A returning volunteer proves the secret; a new one gets both.
import { randomBytes } from 'node:crypto';
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import { hashSecret } from '../auth/tokens';
import type { Tx, VolunteerRow } from './repository';
import { newId } from './views';

export async function identifyVolunteer(
  tx: Tx,
  credentials: { volunteerId: string; secret: string } | undefined,
  displayName: string | undefined,
): Promise<{ volunteer: VolunteerRow; secret?: string }> {
  if (credentials) {
    const known = await tx.volunteer(credentials.volunteerId);
    if (!known || known.secretHash !== hashSecret(credentials.secret)) {
      throw new TesseraError(
        ERROR_CODES.badCredentials,
        'unknown volunteer or wrong secret: forget the stored identity and say hello without one',
      );
    }
    await tx.touchVolunteer(known.id, displayName);
    return { volunteer: (await tx.volunteer(known.id))! };
  }
  const secret = randomBytes(24).toString('base64url');
  const id = newId(12);
  await tx.insertVolunteer({
    id,
    secretHash: hashSecret(secret),
    displayName: displayName || `volunteer-${id.slice(0, 6)}`,
  });
  return { volunteer: (await tx.volunteer(id))!, secret };
}
