/**
 * `ngsp platforms list` | `platforms add --id ID --kind K --name N [--province CC] --from DAY [--until DAY]`
 * | `platforms retire ID --until DAY` (operators): the platforms registry of a running stack
 * (issue 16 part 6; rules in shared/platforms.ts). Validation in the ingest function and in
 * `POST /v1/events` uses a change within PLATFORMS_CACHE_SECONDS (60 s) of it.
 */
import type { FieldError } from '#shared/errors.ts';
import {
  effectivePlatforms,
  planAdd,
  planRetire,
  registryOf,
  sourceOf,
  type ChangeResult,
  type StoredPlatforms,
} from '#shared/platforms.ts';
import type { Platform, Registry } from '#shared/registry.ts';
import { KeyStore } from '#shared/store/api-keys.ts';
import { PlatformsChangedError, PlatformStore } from '#shared/store/platforms.ts';
import { dayOf } from '#shared/time.ts';
import { UserError } from '../errors.ts';
import { printRecords, type Io } from '../io.ts';
import { tableOf, type Target } from '../target.ts';

/** The delay operators are told about (the wiring table's PLATFORMS_CACHE_SECONDS). */
const EFFECT = 'validation uses it within a minute (the functions cache the registry for 60 s)';

function store(target: Target): PlatformStore {
  return new PlatformStore(target.clients.ddb, tableOf(target, 'keys'));
}

/** The registry in force on the target (seed + operators' changes), for commands that check a platform id. */
export async function liveRegistry(target: Target): Promise<Registry> {
  return registryOf((await store(target).read()).entries);
}

/** One line of `platforms list`. */
export interface PlatformRow extends Platform {
  source: 'seed' | 'ops';
  /** On today's date (Asia/Ho_Chi_Minh): `in force`, `retired` or `future`. */
  status: 'in force' | 'retired' | 'future';
}

function statusOn(p: Platform, day: string): PlatformRow['status'] {
  if (p.validFrom !== null && day < p.validFrom) return 'future';
  if (p.validUntil !== null && p.validUntil < day) return 'retired';
  return 'in force';
}

export async function listPlatforms(target: Target, opts: { json?: boolean; all?: boolean }, io: Io): Promise<PlatformRow[]> {
  const stored = await store(target).read();
  const today = dayOf(Date.now());
  const rows = effectivePlatforms(stored.entries)
    .map((p): PlatformRow => ({ ...p, source: sourceOf(p, stored.entries), status: statusOn(p, today) }))
    .filter((r) => opts.all || r.status !== 'retired' || r.source === 'ops');
  if (!opts.json && !opts.all) io.note('(platforms retired in the seed are hidden: --all shows them)');
  return printRecords(io, rows, opts, {
    none: 'no platforms.',
    header: ['PLATFORM', 'KIND', 'PROVINCE', 'VALID FROM', 'VALID UNTIL', 'STATUS', 'SOURCE', 'NAME'],
    row: (r) => [
      r.platformId,
      r.kind,
      r.provinceCode ?? '-',
      r.validFrom ?? '(open)',
      r.validUntil ?? '(open)',
      r.status,
      r.source,
      r.name,
    ],
  });
}

const explain = (errors: FieldError[]): string => errors.map((e) => `${e.path} ${e.message}`).join('; ');

/** Plans a change over the stored state and writes it; re-plans once if another change came in between. */
async function change(target: Target, plan: (current: StoredPlatforms) => ChangeResult): Promise<Platform> {
  const s = store(target);
  for (let attempt = 0; ; attempt++) {
    const result = plan(await s.read());
    if (!result.ok) throw new UserError(`${explain(result.errors)}.`);
    try {
      await s.write(result.stored);
      return result.entry;
    } catch (err) {
      if (err instanceof PlatformsChangedError && attempt < 2) continue;
      if (err instanceof PlatformsChangedError) throw new UserError(err.message);
      throw err;
    }
  }
}

export interface AddPlatformOptions {
  id: string;
  kind: string;
  name: string;
  province?: string;
  from: string;
  until?: string;
}

export async function addPlatform(target: Target, opts: AddPlatformOptions, io: Io): Promise<Platform> {
  const input = {
    platformId: opts.id,
    kind: opts.kind,
    name: opts.name,
    ...(opts.province !== undefined ? { provinceCode: opts.province } : {}),
    validFrom: opts.from,
    ...(opts.until !== undefined ? { validUntil: opts.until } : {}),
  };
  const entry = await change(target, (current) => planAdd(current, input, new Date().toISOString()));
  io.out(`added ${entry.platformId} (${entry.kind}), valid ${entry.validFrom} .. ${entry.validUntil ?? '(open)'}; ${EFFECT}.`);
  io.note(`next: give it an API key (ngsp keys create --role lgsp --platform ${entry.platformId}) or an SQS sender (ngsp senders add).`);
  return entry;
}

export async function retirePlatform(target: Target, platformId: string, opts: { until: string }, io: Io): Promise<Platform> {
  const entry = await change(target, (current) => planRetire(current, { platformId, validUntil: opts.until }, new Date().toISOString()));
  io.out(`retired ${platformId}: events with requestAt after ${opts.until} are rejected (reporter.platformId not in force); ${EFFECT}.`);
  if (opts.until < dayOf(Date.now()))
    io.note(
      `note: ${opts.until} is in the past; reports of later days already counted stay counted (a retirement is not applied to them).`,
    );
  // What happens to its credentials: they keep working for the days it was in force (backfills), nothing later.
  const keys = (await new KeyStore(target.clients.ddb, tableOf(target, 'keys')).list()).filter(
    (k) => k.platformId === platformId && !k.revokedAt,
  );
  if (keys.length)
    io.note(
      `${platformId} still has ${keys.length} API key(s) (${keys.map((k) => k.keyId).join(', ')}): they may still post reports of days up to ${opts.until}; revoke them (ngsp keys revoke KEY_ID) once its backfills are done.`,
    );
  return entry;
}
