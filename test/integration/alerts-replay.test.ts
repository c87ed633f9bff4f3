/**
 * Exchange-health alerts (issue 16 part 4), the acceptance replay: seed-shaped traffic of the 2020
 * profile, counted by the counting rules into final minute payloads, fed to the alerts the way
 * scheduled runs feed them (an hour a run, one run replayed after a crash, one run whose minutes
 * must be read back). Baseline days are the generated weekdays tiled over the week before; then a
 * normal day, a day with four injected outages, and a normal day again. Each outage raises exactly
 * one alert, which is cleared; nothing else is ever raised, and every change is notified once.
 */
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertReader } from '#shared/api/alerts.ts';
import { alertId, digestMinute, runAlerts, visibleTo, type Alert, type AlertDeps, type MinuteDigest } from '#shared/alerts.ts';
import type { PeriodPayload } from '#shared/stats/period.ts';
import { alertNumbers } from '#infra/wiring.ts';
import { parseRfc3339 } from '#shared/time.ts';
import { seedMinutes } from '../helpers/alert-traffic.ts';
import { FakeAlertStore, FakeNotifier } from '../helpers/fakes.ts';

const OUTAGE_DAY = '2020-11-10'; // a Tuesday
const SILENT = 'LGSP-08';
const FAILING = 'dancu.congdan.xacthuc';
const SLOW = 'dvc.hoso.dongbo';
const QUIET_PAIR = { consumer: '', provider: '' }; // ministries to ministries: the busiest pair
const ict = (day: string, hhmm: string): number => parseRfc3339(`${day}T${hhmm}:00+07:00`)!;
const within = (ms: number, day: string, from: string, to: string): boolean => ms >= ict(day, from) && ms < ict(day, to);

/** The payloads of one generated day copied onto another day (a payload holds no timestamps). */
function onDay(payloads: Map<string, PeriodPayload>, day: string): Map<string, PeriodPayload> {
  return new Map([...payloads].map(([m, p]) => [`${day}${m.slice(10)}`, p]));
}

let minutes: Map<string, PeriodPayload>;

function deps(store: FakeAlertStore, notifier: FakeNotifier): AlertDeps {
  return {
    store,
    notifier,
    settings: alertNumbers(),
    readMinutes: async (ms) => new Map(ms.flatMap((m) => (minutes.has(m) ? [[m, minutes.get(m)!] as const] : []))),
    maxMinutes: 240,
  };
}

/** The replayed fortnight, every minute with its payload. */
function replayMinutes(): Map<string, PeriodPayload> {
  // Three generated weekdays tiled over the baseline week and the normal day before the outage
  // day, and the second weekday again after it (generating a day costs seconds).
  const [a, b, c] = ['2020-11-02', '2020-11-03', '2020-11-04'].map((d) => seedMinutes('2020', [d]));
  const outage = seedMinutes('2020', [OUTAGE_DAY], (r) => {
    if (r.platformId === SILENT && within(r.requestAtMs, OUTAGE_DAY, '09:00', '10:30')) return undefined;
    if (
      r.consumerProvince === QUIET_PAIR.consumer &&
      r.providerProvince === QUIET_PAIR.provider &&
      within(r.requestAtMs, OUTAGE_DAY, '13:00', '16:00')
    )
      return undefined;
    if (r.serviceCode === FAILING && within(r.requestAtMs, OUTAGE_DAY, '14:00', '16:00'))
      return { ...r, succeeded: false, errorCategory: 'TARGET' };
    if (r.serviceCode === SLOW && within(r.requestAtMs, OUTAGE_DAY, '10:00', '12:00')) return { ...r, durationMs: r.durationMs * 8 };
    return r;
  });
  return new Map([
    ...a!,
    ...b!,
    ...c!,
    ...onDay(a!, '2020-11-05'),
    ...onDay(b!, '2020-11-06'),
    ...onDay(c!, '2020-11-07'),
    ...onDay(a!, '2020-11-08'),
    ...onDay(c!, '2020-11-09'),
    ...outage,
    ...onDay(b!, '2020-11-11'),
  ]);
}

describe('given a fortnight of seed traffic with four outages on one day', () => {
  const store = new FakeAlertStore();
  const notifier = new FakeNotifier();
  const perRun: { reads: number; writes: number; stateBytes: number }[] = [];

  beforeAll(async () => {
    minutes = replayMinutes();
    const keys = [...minutes.keys()].sort();
    const runs: string[][] = [];
    for (let i = 0; i < keys.length; i += 60) runs.push(keys.slice(i, i + 60));
    for (const [i, run] of runs.entries()) {
      const digests = new Map<string, MinuteDigest>(run.map((m) => [m, digestMinute(m, minutes.get(m)!)]));
      // Run 200 (the outage day) dies after its alerts were written, before its state: replayed.
      if (i === 200) {
        store.failSaveState = 1;
        await expect(runAlerts(deps(store, notifier), run.at(-1)!, new Map(digests))).rejects.toThrow();
      }
      // Run 230 rolled its minutes, but its alerts never ran: the next run reads them back.
      if (i === 230) continue;
      const r = await runAlerts(deps(store, notifier), run.at(-1)!, digests);
      perRun.push({ reads: r.reads, writes: r.writes, stateBytes: gzipSync(JSON.stringify(store.state)).length });
      // The same run delivered twice changes nothing.
      if (i === 210) expect((await runAlerts(deps(store, notifier), run.at(-1)!, digests)).minutesFed).toBe(0);
    }
  }, 240_000);

  const alerts = (): Alert[] => [...store.alerts.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));

  it('then each outage raised exactly one alert, with its start, and it was cleared when the outage ended', () => {
    const got = alerts().map((a) => ({ kind: a.kind, subject: a.subject }));
    expect(got).toEqual([
      { kind: 'PLATFORM_SILENT', subject: SILENT },
      { kind: 'DURATION_P95', subject: SLOW },
      { kind: 'TRAFFIC_DROP', subject: '->-' },
      { kind: 'FAILURE_RATIO', subject: FAILING },
    ]);
    const [silent, slow, drop, failing] = alerts() as [Alert, Alert, Alert, Alert];
    // Silent since its last report before 09:00; cleared by its first report after 10:30.
    expect(within(parseRfc3339(silent.startedAt)!, OUTAGE_DAY, '08:30', '09:01')).toBe(true);
    expect(within(parseRfc3339(silent.endedAt!)!, OUTAGE_DAY, '10:30', '11:00')).toBe(true);
    expect([slow.startedAt, slow.endedAt]).toEqual([`${OUTAGE_DAY}T10:00:00+07:00`, `${OUTAGE_DAY}T12:00:00+07:00`]);
    expect([drop.startedAt, drop.endedAt]).toEqual([`${OUTAGE_DAY}T13:00:00+07:00`, `${OUTAGE_DAY}T16:00:00+07:00`]);
    expect([failing.startedAt, failing.endedAt]).toEqual([`${OUTAGE_DAY}T14:00:00+07:00`, `${OUTAGE_DAY}T16:00:00+07:00`]);
    expect(failing.detail.failureRatio).toBe(1);
    expect(Number(slow.detail.durationMsP95)).toBeGreaterThan(2 * Number(slow.detail.baselineDurationMsP95));
    expect(drop.detail.transactions).toBe(0);
    expect(store.state?.open).toEqual({});
    for (const a of alerts()) expect(a.id).toBe(alertId(a.kind, a.subject, a.startedAt));
  });

  it('then every raise and every clear was notified exactly once, in order', () => {
    const sent = notifier.sent.map((n) => `${n.change} ${n.alert.kind} ${n.alert.subject}`);
    expect(sent.filter((s) => s.startsWith('raised')).length).toBe(4);
    expect(sent.filter((s) => s.startsWith('cleared')).length).toBe(4);
    expect(new Set(sent).size).toBe(8);
    for (const a of alerts())
      expect(sent.indexOf(`raised ${a.kind} ${a.subject}`)).toBeLessThan(sent.indexOf(`cleared ${a.kind} ${a.subject}`));
    expect(store.state?.pending).toEqual([]);
  });

  it('then no alert was raised on a normal day, and the reads and writes of a run stay bounded', () => {
    for (const a of alerts()) expect(a.startedAt.slice(0, 10)).toBe(OUTAGE_DAY);
    // An hour a run: the state (1 read, 1 write), two baselines of 7 hours (2 batch reads: the
    // hour that ends, the one that starts), one profile, the alerts; a run that reads back the
    // minutes of the run before (two hours) makes one read more for them and one for a third baseline.
    expect(perRun.filter((r) => r.reads > 3).length).toBe(1);
    expect(Math.max(...perRun.map((r) => r.reads))).toBeLessThanOrEqual(5);
    expect(Math.max(...perRun.map((r) => r.writes))).toBeLessThanOrEqual(6);
    expect(store.profilesByHour.size).toBe(minutes.size / 60 - 1); // the last hour is still open
    // The state item (gzip) and the hour profiles stay small: the state holds one hour's sketch per service.
    const stateBytes = Math.max(...perRun.map((r) => r.stateBytes));
    const profileBytes = Math.max(...[...store.profilesByHour.values()].map((p) => gzipSync(JSON.stringify(p)).length));
    expect(stateBytes).toBeLessThan(20_000);
    expect(profileBytes).toBeLessThan(5_000);
  });

  it('then an LGSP sees the silence of its own platform and the alerts about its province, analyst and ops everything', async () => {
    const reader = new AlertReader(store);
    const range = { fromMs: ict(OUTAGE_DAY, '00:00'), toMs: ict('2020-11-11', '00:00') };
    expect((await reader.list(range, { keyId: 'o', role: 'ops' })).alerts).toHaveLength(4);
    expect((await reader.list(range, { keyId: 'a', role: 'analyst' })).alerts).toHaveLength(4);
    const own = (await reader.list(range, { keyId: 'l', role: 'lgsp', platformId: SILENT })).alerts.map((a) => a.kind);
    expect(own).toContain('PLATFORM_SILENT');
    expect(own).not.toContain('TRAFFIC_DROP'); // ministries to ministries: no province takes part
    const other = (await reader.list(range, { keyId: 'm', role: 'lgsp', platformId: 'LGSP-BYT' })).alerts;
    expect(other).toEqual([]);
    const failing = alerts().find((a) => a.kind === 'FAILURE_RATIO')!;
    const province = failing.detail.provinces[0]!;
    expect(visibleTo(failing, `LGSP-${province}`)).toBe(true);
    expect(
      (await reader.list({ fromMs: ict('2020-11-11', '00:00'), toMs: ict('2020-11-12', '00:00') }, { keyId: 'o', role: 'ops' })).alerts,
    ).toEqual([]);
  });
});
