/**
 * `ngsp keys create --role lgsp --platform ID` | `keys list` | `keys revoke KEY_ID` (operators).
 * A key is shown once, when created; the table keeps only its SHA-256.
 */
import type { KeyRecord, Role } from '#shared/auth/keys.ts';
import { KeyStore } from '#shared/store/api-keys.ts';
import { dayOf } from '#shared/time.ts';
import { UserError } from '../errors.ts';
import { printRecords, type Io } from '../io.ts';
import { tableOf, type Target } from '../target.ts';
import { liveRegistry } from './platforms.ts';

const ROLES: Role[] = ['lgsp', 'analyst', 'ops'];

function store(target: Target): KeyStore {
  return new KeyStore(target.clients.ddb, tableOf(target, 'keys'));
}

export interface CreateKeyOptions {
  role: string;
  platform?: string;
}

export async function createKey(target: Target, opts: CreateKeyOptions, io: Io): Promise<{ key: string; record: KeyRecord }> {
  const role = opts.role as Role;
  if (!ROLES.includes(role)) throw new UserError(`--role must be one of ${ROLES.join(', ')}, got "${opts.role}".`);
  if (role === 'lgsp' && !opts.platform) throw new UserError('an lgsp key needs --platform ID (e.g. --platform LGSP-79).');
  if (role !== 'lgsp' && opts.platform) throw new UserError(`--platform is only for lgsp keys; a ${role} key is not bound to a platform.`);
  if (opts.platform) {
    // The registry of the target stack: the seed and the operators' changes (ngsp platforms add).
    const registry = await liveRegistry(target);
    if (!registry.knowsPlatform(opts.platform))
      throw new UserError(`platform "${opts.platform}" is not in the registry (ngsp platforms list).`);
    const today = dayOf(Date.now());
    if (!registry.isPlatformValid(opts.platform, today))
      io.note(`note: ${opts.platform} is not in force today (${today}); it can still report past exchanges.`);
  }
  const created = await store(target).create(role, opts.platform);
  io.note(
    `created ${created.record.keyId} (${role}${created.record.platformId ? `, ${created.record.platformId}` : ''}); the key below is shown only this once: store it now.`,
  );
  io.out(created.key);
  return created;
}

export async function listKeys(target: Target, opts: { json?: boolean; reindex?: boolean }, io: Io): Promise<KeyRecord[]> {
  if (opts.reindex) {
    const tagged = await store(target).reindex();
    io.note(`reindexed ${tagged} key record(s) written before the byKind index.`);
  }
  return printRecords(io, await store(target).list(), opts, {
    none: 'no keys.',
    header: ['KEY ID', 'ROLE', 'PLATFORM', 'CREATED', 'REVOKED'],
    row: (r) => [r.keyId, r.role, r.platformId ?? '-', r.createdAt, r.revokedAt ?? '-'],
  });
}

export async function revokeKey(target: Target, keyId: string, io: Io): Promise<void> {
  if (!/^k_[0-9a-f]{12}$/.test(keyId))
    throw new UserError(`"${keyId}" is not a key id (they look like k_0123456789ab; see ngsp keys list).`);
  const ok = await store(target).revoke(keyId);
  if (!ok) throw new UserError(`no key with id ${keyId} (see ngsp keys list).`);
  io.out(`revoked ${keyId}: requests with it now get 401.`);
}
