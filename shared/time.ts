/**
 * Time buckets in Asia/Ho_Chi_Minh (CONTRACT.md: every minute and day is ICT).
 *
 * Minute keys are `YYYY-MM-DDTHH:mm` local wall-clock strings, day keys `YYYY-MM-DD`.
 * Conversions go through date-fns-tz so the zone is data (IANA), not a hard-coded offset.
 */
// Subpath imports: the package root (formatInTimeZone) loads all of date-fns, about 300 modules,
// which costs each process seconds of CPU at start; these two load a few files.
import { fromZonedTime } from 'date-fns-tz/fromZonedTime';
import { getTimezoneOffset } from 'date-fns-tz/getTimezoneOffset';

export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

const RFC3339_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp that carries an explicit offset; returns epoch ms or undefined. */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339_WITH_OFFSET.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(text.toUpperCase());
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The instant in the zone: its wall clock as `YYYY-MM-DDTHH:mm:ss.SSS` and its offset as `+07:00`.
 * The offset comes from the IANA zone data (date-fns-tz), for that instant.
 */
function wallClock(epochMs: number): { local: string; offset: string } {
  const offsetMs = getTimezoneOffset(TIME_ZONE, new Date(epochMs));
  const local = new Date(epochMs + offsetMs).toISOString().slice(0, 23);
  const minutes = Math.abs(offsetMs) / MINUTE_MS;
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return { local, offset: `${offsetMs < 0 ? '-' : '+'}${hh}:${mm}` };
}

/** The ICT minute key (`YYYY-MM-DDTHH:mm`) that contains the instant. */
export function minuteKeyOf(epochMs: number): string {
  return wallClock(epochMs).local.slice(0, 16);
}

/** The ICT day (`YYYY-MM-DD`) that contains the instant. */
export function dayOf(epochMs: number): string {
  return wallClock(epochMs).local.slice(0, 10);
}

/** Epoch ms at the start of an ICT minute key. */
export function minuteStartMs(minuteKey: string): number {
  return fromZonedTime(`${minuteKey}:00`, TIME_ZONE).getTime();
}

/** Epoch ms at the start (00:00) of an ICT day. */
export function dayStartMs(day: string): number {
  return fromZonedTime(`${day}T00:00:00`, TIME_ZONE).getTime();
}

/** RFC 3339 with the ICT offset and millisecond precision, e.g. `2021-03-10T08:15:00.000+07:00`. */
export function toIct(epochMs: number): string {
  const { local, offset } = wallClock(epochMs);
  return local + offset;
}

/** RFC 3339 start of a minute or day period, second precision: `2021-03-10T08:15:00+07:00`. */
export function periodStartOf(epochMs: number): string {
  const { local, offset } = wallClock(epochMs);
  return local.slice(0, 19) + offset;
}

/** Splits a minute key into its day and `HHMM` parts (the S3 file name). */
export function splitMinuteKey(minuteKey: string): { day: string; hhmm: string } {
  return { day: minuteKey.slice(0, 10), hhmm: minuteKey.slice(11, 13) + minuteKey.slice(14, 16) };
}

/** Minute key from a day and an `HHMM` string. */
export function joinMinuteKey(day: string, hhmm: string): string {
  return `${day}T${hhmm.slice(0, 2)}:${hhmm.slice(2, 4)}`;
}

/** Minute keys of `[fromMs, toMs)`, each minute whose start lies in the range. */
export function minuteKeysBetween(fromMs: number, toMs: number): string[] {
  const keys: string[] = [];
  for (let t = Math.ceil(fromMs / MINUTE_MS) * MINUTE_MS; t < toMs; t += MINUTE_MS) keys.push(minuteKeyOf(t));
  return keys;
}

/** ICT days from `from` to `to`, both included (`YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = dayStartMs(from), end = dayStartMs(to); t <= end; t += DAY_MS) days.push(dayOf(t));
  return days;
}

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}
