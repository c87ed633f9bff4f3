/**
 * "Exact for years" (CONTRACT.md rules 6 and 8), end to end: three days of traffic ingested and
 * rolled by the schedule; then every hot-store item deleted, as DynamoDB's TTL would; then late
 * CONSUMER reports, resends (same ids, same eventId with another or an added transactionId,
 * role flipped), conflicts with other facts and brand-new transactions for those days; the
 * schedule rolls them and every published file must equal a brute-force oracle of the rules.
 * Finally, with the hot store empty again, `ngsp rollup` (rollRange) over the same range must
 * reproduce every file byte for byte (summary.json but its `generatedAt`).
 *
 * Run against the embedded emulator and against the official DynamoDB Local.
 */
import { expect } from 'vitest';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { rollRange } from '#shared/rollup.ts';
import { expireEveryHotItem } from './expire.ts';
import { toBodies } from './messages.ts';
import { expectDaysMatch, waitForSettled } from './rollups.ts';
import { sendBodies, waitForEmptyQueue, type TestStack } from './stack.ts';
import { dayOfMs, generateStream, rng, type Stream } from './stream.ts';

/** Three days, windows over both ICT midnights and a UTC midnight. */
const WINDOWS: [string, number][] = [
  ['2020-11-17T23:52:00+07:00', 14],
  ['2020-11-18T06:52:00+07:00', 14],
  ['2020-11-19T23:52:00+07:00', 14],
];
export const ARCHIVE_DAYS = ['2020-11-17', '2020-11-18', '2020-11-19', '2020-11-20'];

/** Settings for a schedule that rolls every 2 s with a 5 s lateness window. */
export const FAST_SCHEDULE = {
  NGSP_SCHEDULE_SECONDS: '2',
  LATENESS_SECONDS: '5',
  DIRTY_MARGIN_SECONDS: '2',
  INITIAL_LOOKBACK_MINUTES: '1',
  INDEX_LAG_SECONDS: '1',
};

function streams(prefix: string, transactions: number, seed: number): Stream {
  const parts = WINDOWS.map(([start, minutes], i) =>
    generateStream({
      seed: seed + i,
      prefix: `${prefix}${i}`,
      startMs: Date.parse(start),
      spanMs: minutes * 60_000,
      transactions,
      pairShare: 0.6,
      crossMinuteShare: 0.4,
      duplicateShare: 0.1,
      conflictShare: 0.02,
      invalidShare: 0.02,
    }),
  );
  return {
    valid: parts.flatMap((p) => p.valid),
    duplicates: parts.flatMap((p) => p.duplicates),
    conflicts: parts.flatMap((p) => p.conflicts),
    invalid: parts.flatMap((p) => p.invalid),
  };
}

const reportId = (e: ExchangeEvent): string => `${e.reporter.platformId}#${e.eventId}`;
const txKey = (e: ExchangeEvent): string => (e.transactionId ? `T#${e.transactionId}` : `E#${e.reporter.platformId}#${e.eventId}`);

/**
 * The rules applied to reports in the order they count: rule 1/6 (one report per platform and
 * eventId, whatever else changed), rule 2 (the first report of a role stands; another is a conflict).
 */
export class RulesOracle {
  readonly counted: ExchangeEvent[] = [];
  readonly conflicts: ExchangeEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly slots = new Set<string>();

  apply(events: ExchangeEvent[]): void {
    for (const e of events) {
      if (this.seen.has(reportId(e))) continue;
      this.seen.add(reportId(e));
      const slot = `${txKey(e)}|${e.reporter.role}`;
      if (this.slots.has(slot)) this.conflicts.push(e);
      else {
        this.slots.add(slot);
        this.counted.push(e);
      }
    }
  }
}

export interface ScenarioFigures {
  phase1Reports: number;
  hotItemsExpired: number;
  late: number;
  resends: number;
  changedTransaction: number;
  flipped: number;
  lateConflicts: number;
  brandNew: number;
  checkedMinutes: number;
  transactions: number;
  rerolledObjects: number;
}

/** The scenario's event sets for a seed (phase 1, its duplicates and conflicts, phase 2's kinds). */
export function scenarioSets(seed: number) {
  const s = streams('ar', 110, seed);
  const r = rng(seed);
  // Phase 2's sets, each on transactions of its own (so their order among themselves is free).
  const pairedTx = new Set(s.valid.filter((e) => e.reporter.role === 'PROVIDER' && e.transactionId).map((e) => e.transactionId));
  const late = s.valid.filter((e, i) => e.reporter.role === 'CONSUMER' && pairedTx.has(e.transactionId) && i % 3 === 0);
  const used = new Set(late.map(txKey));
  const take = (n: number, ok: (e: ExchangeEvent) => boolean): ExchangeEvent[] => {
    const out: ExchangeEvent[] = [];
    for (const e of s.valid) {
      if (out.length >= n) break;
      if (used.has(txKey(e)) || !ok(e) || r() < 0.5) continue;
      out.push(e);
      used.add(txKey(e));
    }
    return out;
  };
  const resendSame = take(25, () => true).map((e) => structuredClone(e));
  const changedTx = [
    ...take(15, (e) => e.transactionId !== undefined).map((e) => ({ ...structuredClone(e), transactionId: `${e.transactionId}-resent` })),
    ...take(6, (e) => e.transactionId === undefined).map((e) => ({ ...structuredClone(e), transactionId: `${e.eventId}-added` })),
  ];
  const flipped = take(15, () => true).map((e) => {
    const c = structuredClone(e);
    c.reporter.role = e.reporter.role === 'CONSUMER' ? 'PROVIDER' : 'CONSUMER';
    return c;
  });
  const lateConflicts = take(12, (e) => e.transactionId !== undefined).map((e) => ({
    ...structuredClone(e),
    eventId: `${e.eventId}-late-conflict`,
    succeeded: !e.succeeded,
    responseAt: e.requestAt,
    ...(e.succeeded ? { errorCategory: 'TARGET' as const } : { errorCategory: undefined }),
  }));
  for (const c of lateConflicts) if (c.errorCategory === undefined) delete (c as { errorCategory?: string }).errorCategory;
  const brandNew = streams('nw', 35, seed + 50).valid;

  const lateIds = new Set(late.map(reportId));
  const phase1 = s.valid.filter((e) => !lateIds.has(reportId(e)));
  const phase1Extra = [
    ...s.duplicates.filter((d) => !lateIds.has(reportId(d))),
    ...s.conflicts.filter((c) => !lateIds.has(`${c.reporter.platformId}#${c.eventId.replace(/-again$/, '')}`)),
  ];
  const phase2 = [...late, ...resendSame, ...changedTx, ...flipped, ...lateConflicts, ...brandNew];

  return { s, late, resendSame, changedTx, flipped, lateConflicts, brandNew, phase1, phase1Extra, phase2 };
}

/** Runs the whole scenario on a stack with the ingest and rollup workers (FAST_SCHEDULE). */
export async function runArchiveScenario(t: TestStack, seed = 500): Promise<ScenarioFigures> {
  const { s, late, resendSame, changedTx, flipped, lateConflicts, brandNew, phase1, phase1Extra, phase2 } = scenarioSets(seed);
  const sqs = t.stack.clients.sqs;
  const queueUrl = t.stack.resources.queueUrl;

  const oracle = new RulesOracle();
  oracle.apply([...phase1, ...phase1Extra]);

  // Phase 1: ingest and let the schedule roll (every minute with a report was marked dirty).
  await sendBodies(sqs, queueUrl, toBodies([...phase1, ...phase1Extra, ...s.invalid.map((i) => i.event)], seed, 10));
  await waitForSettled(sqs, queueUrl, t.stats, 240_000);
  await expectDaysMatch(t.bucket, ARCHIVE_DAYS, oracle.counted, oracle.conflicts);

  // Every hot item goes, as TTL would take it (conflict records carry no TTL and stay).
  const names = t.stack.resources.names;
  const expired = await expireEveryHotItem(t.stack.clients.ddb, names.tables.Events);
  expect(expired).toBeGreaterThan(phase1.length / 2);
  // The minute journal's entries expire with the hot window too.
  expect(await expireEveryHotItem(t.stack.clients.ddb, names.tables.Stats)).toBeGreaterThan(0);

  // Phase 2: what arrives after expiry.
  oracle.apply(phase2);
  await sendBodies(sqs, queueUrl, toBodies(phase2, seed + 1, 10));
  await waitForEmptyQueue(sqs, queueUrl);
  await waitForSettled(sqs, queueUrl, t.stats, 240_000);
  const checked = await expectDaysMatch(t.bucket, ARCHIVE_DAYS, oracle.counted, oracle.conflicts);

  // Phase 3: the hot store empty again; rolling the whole range reproduces every file.
  const snapshot = async (): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    for (const prefix of ['rollups/', 'archive/']) {
      for (const key of await t.bucket.list(prefix)) {
        if (!ARCHIVE_DAYS.some((d) => key.includes(`date=${d}/`))) continue;
        const bytes = Buffer.from((await t.bucket.getBytes(key))!);
        out.set(key, key.endsWith('summary.json') ? bytes.toString('utf8').replace(/"generatedAt":"[^"]*"/, '') : bytes.toString('base64'));
      }
    }
    return out;
  };
  const before = await snapshot();
  await expireEveryHotItem(t.stack.clients.ddb, names.tables.Events);
  await expireEveryHotItem(t.stack.clients.ddb, names.tables.Stats);
  for (const [start, minutes] of WINDOWS) {
    const from = Date.parse(start) - 10 * 60_000;
    await rollRange(from, from + (minutes + 20) * 60_000, { ...t, concurrency: 8 });
  }
  const after = await snapshot();
  for (const [key, value] of before) expect(after.get(key), key).toBe(value);
  // Only empty minute files of minutes that never had a transaction are new.
  for (const key of after.keys()) if (!before.has(key)) expect(after.get(key), key).toBe('');
  expect([...before.keys()].filter((k) => k.startsWith('archive/')).length).toBeGreaterThan(30);

  return {
    phase1Reports: phase1.length,
    hotItemsExpired: expired,
    late: late.length,
    resends: resendSame.length,
    changedTransaction: changedTx.length,
    flipped: flipped.length,
    lateConflicts: lateConflicts.length,
    brandNew: brandNew.length,
    checkedMinutes: checked.minutes,
    transactions: checked.transactions,
    rerolledObjects: before.size,
  };
}

export { dayOfMs };
