/**
 * Rollups end to end: a 3-day stream crossing ICT and UTC midnights, sent through SQS, rolled,
 * and compared with a brute-force oracle; late CONSUMER reports after the roll are picked up by
 * the scheduled rollup alone; re-rolling is byte-identical; CSV equals JSON lines. The systems
 * rows (1.1) are checked against the oracle at every step, in JSON lines and CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { rollRange } from '#shared/rollup.ts';
import { keys } from '#shared/store/bucket.ts';
import type { Row } from '#shared/stats/period.ts';
import { SYSTEMS_KEY_COLUMNS, type SystemsRow } from '#shared/stats/systems.ts';
import {
  generateStream,
  oracleRows,
  oracleSummary,
  oracleSystemsRows,
  oracleTransactions,
  dayOfMs,
  type Stream,
} from '../helpers/stream.ts';
import { toBodies } from '../helpers/messages.ts';
import { expectRowsMatch, expectSystemsRowsMatch, parseJsonLines } from '../helpers/compare.ts';
import { sendBodies, startTestStack, waitForEmptyQueue, type TestStack } from '../helpers/stack.ts';

// Three days, 2024-12-30 .. 2025-01-01 ICT, in windows around both ICT midnights (17:00 UTC) and
// both UTC midnights (07:00 ICT), and the new year: dense traffic where the boundaries are.
const WINDOWS: [string, number][] = [
  ['2024-12-30T22:40:00+07:00', 50],
  ['2024-12-31T06:40:00+07:00', 40],
  ['2024-12-31T23:30:00+07:00', 60],
  ['2025-01-01T06:50:00+07:00', 30],
  ['2025-01-01T23:45:00+07:00', 30],
];
const DAYS = ['2024-12-30', '2024-12-31', '2025-01-01', '2025-01-02'];

function windowedStream(): Stream {
  const parts = WINDOWS.map(([start, minutes], i) =>
    generateStream({
      seed: 99 + i,
      prefix: `w${i}`,
      startMs: Date.parse(start),
      spanMs: minutes * 60_000,
      transactions: 500,
      pairShare: 0.6,
      crossMinuteShare: 0.4,
      duplicateShare: 0.2,
      conflictShare: 0.01,
      invalidShare: 0.05,
    }),
  );
  return {
    valid: parts.flatMap((p) => p.valid),
    duplicates: parts.flatMap((p) => p.duplicates),
    conflicts: parts.flatMap((p) => p.conflicts),
    invalid: parts.flatMap((p) => p.invalid),
  };
}

describe('rollups equal the oracle', () => {
  let t: TestStack;
  const s = windowedStream();
  // CONSUMER reports of cross-minute pairs arrive last, after everything was rolled: they move their transaction.
  const pairKeys = new Set(s.valid.filter((e) => e.reporter.role === 'PROVIDER' && e.transactionId).map((e) => e.transactionId));
  const late = s.valid.filter((e, i) => e.reporter.role === 'CONSUMER' && pairKeys.has(e.transactionId) && i % 3 === 0);
  const lateIds = new Set(late.map((e) => e.eventId));
  const early = s.valid.filter((e) => !lateIds.has(e.eventId));
  // A conflicting copy carries the same facts: sent early it would stand in for its late original.
  const earlyConflicts = s.conflicts.filter((c) => !lateIds.has(c.eventId.replace(/-again$/, '')));
  const lateConflicts = s.conflicts.filter((c) => lateIds.has(c.eventId.replace(/-again$/, '')));

  beforeAll(async () => {
    t = await startTestStack({
      functions: ['ingest', 'rollup'],
      workerEnv: {
        NGSP_SCHEDULE_SECONDS: '2',
        LATENESS_SECONDS: '5',
        DIRTY_MARGIN_SECONDS: '2',
        INITIAL_LOOKBACK_MINUTES: '1',
        INDEX_LAG_SECONDS: '1',
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function minuteRowsOf(day: string): Promise<Map<string, Row[]>> {
    const out = new Map<string, Row[]>();
    for (const key of await t.bucket.list(`rollups/minute/date=${day}/`)) {
      const hhmm = key.slice(-10, -6);
      out.set(`${day}T${hhmm.slice(0, 2)}:${hhmm.slice(2)}`, parseJsonLines<Row>(await t.bucket.get(key)));
    }
    return out;
  }

  async function expectAllMatch(valid = s.valid, conflicts = s.conflicts): Promise<void> {
    const txs = oracleTransactions(valid);
    const minutes = oracleRows(txs, 'minute');
    const days = oracleRows(txs, 'day');
    const systemsOracle = oracleSystemsRows(txs);
    for (const day of DAYS) {
      const files = await minuteRowsOf(day);
      for (const minute of minutes.keys()) if (minute.startsWith(day)) expect(files.has(minute), `minute file ${minute}`).toBe(true);
      for (const [minute, rows] of files) expectRowsMatch(rows, minutes.has(minute) ? [...minutes.get(minute)!.values()] : [], minute);
      const dayRows = parseJsonLines<Row>(await t.bucket.get(keys.dailyJsonl(day)));
      expectRowsMatch(dayRows, days.has(day) ? [...days.get(day)!.values()] : [], day);
      const summary = JSON.parse((await t.bucket.get(keys.summary(day)))!) as Record<string, unknown>;
      const {
        date,
        timezone,
        transactions,
        succeeded,
        failed,
        ngspTransactions,
        avgTransactionsPerMinute,
        peakMinute,
        distinctSystems,
        systems,
        reportingPlatforms,
      } = summary;
      expect({
        date,
        timezone,
        transactions,
        succeeded,
        failed,
        ngspTransactions,
        avgTransactionsPerMinute,
        peakMinute,
        distinctSystems,
        systems,
        reportingPlatforms,
      }).toEqual(oracleSummary(txs, day));
      expect(summary.conflicts).toBe(conflicts.filter((c) => dayOfMs(Date.parse(c.requestAt)) === day).length);
      expect(summary.rejected).toBe(0); // rejections count on the day they were received (today)
      expect(typeof summary.generatedAt).toBe('string');
      // 1.1: the systems rows, merged from the minutes' systems items, equal the oracle; CSV holds the same rows.
      const systemsRows = parseJsonLines<SystemsRow>(await t.bucket.get(keys.systemsJsonl(day)));
      expectSystemsRowsMatch(systemsRows, [...(systemsOracle.get(day)?.values() ?? [])], `${day} systems`);
      const systemsCsv = parse((await t.bucket.get(keys.systemsCsv(day)))!, {
        columns: true,
        cast: (v, ctx) =>
          ctx.header || ['periodStart', 'granularity', ...SYSTEMS_KEY_COLUMNS].includes(String(ctx.column))
            ? v
            : ctx.column === 'reportingPlatforms'
              ? v.split(' ')
              : v === ''
                ? null
                : Number(v),
      }) as Record<string, unknown>[];
      expect(systemsCsv, `${day} systems.csv`).toEqual(systemsRows);
    }
  }

  it('given the stream ingested and rolled, then every minute file, day file and summary equals the oracle', async () => {
    // Prepare
    const bodies = toBodies(
      [...early, ...s.duplicates.filter((d) => !lateIds.has(d.eventId)), ...earlyConflicts, ...s.invalid.map((i) => i.event)],
      5,
    );
    const t0 = Date.now();
    await sendBodies(t.stack.clients.sqs, t.stack.resources.queueUrl, bodies);
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
    console.log(`${bodies.length} messages ingested in ${Date.now() - t0} ms`);

    // Act: nothing but the schedule: every minute that received a (historical) report was marked dirty.
    // Assess
    const t1 = Date.now();
    await untilMatch(early, earlyConflicts);
    console.log(`rolled by the schedule ${Date.now() - t1} ms after the queue drained`);
  }, 300_000);

  /** Waits for the scheduled rollup to clear every dirty mark, then expects the files to match. */
  async function untilMatch(valid = s.valid, conflicts = s.conflicts): Promise<void> {
    const deadline = Date.now() + 240_000;
    let last: unknown;
    for (;;) {
      const marks = await t.stats.dirtyMarks();
      if (!marks.length) {
        try {
          await expectAllMatch(valid, conflicts);
          return;
        } catch (err) {
          last = err;
        }
      }
      if (Date.now() > deadline) throw last ?? new Error(`${marks.length} dirty marks left`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  it('given a day rolled again by the CLI path, then every object is byte-identical (but generatedAt) and no key is added', async () => {
    const snapshot = async () => {
      const all = new Map<string, string>();
      // Only the test's days: the schedule keeps rolling today's minutes meanwhile.
      for (const k of (await t.bucket.list('rollups/')).filter((key) => DAYS.some((d) => key.includes(`date=${d}/`)))) {
        const text = (await t.bucket.get(k))!;
        all.set(k, k.endsWith('summary.json') ? text.replace(/"generatedAt":\s*"[^"]+"/, '') : text);
      }
      return all;
    };
    // `ngsp rollup --from 2024-12-31T22:00:00+07:00 --to 2025-01-01T02:00:00+07:00`: 240 minutes and two days.
    const [from, to] = [Date.parse('2024-12-31T22:00:00+07:00'), Date.parse('2025-01-01T02:00:00+07:00')];
    await rollRange(from, to, { ...t, concurrency: 8 });
    const before = await snapshot();
    await rollRange(from, to, { ...t, concurrency: 8 });
    const after = await snapshot();
    const rolled = [...after.keys()].filter((k) => /minute\/date=2024-12-31\/(2[23])|minute\/date=2025-01-01\/(0[01])/.test(k));
    expect(rolled).toHaveLength(240);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [k, v] of before) expect(after.get(k), k).toBe(v);
  }, 300_000);

  it('given the CSV and JSON lines of each day, then they hold the same rows', async () => {
    for (const day of DAYS) {
      const json = parseJsonLines<Row>(await t.bucket.get(keys.dailyJsonl(day)));
      const numeric = new Set([
        'transactions',
        'succeeded',
        'failed',
        'pairedTransactions',
        'requestBytes',
        'responseBytes',
        'durationMsP50',
        'durationMsP95',
        'durationMsP99',
        'durationMsMax',
        'failedAuth',
        'failedThrottled',
        'failedTarget',
        'failedTimeout',
        'failedValidation',
        'failedOther',
        'failedUnspecified',
      ]);
      const csv = parse((await t.bucket.get(keys.dailyCsv(day)))!, {
        columns: true,
        cast: (v, ctx) => (ctx.header || !numeric.has(String(ctx.column)) ? v : v === '' ? null : Number(v)),
      }) as Record<string, unknown>[];
      expect(json.length).toBeGreaterThan(0);
      expect(csv).toEqual(json);
    }
  });

  it('given late CONSUMER reports after the roll, when only the schedule runs, then minutes and days reflect them', async () => {
    // Act: late reports move transactions to other minutes (and sometimes other days)
    await sendBodies(t.stack.clients.sqs, t.stack.resources.queueUrl, toBodies([...late, ...lateConflicts], 8));
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
    // Assess: the scheduled rollup (every 2 s here) clears the dirty marks; then the files match.
    await untilMatch();
  }, 300_000);
});
