/**
 * Exchange-health alerts end to end on the emulators (issue 16 part 4): the scheduled rollup
 * raises an alert from the minutes it makes final, stores it in the stats table, and
 * `GET /v1/alerts` serves it to ops and to the platform it is about, not to another LGSP.
 * (Detection itself is replayed over seed traffic in test/unit/alerts.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertNumbers, rollupNumbers } from '#infra/wiring.ts';
import { minuteReader, type HourProfile } from '#shared/alerts.ts';
import { runScheduled, type RunReport } from '#shared/rollup.ts';
import { AlertItems } from '#shared/store/alerts.ts';
import { baselineHours } from '#shared/alerts.ts';
import { parseRfc3339 } from '#shared/time.ts';
import { FakeNotifier } from '../helpers/fakes.ts';
import { call, startApiStack, type ApiStack } from './api-fixtures.ts';

const DAY = '2021-03-10';
const LATENESS_MS = 120_000;
const at = (hhmm: string): number => parseRfc3339(`${DAY}T${hhmm}:00+07:00`)!;

describe('given a platform usually active at 09:00 that sends nothing from 09:00 on', () => {
  let t: ApiStack;
  let report: RunReport;
  const notifier = new FakeNotifier();
  let store: AlertItems;
  /** The scheduled run at 09:33: it makes 09:00..09:30 final. */
  const scheduledRun = (): Promise<RunReport> =>
    runScheduled({
      ...t,
      latenessMs: LATENESS_MS,
      concurrency: 8,
      maxMinutesPerRun: 240,
      initialLookbackMs: 0,
      indexLagMs: 0,
      ...rollupNumbers(),
      now: () => at('09:31') + LATENESS_MS,
      alerts: { store, notifier, settings: alertNumbers(), readMinutes: minuteReader(t.stats), maxMinutes: 240 },
    });

  beforeAll(async () => {
    t = await startApiStack(['LGSP-77', 'LGSP-79'], {}, ['api']);
    store = new AlertItems(t.stack.clients.ddb, t.stack.resources.names.tables.Stats);
    // Its baseline: at 09:00 on each of the 7 days before, LGSP-77 reported in every minute.
    const settings = alertNumbers();
    const baseline: HourProfile[] = baselineHours(`${DAY}T09`, settings.baselineDays).map((hour) => ({
      hour,
      minutes: 60,
      platforms: { 'LGSP-77': 60 },
      services: {},
      pairs: {},
    }));
    await store.putProfiles(baseline);
    await t.stats.setWatermark(`${DAY}T09:00`);
    // The scheduled run at 09:33 makes 09:00..09:30 final: 31 silent minutes.
    report = await scheduledRun();
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('then the run raised PLATFORM_SILENT once and published it', () => {
    expect(report.minutes).toBe(31);
    expect(report.alerts).toMatchObject({ minutesFed: 31, raised: 1, cleared: 0, open: 1, notified: 1 });
    expect(notifier.sent.map((n) => [n.change, n.alert.kind, n.alert.subject])).toEqual([['raised', 'PLATFORM_SILENT', 'LGSP-77']]);
  });

  it('then GET /v1/alerts serves it to ops and to LGSP-77, and not to LGSP-79', async () => {
    const query = { from: `${DAY}T00:00:00+07:00`, to: `${DAY}T12:00:00+07:00` };
    const ops = await call(t.url, 'GET', '/v1/alerts', { key: t.keys.ops, query });
    expect(ops.status).toBe(200);
    expect(ops.json.alerts).toEqual([
      {
        id: expect.any(String),
        kind: 'PLATFORM_SILENT',
        subject: 'LGSP-77',
        startedAt: `${DAY}T09:00:00+07:00`,
        endedAt: null,
        detail: expect.objectContaining({ provinces: ['77'], silentMinutesInUsualHours: 30 }),
      },
    ]);
    expect((await call(t.url, 'GET', '/v1/alerts', { key: t.keys.lgsp['LGSP-77']!, query })).json.alerts).toEqual(ops.json.alerts);
    const other = await call(t.url, 'GET', '/v1/alerts', { key: t.keys.lgsp['LGSP-79']!, query });
    expect([other.status, other.json.alerts]).toEqual([200, []]);
    expect(
      (await call(t.url, 'GET', '/v1/alerts', { key: t.keys.analyst, query: { from: `${DAY}T10:00:00+07:00`, to: query.from } })).json
        .error,
    ).toMatchObject({ code: 'VALIDATION' });
    expect((await call(t.url, 'GET', '/v1/alerts', { query })).status).toBe(401);
  });

  it('then a second run over the same minutes raises nothing again', async () => {
    const again = await scheduledRun();
    expect(again.alerts).toMatchObject({ minutesFed: 0, raised: 0 });
    expect(notifier.sent).toHaveLength(1);
    expect(await store.alertsBetween(at('00:00'), at('12:00'))).toHaveLength(1);
  });
});
