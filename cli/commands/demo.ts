/**
 * `ngsp demo`, which `npm start` runs once the local stack is ready: replays one full day of the 2020 profile (about 26,000 transactions on a
 * weekday, 9 million a year) into the local stack through SQS, waits for the queue to drain,
 * rolls the day and prints what a newcomer should look at. Event ids are deterministic, so a
 * restart resends duplicates (never counted twice); a day already rolled with the expected
 * figures is only summarised again.
 */
import { rollRange, type DaySummary } from '#shared/rollup.ts';
import { keys } from '#shared/store/bucket.ts';
import { queueDepth } from '#shared/store/queue.ts';
import { DAY_MS, dayStartMs } from '#shared/time.ts';
import { DayTraffic } from '#shared/traffic/generate.ts';
import { averageDailyTransactions, profile } from '#shared/traffic/profile.ts';
import { n, progressBar, type Io } from '../io.ts';
import { EventSender } from '../lib/sender.ts';
import { storesOf, type Target } from '../target.ts';

export interface DemoResult {
  day: string;
  summary: DaySummary;
  expected: DayTraffic['expected'] | undefined;
  sendSeconds: number;
  drainSeconds: number;
  rollSeconds: number;
  /** Events per second from the first send to the drained queue. */
  ingestRate: number;
  skipped: boolean;
}

/** Replays, drains, rolls and summarises the demo day (also used by the tests). */
export async function replayDemoDay(
  target: Target,
  io: Io,
  opts: { day?: string; scale?: number; force?: boolean } = {},
): Promise<DemoResult> {
  const p = profile('2020');
  const day = opts.day ?? p.demoDay;
  const gen = { seed: p.seed, scale: opts.scale ?? 1 };
  const deps = { ...storesOf(target), concurrency: 8 };
  const { bucket } = deps;
  const traffic = new DayTraffic(p, day, gen);
  if (!opts.force) {
    const previous = await bucket.get(keys.summary(day));
    const summary = previous ? (JSON.parse(previous) as DaySummary) : undefined;
    if (summary && summary.transactions === traffic.transactions) {
      return { day, summary, expected: undefined, sendSeconds: 0, drainSeconds: 0, rollSeconds: 0, ingestRate: 0, skipped: true };
    }
  }
  io.note(
    `demo: replaying ${day}, a weekday of the 2020 profile (${n(traffic.transactions)} transactions), into the local stack through SQS...`,
  );
  const t0 = Date.now();
  const estimate = Math.round(traffic.transactions * (1 + p.pairedShare) * (1 + p.duplicateShare));
  const sendBar = progressBar(io, 'demo: send ', estimate, 'events');
  const sender = new EventSender(target, {
    via: 'sqs',
    envelope: 100,
    concurrency: 4,
    onProgress: (s) => sendBar.update(Math.min(s.sent, estimate)),
  });
  try {
    for (const event of traffic.events()) await sender.add(JSON.stringify(event), event.reporter.platformId);
    await sender.close();
  } finally {
    sendBar.stop();
  }
  const t1 = Date.now();
  const initial = await queueDepth(target.clients.sqs, target.queueUrl);
  const drainBar = progressBar(io, 'demo: ingest', Math.max(1, initial), 'messages left');
  let empties = 0;
  try {
    while (empties < 2) {
      const left = await queueDepth(target.clients.sqs, target.queueUrl);
      drainBar.update(Math.max(0, initial - left));
      empties = left === 0 ? empties + 1 : 0;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    drainBar.stop();
  }
  const t2 = Date.now();
  const rollBar = progressBar(io, 'demo: rollup', 1441, 'periods');
  try {
    await rollRange(dayStartMs(day), dayStartMs(day) + DAY_MS, deps, (done, total) => {
      rollBar.setTotal(total);
      rollBar.update(done);
    });
  } finally {
    rollBar.stop();
  }
  const t3 = Date.now();
  const summary = JSON.parse((await bucket.get(keys.summary(day)))!) as DaySummary;
  return {
    day,
    summary,
    expected: traffic.expected,
    skipped: false,
    sendSeconds: (t1 - t0) / 1000,
    drainSeconds: (t2 - t1) / 1000,
    rollSeconds: (t3 - t2) / 1000,
    ingestRate: sender.stats.sent / Math.max(0.001, (t2 - t0) / 1000),
  };
}

/** The dashboard opened on one day (`/?date=YYYY-MM-DD`): what the demo prints for its day. */
export function dashboardLink(apiUrl: string, day: string): string {
  return `${apiUrl.replace(/\/$/, '')}/?date=${day}`;
}

/** The lines printed after the demo (the local stack's API and keys come from its stack.json, as the target). */
export function demoSummaryLines(r: DemoResult, target: Target, dataDir = '.local'): string[] {
  const s = r.summary;
  const p = profile('2020');
  const analyst = target.apiKeys?.analyst ?? '(see stack.json)';
  const api = target.apiUrl || '(the API is not running)';
  return [
    `DEMO ${r.day} (2020 profile${r.skipped ? ', already replayed and rolled' : ''}):`,
    `  transactions         ${n(s.transactions)} (profile: ${n(Math.round(averageDailyTransactions(p)))} a day on average, 9 million a year)`,
    `  average per minute   ${s.avgTransactionsPerMinute.toFixed(1)} (public figure: 18)`,
    `  peak minute          ${s.peakMinute ? `${s.peakMinute.transactions} at ${s.peakMinute.periodStart.slice(11, 16)}` : '-'}`,
    `  connected systems    ${s.distinctSystems} (profile: ${p.connectedSystems}, "over 200")`,
    `  reporting platforms  ${s.reportingPlatforms.length} (NGSP + every ministry and province LGSP)`,
    `  failed               ${n(s.failed)}   conflicts ${n(s.conflicts)}   rejected ${n(s.rejected)}`,
    ...(r.skipped
      ? []
      : [
          `  timing               send ${r.sendSeconds.toFixed(0)} s, ingest drained after ${r.drainSeconds.toFixed(0)} s more (${n(Math.round(r.ingestRate))} events/s), rollup ${r.rollSeconds.toFixed(0)} s`,
        ]),
    `Where to look:`,
    `  dashboard            ${target.apiUrl ? dashboardLink(target.apiUrl, r.day) : api}  (key: the analyst key below; without ?date= it shows today, or the latest day with data)`,
    `  rollup files         ${dataDir}/s3/${target.bucket}/rollups/daily/date=${r.day}/ and rollups/minute/date=${r.day}/ (plain files)`,
    `  API                  curl -H "x-api-key: ${analyst}" "${api}/v1/metrics/summary?from=${r.day}&to=${r.day}"`,
    `  CLI                  npm run ngsp -- download --from ${r.day} --to ${r.day} --format csv --out ./rollups-demo`,
  ];
}

/**
 * `ngsp demo`: replays the demo day into the local stack and prints where to look. A failure is
 * reported and not fatal: the stack keeps running (npm start waits for this command only).
 */
export async function demo(target: Target, io: Io, opts: { force?: boolean } = {}): Promise<void> {
  const started = Date.now();
  try {
    const result = await replayDemoDay(target, io, opts);
    for (const line of demoSummaryLines(result, target, process.env.NGSP_LOCAL_DIR ?? '.local')) io.out(line);
    if (!result.skipped) io.out(`demo finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (err) {
    io.note(
      `demo failed: ${err instanceof Error ? err.message : String(err)} (the stack keeps running; try npm run ngsp -- replay --profile 2020 --from 2020-11-18)`,
    );
  }
}
