/**
 * The platforms registry of a running stack (issue 16 part 6): seeds/platforms.json is the
 * initial content; operators add a platform or retire one with `ngsp platforms add|retire`, and
 * validation (the ingest function and `POST /v1/events`) uses the result from then on.
 *
 * What the stack stores is only the operators' entries (shared/store/platforms.ts): the registry
 * in force is the seed with each stored entry laid over it — an entry with the same
 * (`platformId`, `validFrom`) as a seed entry replaces it (a retirement of a seed platform), any
 * other is added. A release that changes the seed therefore still reaches a running stack, and
 * an operator's change survives a release.
 *
 * The rules of a change (each broken rule is a named field and a reason):
 * - `platformId` is an id the event schema accepts (`NGSP`, `LGSP-<code or abbreviation>`);
 * - `kind` is national, province or ministry; a province platform names a `provinceCode` in force
 *   on its `validFrom`; others name none;
 * - dates are `YYYY-MM-DD` Asia/Ho_Chi_Minh days, both ends inclusive; `validUntil >= validFrom`;
 * - the validity of an added entry overlaps no other entry of the same id;
 * - a retirement sets `validUntil` of the entry in force on that day (`validUntil >= validFrom`),
 *   and never reopens or lengthens one.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import schema from '#shared/contract/event.schema.json' with { type: 'json' };
import type { FieldError } from '#shared/errors.ts';
import { defaultRegistry, Registry, type Platform } from '#shared/registry.ts';
import { isDay } from '#shared/time.ts';

/** One change an operator made, as the stack keeps it (newest last). */
export interface PlatformChange {
  at: string;
  action: 'add' | 'retire';
  platformId: string;
  validFrom: string | null;
  validUntil: string | null;
  note?: string;
}

/** What the stack stores: the operators' entries and the log of their changes, with a version for safe concurrent writes. */
export interface StoredPlatforms {
  /** 0 while nothing was ever stored (the registry is the seed). */
  version: number;
  entries: Platform[];
  log: PlatformChange[];
}

export const EMPTY_STORED: StoredPlatforms = { version: 0, entries: [], log: [] };

/** An entry's identity: its platform and the day it starts (`-` for an open start). */
const entryKey = (p: Pick<Platform, 'platformId' | 'validFrom'>): string => `${p.platformId}\u0000${p.validFrom ?? '-'}`;

/** The seed with the stored entries laid over it (same id and start: replaced; else added), sorted by id and start. */
export function effectivePlatforms(stored: readonly Platform[], seed: readonly Platform[] = defaultRegistry.data.platforms): Platform[] {
  const byKey = new Map<string, Platform>();
  for (const p of seed) byKey.set(entryKey(p), p);
  for (const p of stored) byKey.set(entryKey(p), p);
  return [...byKey.values()].sort(
    (a, b) => a.platformId.localeCompare(b.platformId) || (a.validFrom ?? '').localeCompare(b.validFrom ?? ''),
  );
}

/** The registry in force: the seed's code sets and the effective platforms. */
export function registryOf(stored: readonly Platform[], base: Registry = defaultRegistry): Registry {
  return new Registry({ codeSets: base.data.codeSets, platforms: effectivePlatforms(stored, base.data.platforms) });
}

/** Where an entry comes from, for `platforms list`. */
export function sourceOf(p: Platform, stored: readonly Platform[]): 'seed' | 'ops' {
  return stored.some((s) => entryKey(s) === entryKey(p)) ? 'ops' : 'seed';
}

/** The input of `platforms add`. */
export interface AddPlatformInput {
  platformId: string;
  kind: Platform['kind'];
  name: string;
  provinceCode?: string;
  validFrom: string;
  validUntil?: string | null;
}

/** The input of `platforms retire`: the last day the platform may report for. */
export interface RetirePlatformInput {
  platformId: string;
  validUntil: string;
}

const PLATFORM_ID = schema.$defs.event.properties.reporter.properties.platformId;

const ajv = new Ajv2020({ allErrors: true, strict: true });
const addShape = ajv.compile<AddPlatformInput>({
  type: 'object',
  additionalProperties: false,
  required: ['platformId', 'kind', 'name', 'validFrom'],
  properties: {
    platformId: { type: 'string', minLength: PLATFORM_ID.minLength, maxLength: PLATFORM_ID.maxLength, pattern: PLATFORM_ID.pattern },
    kind: { enum: ['national', 'province', 'ministry'] },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    provinceCode: { type: 'string', pattern: '^[0-9]{2}$' },
    validFrom: { type: 'string' },
    validUntil: { type: ['string', 'null'] },
  },
});
const retireShape = ajv.compile<RetirePlatformInput>({
  type: 'object',
  additionalProperties: false,
  required: ['platformId', 'validUntil'],
  properties: {
    platformId: { type: 'string', minLength: 1, maxLength: 64 },
    validUntil: { type: 'string' },
  },
});

/** Ajv's errors as field errors: the field by name, a plain reason. */
function shapeErrors(errors: typeof addShape.errors): FieldError[] {
  return (errors ?? []).map((e) => {
    const p = e.params as Record<string, unknown>;
    const field =
      e.keyword === 'required'
        ? String(p.missingProperty)
        : e.keyword === 'additionalProperties'
          ? String(p.additionalProperty)
          : e.instancePath.slice(1) || '(input)';
    const message =
      e.keyword === 'required'
        ? 'is required'
        : e.keyword === 'additionalProperties'
          ? 'is not a field of a platform'
          : e.keyword === 'pattern' && field === 'platformId'
            ? `must be NGSP or LGSP-<province code or ministry abbreviation> (${PLATFORM_ID.pattern})`
            : e.keyword === 'pattern'
              ? 'must be a two-digit province code'
              : e.keyword === 'enum'
                ? `must be one of ${(p.allowedValues as string[]).join(', ')}`
                : (e.message ?? 'is invalid');
    return { path: field, message };
  });
}

const DAY_MESSAGE = 'must be a calendar day YYYY-MM-DD (Asia/Ho_Chi_Minh)';
const show = (d: string | null, open: string): string => d ?? open;
const range = (p: Pick<Platform, 'validFrom' | 'validUntil'>): string =>
  `${show(p.validFrom, '(open)')} .. ${show(p.validUntil, '(open)')}`;

/** Whether two validity ranges share a day (null ends are open). */
function overlaps(a: Pick<Platform, 'validFrom' | 'validUntil'>, b: Pick<Platform, 'validFrom' | 'validUntil'>): boolean {
  const aFrom = a.validFrom ?? '0000-00-00';
  const aUntil = a.validUntil ?? '9999-99-99';
  const bFrom = b.validFrom ?? '0000-00-00';
  const bUntil = b.validUntil ?? '9999-99-99';
  return aFrom <= bUntil && bFrom <= aUntil;
}

export type ChangeResult = { ok: true; stored: StoredPlatforms; entry: Platform } | { ok: false; errors: FieldError[] };

/** The stored state after adding a platform entry, or every reason it cannot be added. */
export function planAdd(current: StoredPlatforms, input: unknown, at: string, base: Registry = defaultRegistry): ChangeResult {
  if (!addShape(input)) return { ok: false, errors: shapeErrors(addShape.errors) };
  const errors: FieldError[] = [];
  const validUntil = input.validUntil ?? null;
  if (!isDay(input.validFrom)) errors.push({ path: 'validFrom', message: DAY_MESSAGE });
  if (validUntil !== null && !isDay(validUntil)) errors.push({ path: 'validUntil', message: DAY_MESSAGE });
  if (!errors.length && validUntil !== null && validUntil < input.validFrom)
    errors.push({ path: 'validUntil', message: `must not be before validFrom (${input.validFrom})` });
  if (input.kind === 'province') {
    if (input.provinceCode === undefined) errors.push({ path: 'provinceCode', message: 'is required for a province platform' });
    else if (isDay(input.validFrom) && !base.isProvinceValid(input.provinceCode, input.validFrom))
      errors.push({
        path: 'provinceCode',
        message: `"${input.provinceCode}" is not a province code in force on ${input.validFrom} (validFrom)`,
      });
  } else if (input.provinceCode !== undefined) {
    errors.push({ path: 'provinceCode', message: `is only for a province platform (kind is ${input.kind})` });
  }
  const entry: Platform = {
    platformId: input.platformId,
    kind: input.kind,
    name: input.name,
    ...(input.provinceCode !== undefined ? { provinceCode: input.provinceCode } : {}),
    validFrom: input.validFrom,
    validUntil,
  };
  if (!errors.length) {
    const clash = effectivePlatforms(current.entries, base.data.platforms).find(
      (p) => p.platformId === entry.platformId && overlaps(p, entry),
    );
    if (clash)
      errors.push({
        path: 'validFrom',
        message: `${entry.platformId} ${range(entry)} overlaps its entry ${range(clash)}: retire that one first (platforms retire) or start after it`,
      });
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    entry,
    stored: {
      version: current.version,
      entries: [...current.entries, entry],
      log: [...current.log, { at, action: 'add', platformId: entry.platformId, validFrom: entry.validFrom, validUntil: entry.validUntil }],
    },
  };
}

/** The stored state after retiring a platform (its entry in force on `validUntil` ends that day), or every reason it cannot. */
export function planRetire(current: StoredPlatforms, input: unknown, at: string, base: Registry = defaultRegistry): ChangeResult {
  if (!retireShape(input)) return { ok: false, errors: shapeErrors(retireShape.errors) };
  if (!isDay(input.validUntil)) return { ok: false, errors: [{ path: 'validUntil', message: DAY_MESSAGE }] };
  const entries = effectivePlatforms(current.entries, base.data.platforms).filter((p) => p.platformId === input.platformId);
  if (!entries.length)
    return {
      ok: false,
      errors: [{ path: 'platformId', message: `"${input.platformId}" is not a registered platform (ngsp platforms list)` }],
    };
  const day = input.validUntil;
  const inForce = entries.find((p) => (p.validFrom === null || p.validFrom <= day) && (p.validUntil === null || day <= p.validUntil));
  if (!inForce) {
    const first = entries[0]!;
    const message =
      first.validFrom !== null && day < first.validFrom
        ? `must not be before validFrom (${first.validFrom}) of ${input.platformId}`
        : `${input.platformId} is not in force on ${day} (its entries: ${entries.map(range).join(', ')}): it is already retired`;
    return { ok: false, errors: [{ path: 'validUntil', message }] };
  }
  if (inForce.validUntil === day)
    return { ok: false, errors: [{ path: 'validUntil', message: `${input.platformId} already ends on ${day}` }] };
  const entry: Platform = { ...inForce, validUntil: day };
  const others = current.entries.filter((p) => entryKey(p) !== entryKey(entry));
  return {
    ok: true,
    entry,
    stored: {
      version: current.version,
      entries: [...others, entry],
      log: [...current.log, { at, action: 'retire', platformId: entry.platformId, validFrom: entry.validFrom, validUntil: day }],
    },
  };
}

export interface LivePlatformsOptions {
  /** How long a read registry is reused; a change takes effect within this. @default 60 s */
  cacheMs?: number;
  now?: () => number;
}

/**
 * The registry in force, read from the stack with a short cache: a batch costs at most one read
 * a minute. A failed read is not remembered (the caller retries its message and asks again).
 */
export class LivePlatforms {
  private cached: { at: number; registry: Promise<Registry> } | undefined;

  constructor(
    private readonly store: { read(): Promise<StoredPlatforms> },
    private readonly opts: LivePlatformsOptions = {},
    private readonly base: Registry = defaultRegistry,
  ) {}

  /** The registry in force; throws (transient) when the stack's entries cannot be read. */
  registry(): Promise<Registry> {
    const now = (this.opts.now ?? Date.now)();
    if (this.cached && now - this.cached.at < (this.opts.cacheMs ?? 60_000)) return this.cached.registry;
    const registry = this.store.read().then((s) => registryOf(s.entries, this.base));
    const entry = { at: now, registry };
    this.cached = entry;
    registry.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return registry;
  }
}
