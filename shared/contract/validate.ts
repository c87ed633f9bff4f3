/**
 * The event validator, built from the published JSON Schema (contract/event.schema.json) plus
 * the rules that need data or a clock: registry validity on the date of `requestAt`, the
 * 5-minute future limit, `responseAt >= requestAt`, `errorCategory` only on failures.
 */
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import schema from './event.schema.json' with { type: 'json' };
import type { FieldError } from '#shared/errors.ts';
import { defaultRegistry, type Registry } from '#shared/registry.ts';
import { dayOf, parseRfc3339 } from '#shared/time.ts';

/** The v1 exchange event as posted by an LGSP (CONTRACT.md section 1). */
export interface ExchangeEvent {
  schemaVersion?: '1';
  eventId: string;
  transactionId?: string;
  reporter: { platformId: string; role: 'CONSUMER' | 'PROVIDER' };
  route: 'NGSP' | 'LGSP';
  consumer: Party;
  provider: Party;
  serviceCode: string;
  requestAt: string;
  responseAt: string;
  succeeded: boolean;
  errorCategory?: 'AUTH' | 'THROTTLED' | 'TARGET' | 'TIMEOUT' | 'VALIDATION' | 'OTHER';
  httpStatus?: number;
  requestBytes?: number;
  responseBytes?: number;
}

export interface Party {
  orgCode: string;
  systemCode: string;
  provinceCode?: string;
}

export const MAX_EVENTS_PER_ENVELOPE = 500;
export const FUTURE_LIMIT_MS = 5 * 60_000;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema(schema);
const eventSchemaValidator = ajv.getSchema(`${schema.$id}#/$defs/event`)!;
const envelopeValidator = ajv.getSchema(`${schema.$id}#/$defs/envelope`)!;

/** The published schema document (served with the API's OpenAPI document). */
export const eventJsonSchema = schema;

/** `/reporter/platformId` → `reporter.platformId`; `/events/3/x` → `events[3].x`. */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

function joinPath(base: string, field: string): string {
  return base ? `${base}.${field}` : field;
}

const TIMESTAMP_MESSAGE = 'must be an RFC 3339 timestamp with an offset, e.g. 2021-03-10T08:15:00.000+07:00';

function describe(err: ErrorObject): FieldError {
  const path = pointerToPath(err.instancePath);
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { path: joinPath(path, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      // A field named "" would otherwise give an empty path: the rejection must still name it.
      const name = String(p.additionalProperty);
      return { path: joinPath(path, name === '' ? '""' : name), message: 'is not a field of the v1 event (unknown field)' };
    }
    case 'type':
      return { path: path || '(root)', message: `must be ${p.type === 'integer' ? 'an integer' : `a ${String(p.type)}`}` };
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'const':
      return { path, message: `must be "${String(p.allowedValue)}"` };
    case 'format':
      return { path, message: TIMESTAMP_MESSAGE };
    case 'pattern':
      if (/At$/.test(path)) return { path, message: TIMESTAMP_MESSAGE };
      return {
        path,
        message: `has characters outside ${String(p.pattern)
          .replace(/^\^|\$$/g, '')
          .replace(/\+$/, '')}`,
      };
    case 'minLength':
      return { path, message: Number(p.limit) === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters` };
    case 'maxLength':
      return { path, message: `must be at most ${String(p.limit)} characters` };
    case 'minimum':
      return { path, message: `must be >= ${String(p.limit)}` };
    case 'maximum':
      return { path, message: `must be <= ${String(p.limit)}` };
    case 'minItems':
      return { path, message: `must hold at least ${String(p.limit)} event(s)` };
    case 'maxItems':
      return { path, message: `must hold at most ${String(p.limit)} events` };
    default:
      return { path: path || '(root)', message: err.message ?? 'is invalid' };
  }
}

/** Ajv reports a timestamp that fails both `format` and `pattern` twice: keep one per path and message. */
function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export type EventCheck = { ok: true; event: ExchangeEvent } | { ok: false; errors: FieldError[] };

/**
 * Validates one event object: every error, each with its field path and a plain message.
 * @param now epoch ms used for the future limit (injectable for tests)
 */
export function validateEvent(candidate: unknown, now: number = Date.now(), registry: Registry = defaultRegistry): EventCheck {
  if (!eventSchemaValidator(candidate)) {
    return { ok: false, errors: dedupe((eventSchemaValidator.errors ?? []).map(describe)) };
  }
  const event = candidate as ExchangeEvent;
  const errors: FieldError[] = [];
  const requestAt = parseRfc3339(event.requestAt);
  const responseAt = parseRfc3339(event.responseAt);
  if (requestAt === undefined) errors.push({ path: 'requestAt', message: TIMESTAMP_MESSAGE });
  if (responseAt === undefined) errors.push({ path: 'responseAt', message: TIMESTAMP_MESSAGE });
  if (requestAt !== undefined) {
    if (requestAt > now + FUTURE_LIMIT_MS) {
      errors.push({ path: 'requestAt', message: 'is more than 5 minutes in the future' });
    }
    if (responseAt !== undefined && responseAt < requestAt) {
      errors.push({ path: 'responseAt', message: 'must not be earlier than requestAt' });
    }
    const day = dayOf(requestAt);
    const platformId = event.reporter.platformId;
    if (!registry.knowsPlatform(platformId)) {
      errors.push({ path: 'reporter.platformId', message: `"${platformId}" is not a registered platform` });
    } else if (!registry.isPlatformValid(platformId, day)) {
      errors.push({ path: 'reporter.platformId', message: `"${platformId}" was not in force on ${day} (the date of requestAt)` });
    }
    for (const side of ['consumer', 'provider'] as const) {
      const code = event[side].provinceCode;
      if (code !== undefined && !registry.isProvinceValid(code, day)) {
        errors.push({
          path: `${side}.provinceCode`,
          message: `"${code}" is not a province code in force on ${day} (the date of requestAt)`,
        });
      }
    }
  }
  if (event.errorCategory !== undefined && event.succeeded) {
    errors.push({ path: 'errorCategory', message: 'is only allowed with succeeded: false' });
  }
  return errors.length ? { ok: false, errors } : { ok: true, event };
}

/** One event of a message body, by its index (0 for a body that is a single event). */
export type BodyItem = { index: number; raw: unknown } & EventCheck;

export interface ParsedBody {
  /** Per-event results, in body order. */
  items: BodyItem[];
  /** Errors of the body as a whole (not JSON, bad envelope): then `items` is empty. */
  bodyErrors: FieldError[];
}

/**
 * Parses an SQS message body or an HTTP request body: one event, or `{"events": [...]}`.
 * Never throws: anything unreadable comes back as `bodyErrors`.
 */
export function parseBody(body: string, now: number = Date.now(), registry: Registry = defaultRegistry): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return { items: [], bodyErrors: [{ path: '(body)', message: `is not valid JSON (${(err as Error).message})` }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { items: [], bodyErrors: [{ path: '(body)', message: 'must be a JSON object: one event or {"events": [...]}' }] };
  }
  if (Object.hasOwn(value, 'events')) {
    if (!envelopeValidator(value)) {
      return { items: [], bodyErrors: dedupe((envelopeValidator.errors ?? []).map(describe)) };
    }
    const events = (value as { events: unknown[] }).events;
    return { items: events.map((raw, index) => ({ index, raw, ...validateEvent(raw, now, registry) })), bodyErrors: [] };
  }
  return { items: [{ index: 0, raw: value, ...validateEvent(value, now, registry) }], bodyErrors: [] };
}
