/**
 * The local stack's API keys: created on first start, kept in `.local/keys.json` (mode 0600,
 * refused if group or others can read it) and registered, hashed, in the keys table.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { newKey } from '#shared/auth/keys.ts';
import type { KeyStore } from '#shared/store/api-keys.ts';
import { defaultRegistry } from '#shared/registry.ts';
import { dayOf } from '#shared/time.ts';
import type { StackJson } from '#shared/stack-file.ts';

type KeyFile = { [K in 'analyst' | 'ops']: { key: string; keyId: string } } & { lgsp: Record<string, { key: string; keyId: string }> };

export class KeyFileError extends Error {}

/** Loads the key file, or creates it (and the keys) on first start. */
export async function ensureLocalKeys(path: string, store: KeyStore): Promise<StackJson['api']['keys']> {
  let file: KeyFile;
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) {
      throw new KeyFileError(`${path} can be read by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
    }
    file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  } else {
    const today = dayOf(Date.now());
    file = { analyst: newKey('analyst'), ops: newKey('ops'), lgsp: {} };
    for (const p of defaultRegistry.platformsOn(today)) file.lgsp[p.platformId] = newKey('lgsp');
    writeFileSync(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  // Registering is idempotent (same hash, same item): the table may be new even if the file is not.
  await store.create('analyst', undefined, file.analyst);
  await store.create('ops', undefined, file.ops);
  for (const [platformId, k] of Object.entries(file.lgsp)) await store.create('lgsp', platformId, k);
  return {
    analyst: file.analyst.key,
    ops: file.ops.key,
    lgsp: Object.fromEntries(Object.entries(file.lgsp).map(([p, k]) => [p, k.key])),
  };
}
