/**
 * Rolling minutes and days: recomputed from the event store (the source of truth), written to
 * S3 and the stats table, overwriting the same keys. Independent of Lambda.
 */
import { randomUUID } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { DAY_ROW_COLUMNS, PeriodStats, ROW_COLUMNS, type Granularity, type Row } from '#shared/stats/period.ts';
import { CSV_LIST_SEPARATOR, SYSTEMS_ROW_COLUMNS, SystemsStats, type SystemsRow } from '#shared/stats/systems.ts';
import { dedupeReports, mergeArchived, type MergeConflict } from '#shared/archive.ts';
import { bucketMinute, reportIdOf, type ReportFacts, type TransactionState } from '#shared/report.ts';
import type { Stores } from '#shared/store/stores.ts';
import type { DirtyMark, Quarantined } from '#shared/store/stats.ts';
import { keys } from '#shared/store/bucket.ts';
import { pool } from '#shared/pool.ts';
import { FOLD_EVERY_MINUTES, foldDay, mergeMinuteSystems, type FoldOutcome } from '#shared/day-so-far.ts';
import { runDueReports } from '#shared/reports/generate.ts';
import { isTransient, retryTransient } from '#shared/errors.ts';
import { digestMinute, runAlerts, type AlertDeps, type AlertRunReport, type MinuteDigest } from '#shared/alerts.ts';
import {
  DAY_MS,
  MINUTE_MS,
  TIME_ZONE,
  dayOf,
  dayStartMs,
  minuteKeyOf,
  minuteStartMs,
  periodStartOf,
  splitMinuteKey,
  toIct,
} from '#shared/time.ts';

/** The stores and windows of shared/store/stores.ts, and the schedule's settings. */
export interface RollupDeps extends Stores {
  /** A dirty mark younger than this is rolled but kept: the minute index may not show its item yet. */
  indexLagMs: number;
  /** A minute is rolled once this long has passed after its end. @default 120000 */
  latenessMs: number;
  /** Minutes rolled at once. */
  concurrency: number;
  /** Most minutes one scheduled run rolls (it catches up over the next runs). */
  maxMinutesPerRun: number;
  /** Where a first scheduled run starts, before now. */
  initialLookbackMs: number;
  /** Also roll ended minutes still inside the lateness window, stats items only (fresher API). */
  provisional?: boolean;
  /**
   * How long the rollup lease lasts from its last renewal (a heartbeat every third of it, and each
   * checkpoint): one scheduled run at a time without reserved concurrency.
   */
  leaseMs: number;
  /** Who runs (the lease owner): unique per run unless given. */
  runnerId?: string;
  /** A period that fails this many runs in a row (not counting throttling and 5xx) is quarantined. */
  poisonAttempts: number;
  /** First back-off before the schedule rolls a quarantined period again; doubles each failure, up to a day. */
  quarantineRetryMs: number;
  /**
   * Time this run may spend (wall clock, from its start) before it stops starting new work and
   * saves: the handler sets it from the function's remaining time less a margin. Unset: no limit.
   */
  budgetMs?: number;
  /** Exchange-health alerts (shared/alerts.ts), fed the minutes each run makes final. Unset: none. */
  alerts?: AlertDeps;
  now?: () => number;
}

/** summary.json (CONTRACT.md section 2). */
export interface DaySummary {
  date: string;
  timezone: string;
  transactions: number;
  succeeded: number;
  failed: number;
  ngspTransactions: number;
  avgTransactionsPerMinute: number;
  peakMinute: { periodStart: string; transactions: number } | null;
  distinctSystems: number;
  systems: string[];
  reportingPlatforms: string[];
  conflicts: number;
  rejected: number;
  durationMsP50: number | null;
  durationMsP95: number | null;
  durationMsP99: number | null;
  generatedAt: string;
}

/** JSON lines of rows; an empty period is an empty file. */
export function toJsonLines(rows: readonly unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
}

/** RFC 4180 CSV with a header row and the same columns as the JSON rows (null → empty); day rows add the failure causes. */
export function toCsv(rows: Row[], granularity: Granularity = rows[0]?.granularity ?? 'minute'): string {
  const columns = granularity === 'day' ? DAY_ROW_COLUMNS : ROW_COLUMNS;
  return stringify(rows, { header: true, columns: columns as string[], record_delimiter: '\r\n', cast: { number: (n) => String(n) } });
}

/** *1.1* systems.csv: RFC 4180 with a header row, SYSTEMS_ROW_COLUMNS, `reportingPlatforms` joined by a space. */
export function toSystemsCsv(rows: SystemsRow[]): string {
  return stringify(
    rows.map((r) => ({ ...r, reportingPlatforms: r.reportingPlatforms.join(CSV_LIST_SEPARATOR) })),
    { header: true, columns: SYSTEMS_ROW_COLUMNS as string[], record_delimiter: '\r\n', cast: { number: (n) => String(n) } },
  );
}

/** What a minute roll needs. */
export type MinuteDeps = Pick<RollupDeps, 'events' | 'stats' | 'bucket' | 'archive' | 'pairWindowMs' | 'now'>;

/** A minute's transactions as the counting rules see them, from the archive and the hot store. */
interface ResolvedMinute {
  transactions: TransactionState[];
  /** Whether the minute has an archive object (then it is rewritten even when empty now). */
  archived: boolean;
  conflicts: MergeConflict[];
  /** Hot items to put back in their resolved state (`next` undefined: delete), as read (`seen`). */
  restores: { next: TransactionState | undefined; seen: TransactionState }[];
  /** Other minutes this roll changed the picture of: they must be rolled again. */
  others: Set<string>;
}

const idsOf = (tx: TransactionState | undefined): string =>
  `${tx?.consumer ? reportIdOf(tx.consumer) : ''}|${tx?.provider ? reportIdOf(tx.provider) : ''}`;

/**
 * Rule 8: archive ∪ hot store, merged by the counting rules, so a minute rolls to the same figures
 * whatever DynamoDB has expired.
 * - An archived transaction is merged with its item wherever the item's minute is now (a late
 *   CONSUMER report may have moved it); it stays here only if its merged minute is this one.
 * - A hot transaction not archived here may be one whose earlier reports expired after they were
 *   archived in a neighbouring minute (the two reports of a transaction lie within the pair
 *   window): those archives are searched for it, and for copies of its reports (rule 6).
 * - Where the resolved transaction differs from its item (archived reports back after expiry, a
 *   copy ruled out), the item is restored, so that later reports meet the full transaction and
 *   every later roll, of this minute or another, starts from it.
 */
async function resolveMinute(minute: string, deps: MinuteDeps, final: boolean): Promise<ResolvedMinute> {
  const hot = new Map<string, TransactionState>();
  await deps.events.forEachTransactionPage(minute, (page) => {
    for (const tx of page) hot.set(tx.key, tx);
  });
  const conflicts: MergeConflict[] = [];
  const others = new Set<string>();
  const seen = new Map(hot);
  const archived = final ? await deps.archive.read(minute) : undefined;
  const merged = new Map<string, TransactionState>();
  if (archived) {
    const missing = [...archived.keys()].filter((k) => !hot.has(k));
    const elsewhere = missing.length ? await deps.events.getTransactions(missing) : new Map<string, TransactionState>();
    for (const [k, a] of archived) {
      const h = hot.get(k) ?? elsewhere.get(k);
      if (h) seen.set(k, h);
      merged.set(k, mergeArchived(a, h, conflicts)!);
    }
  }
  const fresh = [...hot.values()].filter((tx) => !merged.has(tx.key));
  const known = new Map<string, { facts: ReportFacts; key: string; slot: string }>();
  if (final && fresh.length && deps.pairWindowMs > 0) {
    const t0 = minuteStartMs(minute);
    const near: string[] = [];
    for (let t = t0 - deps.pairWindowMs; t <= t0 + deps.pairWindowMs; t += MINUTE_MS) if (t !== t0) near.push(minuteKeyOf(t));
    const archives = await Promise.all(near.map(async (m) => [m, await deps.archive.read(m)] as const));
    const found = new Map<string, { minute: string; tx: TransactionState }>();
    for (const [m, txs] of archives) {
      for (const tx of txs?.values() ?? []) {
        found.set(tx.key, { minute: m, tx });
        for (const slot of ['consumer', 'provider'] as const) {
          const facts = tx[slot];
          if (facts) known.set(reportIdOf(facts), { facts, key: tx.key, slot });
        }
      }
    }
    for (const tx of fresh) {
      const there = found.get(tx.key);
      if (there) others.add(there.minute);
      merged.set(tx.key, there ? mergeArchived(there.tx, tx, conflicts)! : tx);
    }
  } else {
    for (const tx of fresh) merged.set(tx.key, tx);
  }
  const resolved = dedupeReports(merged, known);
  const restores: ResolvedMinute['restores'] = [];
  if (final) {
    for (const [k, h] of seen) {
      const next = resolved.get(k);
      if (idsOf(next) === idsOf(h)) continue;
      restores.push({ next, seen: h });
      others.add(bucketMinute(h));
      if (next) others.add(bucketMinute(next));
    }
  }
  others.delete(minute);
  const transactions = [...resolved.values()].filter((tx) => bucketMinute(tx) === minute);
  return { transactions, archived: archived !== undefined, conflicts, restores, others };
}

/**
 * Rolls one minute: writes its S3 file, its archive object and its stats item. A provisional
 * roll (a minute still inside its lateness window) only feeds the API.
 */
export async function rollMinute(minute: string, deps: MinuteDeps, opts: { final?: boolean } = {}): Promise<PeriodStats> {
  const final = opts.final ?? true;
  const view = await resolveMinute(minute, deps, final);
  const stats = new PeriodStats();
  const systems = new SystemsStats();
  for (const tx of view.transactions) {
    stats.addTransaction(tx);
    systems.addTransaction(tx);
  }
  const rows = stats.rows(periodStartOf(minuteStartMs(minute)), 'minute');
  const totals = stats.totals();
  if (final) {
    // Restored items, conflicts found against archived reports and the minutes this roll changed
    // are recorded before anything is published: a crash in between rolls this minute again.
    for (const r of view.restores) await deps.events.restore(r.next, r.seen);
    const marks = new Set<string>(view.others);
    for (const c of view.conflicts) {
      await deps.events.writeConflict({ ...c.report, role: c.role, transactionKey: c.transactionKey });
      marks.add(dayOf(c.report.requestAtMs));
    }
    if (marks.size) await deps.stats.markDirty(marks);
    if (view.transactions.length || view.archived) await deps.archive.write(minute, view.transactions);
    await deps.bucket.put(keys.minute(minute), toJsonLines(rows));
  }
  // The systems item before the minute item: the day roll merges it (a crash in between leaves the minute's mark).
  await deps.stats.putMinuteSystems(minute, systems.toPayload());
  await deps.stats.putMinute(
    minute,
    { transactions: totals.transactions, succeeded: totals.succeeded, durationMsP95: totals.sketch.quantile(0.95) },
    stats.toPayload(),
  );
  return stats;
}

/**
 * A day's systems rows (1.1): merged from its minutes' systems items, written as systems.jsonl,
 * systems.csv and the day's systems item. A phase of its own, before the day rows: at 10× the
 * 2021 volume a day has ~350,000 systems rows, and nothing of them is held once it returns.
 */
async function rollDaySystems(day: string, busy: string[], deps: Pick<RollupDeps, 'stats' | 'bucket'>): Promise<void> {
  const systems = new SystemsStats();
  await mergeMinuteSystems(day, deps.stats, systems, busy);
  await writeSystemsFiles(day, systems, deps.bucket);
  await deps.stats.putDaySystemsRows(day, systems.toPayload());
}

/** systems.jsonl and systems.csv of a day (its rows are let go on return, before the systems payload is made). */
async function writeSystemsFiles(day: string, systems: SystemsStats, bucket: RollupDeps['bucket']): Promise<void> {
  const rows = systems.rows(periodStartOf(dayStartMs(day)), 'day');
  await bucket.put(keys.systemsJsonl(day), toJsonLines(rows));
  await bucket.put(keys.systemsCsv(day), toSystemsCsv(rows));
}

/** A day's rows as rollup.jsonl and rollup.csv; returns its NGSP transactions. */
async function writeDayRows(day: string, stats: PeriodStats, bucket: RollupDeps['bucket']): Promise<number> {
  const rows = stats.rows(periodStartOf(dayStartMs(day)), 'day');
  await bucket.put(keys.dailyJsonl(day), toJsonLines(rows));
  await bucket.put(keys.dailyCsv(day), toCsv(rows, 'day'));
  return rows.filter((r) => r.route === 'NGSP').reduce((n, r) => n + r.transactions, 0);
}

/** Rolls one day from its minutes' stats items: rollup.jsonl, rollup.csv, summary.json, systems.jsonl/.csv (1.1) and the day items. */
export async function rollDay(day: string, deps: Pick<RollupDeps, 'events' | 'stats' | 'bucket' | 'now'>): Promise<DaySummary> {
  // The minute items first (compressed payloads; at 10× ~70 MB): their minutes with transactions are the ones whose systems count.
  const minutes = (await deps.stats.minutesOf(day)).filter((m) => m.transactions > 0);
  await rollDaySystems(
    day,
    minutes.map((m) => m.period.slice(11)),
    deps,
  );
  const stats = new PeriodStats();
  let peak: { minute: string; n: number } | undefined;
  for (const m of minutes) {
    stats.merge(m.payload());
    if (!peak || m.transactions > peak.n || (m.transactions === peak.n && m.period < peak.minute))
      peak = { minute: m.period, n: m.transactions };
  }
  const [conflicts, rejected] = await Promise.all([deps.events.conflictsOn(day), deps.stats.rejectedOn(day)]);
  const ngspTransactions = await writeDayRows(day, stats, deps.bucket);
  const totals = stats.totals();
  const payload = stats.toPayload();
  const summary: DaySummary = {
    date: day,
    timezone: TIME_ZONE,
    transactions: totals.transactions,
    succeeded: totals.succeeded,
    failed: totals.failed,
    ngspTransactions,
    avgTransactionsPerMinute: Math.round((totals.transactions / 1440) * 1000) / 1000,
    peakMinute: peak ? { periodStart: periodStartOf(minuteStartMs(peak.minute)), transactions: peak.n } : null,
    distinctSystems: payload.systems.length,
    systems: payload.systems,
    reportingPlatforms: payload.platforms,
    conflicts,
    rejected,
    durationMsP50: totals.sketch.quantile(0.5),
    durationMsP95: totals.sketch.quantile(0.95),
    durationMsP99: totals.sketch.quantile(0.99),
    generatedAt: toIct((deps.now ?? Date.now)()),
  };
  // One object per line: Athena's JSON SerDe reads the summary table straight from this file.
  await deps.bucket.put(keys.summary(day), JSON.stringify(summary) + '\n');
  // The day item keeps the summary without its systems list (the stats store keeps that apart: 400 KB).
  const { generatedAt: _g, systems: _s, ...stable } = summary;
  await deps.stats.putDay(
    day,
    { transactions: totals.transactions, succeeded: totals.succeeded, durationMsP95: summary.durationMsP95 },
    payload,
    stable,
  );
  // Its fold so far served readers until now (at 10× ~30 MB a day): the day item does from here.
  await deps.stats.deleteDaySoFar(day);
  return summary;
}

export interface RunReport {
  minutes: number;
  days: string[];
  dirty: number;
  watermark: string;
  /** Another runner held the lease: this run did nothing. */
  leaseBusy?: boolean;
  /** Periods in quarantine after the run (alarmed when above 0). */
  quarantined?: number;
  /** The run stopped at its time budget: what is left is rolled by the next runs. */
  outOfTime?: boolean;
  /** Monthly reports written (`YYYY-MM/<subject>`), months still due, and why they stopped if they failed. */
  reports?: { written: string[]; pending: string[]; error?: string };
  /** What the alerts did (when enabled and the run had time), or why they failed (the rollup itself did not). */
  alerts?: AlertRunReport;
  alertsError?: string;
  /** *1.1* Today's fold so far was written (new final minutes added), rebuilt (a minute of it rolled again) or partly done (the time budget: the next run goes on), or why it failed. */
  fold?: FoldOutcome;
  foldError?: string;
}

/** A scheduled run that rolled what it could but failed on some periods (they stay marked). */
export class RollupIncompleteError extends Error {
  constructor(
    readonly failedMinutes: string[],
    readonly failedDays: string[],
    cause: unknown,
  ) {
    super(
      `rollup incomplete: ${failedMinutes.length} minute(s) and ${failedDays.length} day(s) failed and will be rolled again (first error: ${String(cause)})`,
    );
    this.name = 'RollupIncompleteError';
    this.cause = cause;
  }
}

/**
 * One scheduled run: minutes whose lateness window has passed since the last run, then minutes
 * and days marked dirty, then every day whose last minute is now rolled or that had a minute
 * rolled again. Only the holder of the rollup lease runs; another run returns at once.
 *
 * Progress is checkpointed as the run goes (after each chunk of minutes: the watermark, and a
 * mark on every day whose end it passes), and no new chunk or day is started once `budgetMs` is
 * spent: a catch-up run that would outlast the function's timeout saves what it did and the next
 * run goes on from there. A failure of one period does not undo the others: what was rolled is
 * checkpointed (its mark cleared, the watermark moved up to the first failed minute), what failed
 * keeps its mark and is rolled by the next run (a poison period is quarantined after
 * `poisonAttempts` runs), and the run then throws {@link RollupIncompleteError}. Under a
 * sustained share of throttled requests an all-or-nothing run would almost never succeed and
 * rollups would stall; this way every run makes progress.
 */
export async function runScheduled(given: RollupDeps): Promise<RunReport> {
  const clock = given.now ?? Date.now;
  const owner = given.runnerId ?? randomUUID();
  const started = clock();
  if (!(await given.stats.takeLease(owner, started, started + given.leaseMs))) {
    return { minutes: 0, days: [], dirty: 0, watermark: (await given.stats.watermark()) ?? '', leaseBusy: true };
  }
  // Heartbeat: the lease is renewed every third of its length while the run works (a day roll at
  // 10x takes minutes), so a killed run's lease lapses within LEASE_SECONDS, not a whole timeout.
  const heartbeat = setInterval(
    () => {
      void given.stats.renewLease(owner, clock() + given.leaseMs).catch(() => undefined);
    },
    Math.max(1000, Math.floor(given.leaseMs / 3)),
  );
  try {
    return await runHoldingLease(given, owner);
  } finally {
    clearInterval(heartbeat);
    await given.stats.releaseLease(owner).catch(() => undefined); // it expires anyway
  }
}

/** Thrown when a run finds at a checkpoint that its lease expired and another runner took it. */
export class LeaseLostError extends Error {
  constructor() {
    super('rollup lease lost: another runner took it after it expired; this run stops without saving');
    this.name = 'LeaseLostError';
  }
}

async function runHoldingLease(given: RollupDeps, owner: string): Promise<RunReport> {
  const deps = { ...given, archive: given.archive.withRunCache() };
  const clock = deps.now ?? Date.now;
  const now = clock();
  const startedAt = performance.now();
  const outOfTime = (): boolean => deps.budgetMs !== undefined && performance.now() - startedAt >= deps.budgetMs;
  const stored = await deps.stats.watermark();
  const next = stored ?? minuteKeyOf(Math.floor((now - deps.latenessMs - deps.initialLookbackMs) / MINUTE_MS) * MINUTE_MS);
  const minutes: string[] = [];
  let t = minuteStartMs(next);
  // A minute is final once its end plus the lateness window has passed.
  for (; t + MINUTE_MS + deps.latenessMs <= now && minutes.length < deps.maxMinutesPerRun; t += MINUTE_MS) minutes.push(minuteKeyOf(t));
  const end = minuteKeyOf(t);

  const [marks, poison] = await Promise.all([deps.stats.dirtyMarks(deps.maxMinutesPerRun * 4), poisonTracker(deps, now)]);
  // A quarantined minute is rolled only when its back-off is over (its marks wait for that roll).
  const dirtyMinutes = marks.filter((m) => m.kind === 'minute' && poison.mayRoll(m.period)).map((m) => m.period);
  const toRoll = [...new Set([...minutes, ...dirtyMinutes, ...poison.due('minute')])].sort();
  /** The due minutes' figures, for the alerts. */
  const due = new Set(minutes);
  const digests = new Map<string, MinuteDigest>();
  /** Minutes rolled (or quarantined: the watermark goes on without them) by this run. */
  const rolled = new Set<string>();
  const failedMinutes = new Set<string>();
  let firstError: unknown;

  // Checkpoints: the watermark passes the due minutes rolled, in order, and stops at the first
  // that failed or that the run did not reach. A day whose last minute it passes is marked first,
  // so that a run stopped (or killed) before it rolls the day leaves the day to the next run.
  let done = 0;
  let saved = stored;
  const markedDays = new Set(marks.filter((m) => m.kind === 'day').map((m) => m.period));
  const ownDayMarks = new Map<string, DirtyMark>();
  const checkpoint = async (): Promise<string> => {
    while (done < minutes.length && rolled.has(minutes[done]!)) done++;
    const to = done < minutes.length ? minutes[done]! : end;
    if (to === saved) return to;
    // A day already marked keeps its own mark (and its age, for the index lag): it is rolled from it.
    const crossed = minutes
      .slice(0, done)
      .filter((m) => (saved === undefined || m >= saved) && m.endsWith('T23:59'))
      .map((m) => m.slice(0, 10))
      .filter((d) => !markedDays.has(d));
    if (crossed.length) for (const mark of await deps.stats.markDirty(crossed, now)) ownDayMarks.set(mark.period, mark);
    // Only the lease holder moves the watermark.
    if (!(await deps.stats.renewLease(owner, clock() + deps.leaseMs))) throw new LeaseLostError();
    await deps.stats.setWatermark(to);
    saved = to;
    return to;
  };

  // Minutes in chunks of `concurrency`, a checkpoint after each (two writes); no chunk is started
  // once the time budget is spent. Small chunks: a peak minute at 10x takes seconds to roll.
  const chunk = Math.max(1, deps.concurrency);
  let stoppedEarly = false;
  for (let i = 0; i < toRoll.length; i += chunk) {
    if (outOfTime()) {
      stoppedEarly = true;
      break;
    }
    await pool(toRoll.slice(i, i + chunk), deps.concurrency, async (m) => {
      let error: unknown;
      try {
        const stats = await retryTransient(() => rollMinute(m, deps));
        if (deps.alerts && due.has(m)) digests.set(m, digestMinute(m, stats.toPayload()));
      } catch (err) {
        error = err;
      }
      const outcome = await poison.settle(m, error).catch((err: unknown) => {
        if (!error) firstError ??= err;
        return error ? 'failed' : 'rolled';
      });
      if (outcome === 'failed') {
        failedMinutes.add(m);
        firstError ??= error;
      } else rolled.add(m);
    });
    await checkpoint();
  }
  const newNext = await checkpoint();

  // Days: those whose end the watermark passed, and those with a re-rolled minute or a day mark.
  const days = new Set<string>(poison.due('day'));
  for (const m of minutes) if (m.endsWith('T23:59') && m < newNext) days.add(m.slice(0, 10));
  const complete = (day: string): boolean => dayStartMs(day) + DAY_MS <= minuteStartMs(newNext);
  for (const m of dirtyMinutes) if (rolled.has(m) && complete(m.slice(0, 10))) days.add(m.slice(0, 10));
  for (const m of marks) if (m.kind === 'day' && complete(m.period) && poison.mayRoll(m.period)) days.add(m.period);
  // A day with a failed minute is rolled by the run that rolls that minute (a quarantined minute does not hold it).
  const failedDays = new Set([...failedMinutes].map((m) => m.slice(0, 10)).filter((d) => days.has(d)));
  const dayRetries = new Set<string>();
  const deferred = new Set<string>();
  for (const day of [...days].sort()) {
    if (failedDays.has(day)) continue;
    if (outOfTime()) {
      stoppedEarly = true;
      deferred.add(day);
      continue;
    }
    let error: unknown;
    try {
      await retryTransient(() => rollDay(day, deps));
    } catch (err) {
      error = err;
    }
    const outcome = await poison.settle(day, error).catch((err: unknown) => {
      if (!error) firstError ??= err;
      return error ? 'failed' : 'rolled';
    });
    if (outcome !== 'failed') continue;
    firstError ??= error;
    dayRetries.add(day);
  }
  // A day that failed, or that the budget left, is marked for itself: its minutes' marks can go,
  // the next run rolls the day, not every minute again. If it cannot be marked, its minutes keep theirs.
  const dayMarked = new Set([...ownDayMarks.keys(), ...marks.filter((m) => m.kind === 'day').map((m) => m.period)]);
  const toMark = [...dayRetries, ...deferred].filter((d) => !dayMarked.has(d));
  if (
    toMark.length &&
    !(await deps.stats.markDirty(toMark, now).then(
      () => true,
      () => false,
    ))
  )
    for (const d of toMark) failedDays.add(d);

  // Marks go only after their period is rolled; a mark set again meanwhile survives (conditional
  // delete). A minute's mark also stays while its day failed, so the next run rolls the day again.
  // A mark younger than the index lag stays too: the minute index is eventually consistent, so
  // this roll may not have seen the item that set it; the next run rolls the period once more.
  const rolledDay = (d: string): boolean => days.has(d) && !failedDays.has(d) && !dayRetries.has(d) && !deferred.has(d);
  for (const m of [...marks, ...ownDayMarks.values()]) {
    const own = ownDayMarks.get(m.period) === m;
    const ok = m.kind === 'minute' ? rolled.has(m.period) && !failedDays.has(m.period.slice(0, 10)) : rolledDay(m.period);
    if (!ok || (!own && m.at > now - deps.indexLagMs)) continue;
    try {
      await deps.stats.clearDirty(m);
    } catch (err) {
      firstError ??= err; // the period is rolled; the mark rolls it once more, nothing worse
    }
  }
  // Monthly reports (shared/reports/): due once a month's last day is final, again when one of its days rolls again.
  const reports = await runDueReports([...days].filter(rolledDay), minuteStartMs(newNext), deps, outOfTime);
  // Alerts: fed the minutes made final (after them, so a failure here never holds the rollup back).
  let alerts: AlertRunReport | undefined;
  let alertsError: string | undefined;
  if (deps.alerts && !outOfTime()) {
    try {
      alerts = await runAlerts(deps.alerts, minuteKeyOf(minuteStartMs(newNext) - MINUTE_MS), digests);
    } catch (err) {
      alertsError = errorText(err);
    }
  }
  // Today's fold so far (shared/day-so-far.ts): what the API reads instead of today's 1,440 minutes.
  let fold: FoldOutcome | undefined;
  let foldError: string | undefined;
  if (!outOfTime()) {
    try {
      fold = await foldDay(newNext.slice(0, 10), deps.stats, newNext.slice(11), FOLD_EVERY_MINUTES, outOfTime);
    } catch (err) {
      foldError = errorText(err);
    }
  }
  if (!outOfTime()) await rollProvisional(newNext, now, deps);
  for (const d of dayRetries) failedDays.add(d);
  if (failedMinutes.size || failedDays.size) throw new RollupIncompleteError([...failedMinutes].sort(), [...failedDays].sort(), firstError);
  return {
    minutes: rolled.size,
    days: [...days].filter(rolledDay).sort(),
    dirty: marks.length,
    watermark: newNext,
    quarantined: poison.count(),
    ...(stoppedEarly ? { outOfTime: true } : {}),
    ...(reports.written.length || reports.pending.length || reports.error ? { reports } : {}),
    ...(alerts ? { alerts } : {}),
    ...(alertsError ? { alertsError } : {}),
    ...(fold === 'written' || fold === 'rebuilt' || fold === 'partial' ? { fold } : {}),
    ...(foldError ? { foldError } : {}),
  };
}

/**
 * Poison periods: a minute or day whose roll fails `poisonAttempts` runs in a row for a reason
 * other than throttling or a 5xx is quarantined (an item with its error), so the watermark goes
 * on without it; the schedule rolls it again after a back-off that doubles each time (up to a
 * day), and `ngsp quarantine retry` rolls it by hand. A released minute marks its day dirty: the
 * day was rolled without it.
 */
async function poisonTracker(deps: RollupDeps, now: number) {
  const [failures, held] = await Promise.all([deps.stats.failures(), deps.stats.quarantined()]);
  const byPeriod = new Map(held.map((q) => [q.period, q]));
  const backoff = (attempts: number): number => Math.min(DAY_MS, deps.quarantineRetryMs * 2 ** Math.max(0, attempts - deps.poisonAttempts));
  const isDue = (q: Quarantined): boolean => q.retryAt <= now;
  return {
    mayRoll: (period: string): boolean => !byPeriod.has(period) || isDue(byPeriod.get(period)!),
    due: (kind: Quarantined['kind']): string[] => held.filter((q) => q.kind === kind && isDue(q)).map((q) => q.period),
    count: (): number => byPeriod.size,
    /** Records how a roll of `period` ended: 'failed' holds the watermark, 'quarantined' does not. */
    async settle(period: string, error: unknown): Promise<'rolled' | 'failed' | 'quarantined'> {
      const q = byPeriod.get(period);
      if (error === undefined) {
        if (q) {
          await deps.stats.release(period);
          byPeriod.delete(period);
          if (period.length > 10) await deps.stats.markDirty([period.slice(0, 10)]);
        }
        if (failures.has(period)) await deps.stats.clearFailure(period);
        return 'rolled';
      }
      // Throttling and 5xx outlasting the retries hold the watermark, as before: they are not the period's fault.
      if (isTransient(error)) return 'failed';
      const text = errorText(error);
      if (q) {
        const again = { ...q, error: text, attempts: q.attempts + 1, retryAt: now + backoff(q.attempts + 1) };
        await deps.stats.quarantine(again);
        byPeriod.set(period, again);
        return 'quarantined';
      }
      const n = await deps.stats.recordFailure(period, text, now);
      if (n < deps.poisonAttempts) return 'failed';
      const fresh: Quarantined = {
        kind: period.length > 10 ? 'minute' : 'day',
        period,
        error: text,
        attempts: n,
        since: now,
        retryAt: now + backoff(n),
      };
      await deps.stats.quarantine(fresh);
      await deps.stats.clearFailure(period);
      byPeriod.set(period, fresh);
      return 'quarantined';
    },
  };
}

const errorText = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** The outcome of rolling one quarantined period by hand. */
export interface RetryOutcome {
  period: string;
  rolled: boolean;
  error?: string;
}

/**
 * Rolls quarantined periods now (`ngsp quarantine retry`), all or only `period`: a period that
 * rolls leaves the quarantine (a minute marks its day dirty, so the schedule rolls the day again);
 * one that fails stays, with the new error and one more attempt.
 */
export async function retryQuarantined(deps: MinuteDeps, period?: string): Promise<RetryOutcome[]> {
  deps = { ...deps, archive: deps.archive.withRunCache() };
  const held = (await deps.stats.quarantined()).filter((q) => period === undefined || q.period === period);
  const out: RetryOutcome[] = [];
  for (const q of held) {
    try {
      if (q.kind === 'minute') await retryTransient(() => rollMinute(q.period, deps));
      else await retryTransient(() => rollDay(q.period, deps));
    } catch (err) {
      await deps.stats.quarantine({ ...q, error: errorText(err), attempts: q.attempts + 1 });
      out.push({ period: q.period, rolled: false, error: errorText(err) });
      continue;
    }
    await deps.stats.release(q.period);
    await deps.stats.clearFailure(q.period);
    if (q.kind === 'minute') await deps.stats.markDirty([q.period.slice(0, 10)]);
    out.push({ period: q.period, rolled: true });
  }
  return out;
}

/**
 * Provisional stats items for the minutes that have ended but are still inside the lateness
 * window, so the API shows a minute about a minute after it ends instead of after the window.
 * No S3 object is written; the final roll overwrites the item once the minute is due. Best
 * effort: a failure here is repaired by the next run.
 */
async function rollProvisional(firstPending: string, now: number, deps: RollupDeps): Promise<void> {
  if (!deps.provisional) return;
  const current = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const minutes: string[] = [];
  for (let t = minuteStartMs(firstPending); t < current && minutes.length < 10; t += MINUTE_MS) minutes.push(minuteKeyOf(t));
  await pool(minutes, deps.concurrency, async (m) => {
    await rollMinute(m, deps, { final: false }).catch(() => undefined);
  });
}

/**
 * Rolls a range now (the CLI's `rollup --from --to`): every minute in `[fromMs, toMs)`, then every
 * day that the range covers in full or in part.
 */
export async function rollRange(
  fromMs: number,
  toMs: number,
  deps: MinuteDeps & Pick<RollupDeps, 'concurrency'>,
  onProgress?: (done: number, total: number) => void,
): Promise<{ minutes: number; days: string[] }> {
  deps = { ...deps, archive: deps.archive.withRunCache() };
  const minutes: string[] = [];
  for (let t = Math.ceil(fromMs / MINUTE_MS) * MINUTE_MS; t < toMs; t += MINUTE_MS) minutes.push(minuteKeyOf(t));
  const days = [...new Set(minutes.map((m) => splitMinuteKey(m).day))];
  const total = minutes.length + days.length;
  let done = 0;
  await pool(minutes, deps.concurrency, async (m) => {
    await rollMinute(m, deps);
    onProgress?.(++done, total);
  });
  for (const d of days) {
    await rollDay(d, deps);
    onProgress?.(++done, total);
  }
  return { minutes: minutes.length, days };
}

export { dayOf };
