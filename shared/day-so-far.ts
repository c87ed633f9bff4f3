/**
 * *1.1* A day that is not rolled yet — today, and yesterday until its daily rollup — is read from
 * its minutes. At 10× the 2021 volume that is 1,440 minute payloads (~68 MB, ~27 s to merge on
 * this machine): every `/summary`, `/days` and `/breakdown` whose range holds today paid it, the
 * dashboard on each load. The scheduled run keeps a fold of the day's final minutes instead (one
 * stored value, `StatsStore.putDaySoFar`), adding the new final minutes to it about once an hour,
 * and readers merge it with the few minutes it does not hold yet.
 *
 * Exact by construction: the fold records the token of every minute item it merged; a minute
 * rolled again (late data) gets a new token, and a fold holding an old token is not used (a
 * merge cannot be taken back) — readers then merge all the minutes, and the next run folds the
 * day again from its minutes.
 */
import { PeriodStats, type PeriodPayload } from '#shared/stats/period.ts';
import { SystemsStats } from '#shared/stats/systems.ts';
import type { DaySoFar, SeriesPoint, StatsStore, StoredPeriod } from '#shared/store/stats.ts';

/** New final minutes a fold waits for before it is written again (one write an hour at a steady pace). */
export const FOLD_EVERY_MINUTES = 60;

type Series = Map<string, SeriesPoint>;

const hhmmOf = (seriesKey: string): string => `${seriesKey.slice(0, 2)}:${seriesKey.slice(2)}`;

/** True when every minute the fold merged still has the token it was merged with. */
export function foldHolds(fold: Pick<DaySoFar, 'tokens'>, series: Series): boolean {
  return Object.entries(fold.tokens).every(([hhmm, token]) => series.get(hhmm.replace(':', ''))?.token === token);
}

/** The day's minutes with transactions that `fold` does not hold (`HH:mm`, sorted), optionally only those before `beforeHhmm`. */
export function minutesBeyond(fold: Pick<DaySoFar, 'tokens'> | undefined, series: Series, beforeHhmm = '24:00'): string[] {
  const out: string[] = [];
  for (const [key, p] of series) {
    const hhmm = hhmmOf(key);
    if (p.transactions > 0 && hhmm < beforeHhmm && !fold?.tokens[hhmm]) out.push(hhmm);
  }
  return out.sort();
}

/** Sorted `HH:mm` keys as ranges of nearby minutes (gaps up to `gap` minutes are read through). */
export function rangesOf(hhmms: string[], gap = 5, span = 60): [string, string][] {
  const minutes = (h: string): number => Number(h.slice(0, 2)) * 60 + Number(h.slice(3));
  const ranges: [string, string][] = [];
  for (const h of hhmms) {
    const last = ranges.at(-1);
    // A range spans at most `span` minutes: what one read holds at once (an hour of a 10× day's items).
    if (last && minutes(h) - minutes(last[1]) <= gap && minutes(h) - minutes(last[0]) < span) last[1] = h;
    else ranges.push([h, h]);
  }
  return ranges;
}

/** The stored minutes `hhmms` of a day (payload and token), read range by range. */
async function readMinutes(day: string, hhmms: string[], stats: StatsStore): Promise<StoredPeriod[]> {
  const wanted = new Set(hhmms);
  const out: StoredPeriod[] = [];
  for (const [lo, hi] of rangesOf(hhmms)) {
    for (const m of await stats.minutesOf(day, lo, hi)) if (wanted.has(m.period.slice(11))) out.push(m);
  }
  return out;
}

/** What a reader needs of a day not rolled yet: a fold that holds, and the minutes beyond it. */
export interface DayNotRolled {
  series: Series;
  fold: Pick<DaySoFar, 'tokens' | 'payload'>;
  /** The day's minutes with transactions that the fold does not hold, with their payloads. */
  beyond: StoredPeriod[];
}

/** Reads a day not rolled yet through its fold; undefined when it has no series item or no fold that holds (then read every minute). */
export async function readDayNotRolled(day: string, stats: StatsStore): Promise<DayNotRolled | undefined> {
  const [series, fold] = await Promise.all([stats.minuteSeries(day), stats.daySoFarPart(day, 'payload')]);
  if (!series || !fold || !foldHolds(fold, series)) return undefined;
  return { series, fold, beyond: await readMinutes(day, minutesBeyond(fold, series), stats) };
}

/**
 * Merges the systems payloads of a day's minutes `hhmms` (`HH:mm`; the minutes with transactions —
 * an empty minute's systems are empty) into `into`. Read in ranges of at most an hour and decoded
 * one at a time, so a 10× day never holds more than an hour of systems items; a quiet day is a
 * few reads, not one per hour.
 */
export async function mergeMinuteSystems(day: string, stats: StatsStore, into: SystemsStats, hhmms: Iterable<string>): Promise<void> {
  const wanted = new Set(hhmms);
  for (const [lo, hi] of rangesOf([...wanted].sort())) {
    for (const [minute, payload] of await stats.minuteSystemsOf(day, lo, hi)) if (wanted.has(minute.slice(11))) into.merge(payload());
  }
}

/** Every `HH:mm` of a day. */
const ALL_MINUTES = Array.from(
  { length: 1440 },
  (_, i) => `${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`,
);

/** The day's minutes with transactions, by its series item (every minute of the day when it has none). */
export async function busyMinutes(day: string, stats: StatsStore): Promise<string[]> {
  const series = await stats.minuteSeries(day);
  return series ? minutesBeyond(undefined, series) : ALL_MINUTES;
}

/** Merges into `into` the systems of a day not rolled yet through its fold (the fold's and those of the minutes beyond it); false when it has no fold that holds (as for {@link readDayNotRolled}). */
export async function mergeSystemsNotRolled(day: string, stats: StatsStore, into: SystemsStats): Promise<boolean> {
  const [series, fold] = await Promise.all([stats.minuteSeries(day), stats.daySoFarPart(day, 'systems')]);
  if (!series || !fold || !foldHolds(fold, series)) return false;
  into.merge(fold.systems);
  await mergeMinuteSystems(day, stats, into, minutesBeyond(fold, series));
  return true;
}

export type FoldOutcome = 'written' | 'rebuilt' | 'partial' | 'current' | 'no-minutes';

/**
 * Folds a day's final minutes (those before `finalBeforeHhmm`; `24:00` for a whole past day):
 * adds the new ones to the stored fold once `every` of them have gathered, or folds the day again
 * from its minutes when a minute of the fold was rolled again. The minute items are read before
 * their systems items, so a minute rolled in between shows a new token and the fold is not used.
 *
 * Within the run's time budget: once `outOfTime()` says so, the minutes merged so far are
 * written ('partial': a fold of some minutes holds like any other) and the next run goes on from
 * it — a rebuild at 10× takes about a minute here, and a run must not be killed in the middle.
 */
export async function foldDay(
  day: string,
  stats: StatsStore,
  finalBeforeHhmm = '24:00',
  every = FOLD_EVERY_MINUTES,
  outOfTime: () => boolean = () => false,
): Promise<FoldOutcome> {
  const [series, stored] = await Promise.all([stats.minuteSeries(day), stats.daySoFar(day)]);
  if (!series) return 'no-minutes';
  const holds = stored !== undefined && foldHolds(stored, series);
  const base = holds ? stored : undefined;
  const beyond = minutesBeyond(base, series, finalBeforeHhmm);
  if (holds && beyond.length < every) return 'current';
  if (!beyond.length && !stored) return 'no-minutes';
  const minutes = (await readMinutes(day, beyond, stats)).filter((m) => m.token !== undefined);
  const payload = new PeriodStats();
  const systems = new SystemsStats();
  if (base) {
    payload.merge(base.payload);
    systems.merge(base.systems);
  }
  const tokens: Record<string, string> = { ...base?.tokens };
  const merged: string[] = [];
  for (const m of minutes) {
    if (outOfTime()) break;
    payload.merge(m.payload() as PeriodPayload);
    tokens[m.period.slice(11)] = m.token!;
    merged.push(m.period.slice(11));
  }
  if (!merged.length && base) return 'current';
  await mergeMinuteSystems(day, stats, systems, merged);
  await stats.putDaySoFar(day, { tokens, payload: payload.toPayload(), systems: systems.toPayload() });
  return merged.length < minutes.length ? 'partial' : base ? 'written' : 'rebuilt';
}
