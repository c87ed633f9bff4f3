/**
 * `ngsp replay --profile 2019|2020|2021 --from DATE --days N [--scale F] [--seed N]`: generates
 * seed-shaped traffic (shared/traffic) and sends it, or writes it as JSON lines (`--out`).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { consecutiveDays, DayTraffic, targetTransactions, type DayExpectation } from '#shared/traffic/generate.ts';
import { isProfileId, profile, PROFILE_IDS, type ProfileId } from '#shared/traffic/profile.ts';
import { dayOf, isDay } from '#shared/time.ts';
import { UserError } from '../errors.ts';
import { count, n, progressBar, type Io } from '../io.ts';
import { EventSender, type SendStats, type Via } from '../lib/sender.ts';
import type { Target } from '../target.ts';

export interface ReplayOptions {
  profile: string;
  from: string;
  days: number;
  scale?: number;
  seed?: number;
  via?: Via;
  envelope?: number;
  apiKey?: string;
  /** Write JSON lines here (`-` = stdout) instead of sending. */
  out?: string;
  now?: number;
}

export interface ReplayResult {
  days: DayExpectation[];
  sent: SendStats | undefined;
  seconds: number;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Checks the options; returns the profile id and the days. */
export function checkReplayOptions(opts: ReplayOptions): { id: ProfileId; days: string[] } {
  if (!isProfileId(opts.profile)) throw new UserError(`--profile must be one of ${PROFILE_IDS.join(', ')}, got "${opts.profile}".`);
  if (!isDay(opts.from)) throw new UserError(`--from must be a date written YYYY-MM-DD, got "${opts.from}".`);
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 366)
    throw new UserError(`--days must be an integer from 1 to 366, got "${opts.days}".`);
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0 || scale > 100)
    throw new UserError(`--scale must be a number above 0 and at most 100, got "${opts.scale}".`);
  if (opts.seed !== undefined && (!Number.isInteger(opts.seed) || opts.seed < 0))
    throw new UserError(`--seed must be a non-negative integer, got "${opts.seed}".`);
  const days = consecutiveDays(opts.from, opts.days);
  const today = dayOf(opts.now ?? Date.now());
  if (days[days.length - 1]! >= today) {
    throw new UserError(
      `replay covers only past days: ${days[days.length - 1]} is not before today (${today}), and events more than 5 minutes in the future are rejected.`,
    );
  }
  return { id: opts.profile, days };
}

export async function replay(target: Target | undefined, opts: ReplayOptions, io: Io): Promise<ReplayResult> {
  const started = Date.now();
  const { id, days } = checkReplayOptions(opts);
  const p = profile(id);
  const gen = { seed: opts.seed ?? p.seed, scale: opts.scale ?? 1 };
  const estimate = days.reduce((sum, d) => sum + targetTransactions(p, d, gen), 0) * (1 + p.pairedShare) * (1 + p.duplicateShare);
  const bar = progressBar(io, `replay ${id}`, Math.round(estimate), 'events');
  let emitted = 0;
  let write: ((line: string) => Promise<void>) | undefined;
  let finish: (() => Promise<void>) | undefined;
  let sender: EventSender | undefined;
  if (opts.out) {
    const stream = opts.out === '-' ? process.stdout : createWriteStream(opts.out, { encoding: 'utf8' });
    write = async (line) => {
      if (!stream.write(line + '\n')) await once(stream, 'drain');
    };
    finish = async () => {
      if (stream !== process.stdout)
        await new Promise<void>((resolve, reject) =>
          (stream as NodeJS.WritableStream).end((err?: Error | null) => (err ? reject(err) : resolve())),
        );
    };
  } else {
    if (!target) throw new Error('replay needs a target unless --out is given');
    sender = new EventSender(target, { via: opts.via ?? 'sqs', envelope: opts.envelope, apiKey: opts.apiKey });
  }
  const results: DayExpectation[] = [];
  try {
    for (const day of days) {
      const traffic = new DayTraffic(p, day, gen);
      for (const event of traffic.events()) {
        const json = JSON.stringify(event);
        if (write) await write(json);
        else await sender!.add(json, event.reporter.platformId);
        if (++emitted % 500 === 0) bar.update(Math.min(emitted, Math.round(estimate)), { day });
      }
      results.push(traffic.expected);
    }
    if (sender) await sender.close();
    if (finish) await finish();
  } finally {
    bar.stop();
  }
  const note = opts.out === '-' ? io.note : io.out;
  for (const x of results) {
    note(
      `${x.date} (${WEEKDAYS[(new Date(`${x.date}T00:00:00Z`).getUTCDay() + 6) % 7]}): ${n(x.transactions)} transactions (${x.avgTransactionsPerMinute.toFixed(1)}/min, peak ${x.peakMinute?.transactions ?? 0} at ${x.peakMinute?.periodStart.slice(11, 16) ?? '-'}), ` +
        `${n(x.events)} events (${n(x.duplicates)} duplicates, ${n(x.lateReports)} late), ${x.distinctSystems} systems, ${x.reportingPlatforms.length} reporting platforms`,
    );
  }
  const seconds = (Date.now() - started) / 1000;
  if (sender) {
    note(
      `sent ${count(sender.stats.sent, 'event')} in ${count(sender.stats.messages, opts.via === 'api' ? 'request' : 'message')} in ${seconds.toFixed(1)} s (${n(Math.round(sender.stats.sent / Math.max(seconds, 0.001)))} events/s); roll the days with: ngsp rollup --from ${days[0]} --to ${days[days.length - 1]}`,
    );
  } else {
    note(`wrote ${n(emitted)} events to ${opts.out === '-' ? 'standard output' : opts.out}`);
  }
  return { days: results, sent: sender?.stats, seconds };
}
