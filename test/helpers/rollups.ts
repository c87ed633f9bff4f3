/**
 * Waiting for the pipeline to settle and comparing what it published with the brute-force
 * oracle of test/helpers/stream.ts (the approach of test/integration/rollup.test.ts, per day).
 */
import { expect } from 'vitest';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Row } from '#shared/stats/period.ts';
import { keys, type RollupBucket } from '#shared/store/bucket.ts';
import type { StatsStore } from '#shared/store/stats.ts';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { expectRowsMatch, parseJsonLines } from './compare.ts';
import { queueDepth } from './stack.ts';
import { dayOfMs, oracleRows, oracleSummary, oracleTransactions, type Stream } from './stream.ts';

/** Every valid, duplicate, conflicting and invalid event of a stream, in one list. */
export function allEvents(s: Stream): unknown[] {
  return [...s.valid, ...s.duplicates, ...s.conflicts, ...s.invalid.map((i) => i.event)];
}

/** Days a stream's transactions fall on. */
export function daysOf(valid: ExchangeEvent[]): string[] {
  return [...new Set(valid.map((e) => dayOfMs(Date.parse(e.requestAt))))].sort();
}

/**
 * Waits until the ingest queue is empty and the scheduled rollup has cleared every dirty mark
 * (marks are written before a message is acknowledged, so by then every report is rolled).
 */
export async function waitForSettled(sqs: SQSClient, queueUrl: string, stats: StatsStore, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let calm = 0;
  while (calm < 2) {
    if (Date.now() > end) {
      throw new Error(
        `not settled after ${timeoutMs} ms: ${await queueDepth(sqs, queueUrl)} messages, ${(await stats.dirtyMarks()).length} dirty marks`,
      );
    }
    const busy = (await queueDepth(sqs, queueUrl)) > 0 || (await stats.dirtyMarks(1)).length > 0;
    calm = busy ? 0 : calm + 1;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Asserts every minute file, the day file and the summary of each day equal the oracle. */
export async function expectDaysMatch(
  bucket: RollupBucket,
  days: string[],
  valid: ExchangeEvent[],
  conflicts: ExchangeEvent[],
): Promise<{ minutes: number; transactions: number }> {
  const txs = oracleTransactions(valid);
  const minutes = oracleRows(txs, 'minute');
  const dayRows = oracleRows(txs, 'day');
  let checked = 0;
  let transactions = 0;
  for (const day of days) {
    const files = new Map<string, Row[]>();
    for (const key of await bucket.list(`rollups/minute/date=${day}/`)) {
      const hhmm = key.slice(-10, -6);
      files.set(`${day}T${hhmm.slice(0, 2)}:${hhmm.slice(2)}`, parseJsonLines<Row>(await bucket.get(key)));
    }
    for (const minute of minutes.keys()) if (minute.startsWith(day)) expect(files.has(minute), `minute file ${minute}`).toBe(true);
    for (const [minute, rows] of files) {
      expectRowsMatch(rows, minutes.has(minute) ? [...minutes.get(minute)!.values()] : [], minute);
      checked++;
    }
    const rows = parseJsonLines<Row>(await bucket.get(keys.dailyJsonl(day)));
    expectRowsMatch(rows, dayRows.has(day) ? [...dayRows.get(day)!.values()] : [], day);
    const summary = JSON.parse((await bucket.get(keys.summary(day)))!) as Record<string, unknown>;
    const {
      date,
      timezone,
      transactions: n,
      succeeded,
      failed,
      ngspTransactions,
      avgTransactionsPerMinute,
      peakMinute,
      distinctSystems,
      systems,
      reportingPlatforms,
    } = summary;
    expect(
      {
        date,
        timezone,
        transactions: n,
        succeeded,
        failed,
        ngspTransactions,
        avgTransactionsPerMinute,
        peakMinute,
        distinctSystems,
        systems,
        reportingPlatforms,
      },
      day,
    ).toEqual(oracleSummary(txs, day));
    expect(summary.conflicts, `${day} conflicts`).toBe(conflicts.filter((c) => dayOfMs(Date.parse(c.requestAt)) === day).length);
    transactions += n as number;
  }
  return { minutes: checked, transactions };
}

export interface RejectedLineRead {
  messageId: string;
  index: number | null;
  source: string;
  platformId?: string;
  reportedPlatformId?: string;
  senderId?: string;
  errors: { path: string; message: string }[];
  body: string;
  /** The `platform=` folder the line was read from. */
  folder?: string;
}

/** Every rejected line of a day, in every platform's folder (readers list `rejected/` recursively). */
export async function rejectedLinesOf(bucket: RollupBucket, day: string): Promise<RejectedLineRead[]> {
  const out: RejectedLineRead[] = [];
  for (const key of await bucket.list(keys.rejectedRoot)) {
    if (!key.includes(`/date=${day}/`)) continue;
    const folder = keys.rejectedPlatformOf(key);
    out.push(...parseJsonLines<RejectedLineRead>(await bucket.get(key)).map((l) => ({ ...l, ...(folder ? { folder } : {}) })));
  }
  return out;
}
