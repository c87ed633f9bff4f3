/**
 * Exchange-health alerts (issue 16 part 4) over fakes: the SNS notifier's calls, a refused
 * notification sent by the next run, and the scheduled rollup feeding the alerts. The acceptance
 * replay (a fortnight of seed traffic with four outages) is test/integration/alerts-replay.test.ts:
 * it counts ten days of generated traffic, too heavy for the unit lane.
 */
import { describe, expect, it } from 'vitest';
import { runAlerts, type Alert, type AlertDeps } from '#shared/alerts.ts';
import { alertMessage, SnsNotifier } from '#shared/notify.ts';
import { alertNumbers } from '#infra/wiring.ts';
import { FakeAlertStore, FakeNotifier, FakeRollupStores } from '../helpers/fakes.ts';
import { runScheduled } from '#shared/rollup.ts';

describe('given SNS as the notifier', () => {
  it('then a change is published to the topic with the alert as JSON and its kind as an attribute', async () => {
    const calls: { input: Record<string, unknown> }[] = [];
    const sns = { send: async (cmd: { input: Record<string, unknown> }) => (calls.push(cmd), {}) };
    const alert: Alert = {
      id: 'x1',
      kind: 'TRAFFIC_DROP',
      subject: '79>01',
      startedAt: '2021-03-10T13:00:00+07:00',
      endedAt: null,
      detail: { message: 'm', provinces: ['79', '01'] },
    };
    await new SnsNotifier(sns as never, 'arn:aws:sns:ap-southeast-1:111111111111:alarms').publish(alert, 'raised');
    expect(calls).toHaveLength(1);
    const input = calls[0]!.input;
    expect(input.TopicArn).toBe('arn:aws:sns:ap-southeast-1:111111111111:alarms');
    expect(input.Subject).toBe('ngsp-stats alert raised: TRAFFIC_DROP 79>01');
    expect(JSON.parse(String(input.Message))).toEqual({ change: 'raised', alert });
    expect(input.MessageAttributes).toMatchObject({ kind: { DataType: 'String', StringValue: 'TRAFFIC_DROP' } });
    expect(alertMessage({ ...alert, subject: 'x'.repeat(200) }, 'cleared').subject.length).toBe(100);
  });

  it('then a change SNS refused stays pending and is sent by the next run', async () => {
    const store = new FakeAlertStore();
    const notifier = new FakeNotifier();
    const alert: Alert = {
      id: 'p1',
      kind: 'PLATFORM_SILENT',
      subject: 'LGSP-79',
      startedAt: '2021-03-10T09:00:00+07:00',
      endedAt: null,
      detail: { message: '', provinces: ['79'] },
    };
    store.state = {
      through: '2021-03-10T09:59',
      acc: null,
      usual: [],
      silent: {},
      lastSeen: {},
      open: {},
      pending: [{ alert, change: 'raised' }],
    };
    const d: AlertDeps = { store, notifier, settings: alertNumbers(), readMinutes: async () => new Map(), maxMinutes: 240 };
    notifier.fail = true;
    expect((await runAlerts(d, '2021-03-10T09:59', new Map())).notified).toBe(0);
    expect(store.state.pending).toHaveLength(1);
    notifier.fail = false;
    expect((await runAlerts(d, '2021-03-10T09:59', new Map())).notified).toBe(1);
    expect(notifier.sent).toEqual([{ change: 'raised', alert }]);
    expect(store.state.pending).toEqual([]);
  });
});

describe('given the scheduled rollup with alerts', () => {
  it('then a run feeds the minutes it made final, and a failure of the alerts is reported without failing the run', async () => {
    const rollup = new FakeRollupStores();
    rollup.watermarkValue = '2021-03-10T09:00';
    const store = new FakeAlertStore();
    const notifier = new FakeNotifier();
    const now = Date.parse('2021-03-10T09:05:00+07:00') + 120_000;
    const alerts: AlertDeps = { store, notifier, settings: alertNumbers(), readMinutes: async () => new Map(), maxMinutes: 240 };
    const ok = await runScheduled({ ...rollup.deps({ now }), alerts });
    expect(ok.minutes).toBe(5);
    expect(ok.alerts).toMatchObject({ minutesFed: 5, raised: 0 });
    expect(store.state?.through).toBe('2021-03-10T09:04');
    store.failSaveState = 1;
    const failed = await runScheduled({ ...rollup.deps({ now: now + 60_000 }), alerts });
    expect(failed.minutes).toBe(1);
    expect(failed.alertsError).toContain('InternalServerError');
    expect(store.state?.through).toBe('2021-03-10T09:04');
  });
});
