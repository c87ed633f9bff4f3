/**
 * API keys: each belongs to one principal (`lgsp` bound to one platform, `analyst`, `ops`).
 * Only the SHA-256 of a key is stored (shared/store/keys.ts); the key itself is shown once, when it is created.
 */
import { createHash, randomBytes } from 'node:crypto';

export type Role = 'lgsp' | 'analyst' | 'ops';

export interface Principal {
  keyId: string;
  role: Role;
  /** Only for `lgsp`: the platform the key may act as. */
  platformId?: string;
}

export interface KeyRecord extends Principal {
  createdAt: string;
  revokedAt?: string;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key and its id (the id is safe to log and list; the key is not). */
export function newKey(role: Role): { key: string; keyId: string } {
  const secret = randomBytes(24).toString('base64url');
  return { key: `ngsp_${role}_${secret}`, keyId: `k_${randomBytes(6).toString('hex')}` };
}
