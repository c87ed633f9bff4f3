/**
 * The monthly report's figures over a seeded month rolled by the real rollDay into memory: every
 * figure equals both the transactions counted directly (the oracle) and the sum of the month's
 * published daily rows in the report's scope; the rollup hook notes a month due only once its
 * last day is final, builds it within the time budget and again when a day of it rolls again.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { effectiveFacts, type TransactionState } from '#shared/report.ts';
import { defaultRegistry } from '#shared/registry.ts';
import { FAILURE_CAUSES, FAILURE_COLUMNS, type Row } from '#shared/stats/period.ts';
import { keys } from '#shared/store/bucket.ts';
import { buildMonthReports, figuresOf, isMonthFinal, readMonth, runDueReports, subjectsOf } from '#shared/reports/generate.ts';
import { NATIONAL, daysOfMonth, previousMonth, scopeOf } from '#shared/reports/monthly.ts';
import { renderHtml } from '#shared/reports/html.ts';
import { MemoryBucket, SEED_PLATFORMS, rollSeededDays, seedTransactions } from '../helpers/report-month.ts';

const MONTH = '2020-11';
const DAYS = ['2020-11-02', '2020-11-17', '2020-11-30'];
const PREV_DAYS = ['2020-10-12', '2020-10-31'];

/** The oracle: transactions of a subject, straight from the generated transactions. */
function inScope(subject: string, tx: TransactionState): boolean {
  const f = effectiveFacts(tx);
  if (subject === NATIONAL) return true;
  if (subject === 'NGSP') return f.route === 'NGSP';
  const code = subject.replace('LGSP-', '');
  return f.consumerProvince === code || f.providerProvince === code;
}

function oracle(txs: TransactionState[]) {
  const causes = new Array<number>(FAILURE_COLUMNS.length).fill(0);
  const services = new Map<string, number>();
  let ok = 0;
  let paired = 0;
  for (const tx of txs) {
    const f = effectiveFacts(tx);
    if (f.succeeded) ok++;
    else {
      const i = FAILURE_CAUSES.indexOf(f.errorCategory ?? '');
      causes[i < 0 ? FAILURE_CAUSES.length : i]!++;
    }
    if (tx.consumer && tx.provider) paired++;
    services.set(f.serviceCode, (services.get(f.serviceCode) ?? 0) + 1);
  }
  return { transactions: txs.length, succeeded: ok, failed: txs.length - ok, pairedTransactions: paired, causes, services };
}

async function seeded(perDay = 120, seed = 7, platforms = SEED_PLATFORMS) {
  const bucket = new MemoryBucket();
  const txs = seedTransactions(DAYS, perDay, seed, platforms);
  const prev = seedTransactions(PREV_DAYS, perDay / 2, seed + 1);
  await rollSeededDays([...txs, ...prev], bucket);
  return { bucket, txs, prev };
}

function rowsOf(bucket: MemoryBucket, day: string): Promise<Row[]> {
  return bucket.get(keys.dailyJsonl(day)).then((t) =>
    t!
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Row),
  );
}

describe('monthly report figures', () => {
  it('equal the transactions and the scoped daily rows of the month, for every subject', async () => {
    const { bucket, txs, prev } = await seeded();
    const data = await readMonth(bucket, MONTH);
    expect(data.days.map((d) => d.day)).toEqual(DAYS);
    expect(subjectsOf(data)).toEqual([NATIONAL, ...[...SEED_PLATFORMS].sort()]);
    const dayRows = (await Promise.all(DAYS.map((d) => rowsOf(bucket, d)))).flat();
    for (const subject of [NATIONAL, 'NGSP', 'LGSP-01', 'LGSP-79', 'LGSP-48']) {
      const f = figuresOf(data, subject);
      const mine = txs.filter((tx) => inScope(subject, tx));
      const o = oracle(mine);
      expect(f.basis).toBe('daily-rows');
      expect(f.totals, subject).toEqual({
        transactions: o.transactions,
        succeeded: o.succeeded,
        failed: o.failed,
        pairedTransactions: o.pairedTransactions,
      });
      // The same figures as a sum of the published rows in scope.
      const rows = dayRows.filter(scopeOf(subject, defaultRegistry).row!);
      expect(f.totals.transactions).toBe(rows.reduce((n, r) => n + r.transactions, 0));
      expect(f.totals.pairedTransactions).toBe(rows.reduce((n, r) => n + r.pairedTransactions, 0));
      expect(
        f.failureCauses.map((c) => c.count),
        subject,
      ).toEqual(o.causes);
      expect(f.failureCauses.map((c) => c.count)).toEqual(FAILURE_COLUMNS.map((c) => rows.reduce((n, r) => n + (r[c] ?? 0), 0)));
      expect(f.topServices.map((s) => [s.key, s.transactions])).toEqual(
        [...o.services.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10),
      );
      // Trend against the same scope in the previous month.
      const p = prev.filter((tx) => inScope(subject, tx)).length;
      expect(f.previous?.transactions).toBe(p);
      expect(f.trendPercent).toBe(p ? Math.round(((o.transactions - p) / p) * 1000) / 10 : null);
      // Busiest days of the scope.
      const perDay = DAYS.map((d) => ({
        day: d,
        transactions: mine.filter(
          (tx) =>
            effectiveFacts(tx).requestAtMs >= Date.parse(`${d}T00:00:00+07:00`) &&
            effectiveFacts(tx).requestAtMs < Date.parse(`${d}T00:00:00+07:00`) + 86_400_000,
        ).length,
      }));
      expect(f.busiestDays).toEqual(
        perDay.filter((d) => d.transactions).sort((a, b) => b.transactions - a.transactions || (a.day < b.day ? -1 : 1)),
      );
    }
    // A province's partners: the other side's province (its own when both are).
    const p79 = figuresOf(data, 'LGSP-79').partnerProvinces;
    const partners = new Map<string, number>();
    for (const tx of txs.filter((t) => inScope('LGSP-79', t))) {
      const f = effectiveFacts(tx);
      const k = f.consumerProvince === '79' ? f.providerProvince : f.consumerProvince;
      partners.set(k, (partners.get(k) ?? 0) + 1);
    }
    expect(new Map(p79.map((x) => [x.key, x.transactions]))).toEqual(partners);
    expect(p79.find((x) => x.key === '01')?.label).toBe('Thành phố Hà Nội (01)');
    // Busiest minutes: each day's peak minute of summary.json, largest first.
    const national = figuresOf(data, NATIONAL);
    const peaks = await Promise.all(DAYS.map(async (d) => JSON.parse((await bucket.get(keys.summary(d)))!).peakMinute));
    expect(national.busiestMinutes).toEqual(
      [...peaks].sort((a, b) => b.transactions - a.transactions || (a.periodStart < b.periodStart ? -1 : 1)),
    );
    // Systems connected: the union of the days' summary lists.
    const systems = new Set(txs.flatMap((tx) => [effectiveFacts(tx).consumerSystem, effectiveFacts(tx).providerSystem]));
    expect(national.systems?.count).toBe(systems.size);
    expect(national.systems?.list).toEqual([...systems].sort());
  });

  it('a ministry: figures from the systems rollup where the month has it, a stated gap where not', async () => {
    const { bucket, txs } = await seeded(60, 3);
    // The real systems rollup (rollDay writes systems.jsonl): the ministry's exchanges, exactly.
    let f = figuresOf(await readMonth(bucket, MONTH), 'LGSP-BYT');
    const mine = txs.filter((tx) =>
      [effectiveFacts(tx).consumerSystem, effectiveFacts(tx).providerSystem].some((s) => s.startsWith('BYT/')),
    );
    expect(f.kind).toBe('ministry');
    expect(f.basis).toBe('systems-rows');
    expect(mine.length).toBeGreaterThan(0);
    expect(f.totals.transactions).toBe(mine.length);
    expect(f.totals.failed).toBe(oracle(mine).failed);
    expect(f.partnerOrgs?.reduce((n, o) => n + o.transactions, 0)).toBeLessThanOrEqual(mine.length);
    expect(f.systems?.list).toContain('BYT/HIS');
    // Days rolled before 1.1 have no systems.jsonl: the report says the figures are not available.
    for (const day of DAYS) bucket.objects.delete(keys.systemsJsonl(day));
    f = figuresOf(await readMonth(bucket, MONTH), 'LGSP-BYT');
    expect(f.basis).toBe('unavailable');
    expect(f.totals.transactions).toBe(0);
    expect(renderHtml(f, '2020-12-01T00:05:00+07:00')).toContain('chưa có cho tháng này');
  });

  it('property: national totals and failure causes equal the transactions, whatever the month', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 0, max: 40 }), async (seed, perDay) => {
        const bucket = new MemoryBucket();
        const txs = seedTransactions(DAYS, perDay, seed);
        await rollSeededDays(txs, bucket);
        const f = figuresOf(await readMonth(bucket, MONTH), NATIONAL);
        const o = oracle(txs);
        expect(f.totals.transactions).toBe(o.transactions);
        expect(f.totals.succeeded + f.totals.failed).toBe(f.totals.transactions);
        expect(f.failureCauses.map((c) => c.count)).toEqual(o.causes);
        expect(f.failureCauses.reduce((n, c) => n + c.count, 0)).toBe(f.totals.failed);
        expect(f.daysPublished).toBe(perDay ? DAYS.length : 0);
      }),
      { numRuns: 12 },
    );
  });

  it('writes vi-VN numbers and Vietnamese headings in a self-contained page', async () => {
    const { bucket } = await seeded();
    const f = figuresOf(await readMonth(bucket, MONTH), NATIONAL);
    const html = renderHtml(f, '2020-12-01T00:05:00+07:00');
    expect(f.totals.transactions).toBeGreaterThan(100);
    expect(html).toContain(new Intl.NumberFormat('vi-VN').format(f.totals.transactions));
    expect(html).toContain(`${f.totals.transactions}`.replace(/\B(?=(\d{3})+(?!\d))/g, '.'));
    expect(html).toContain('Giao dịch');
    expect(html).toContain('Nguyên nhân lỗi');
    expect(html).toContain('01/12/2020 00:05');
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
  });
});

describe('monthly reports from the rollup', () => {
  it('month helpers', () => {
    expect(daysOfMonth('2024-02')).toHaveLength(29);
    expect(previousMonth('2021-01')).toBe('2020-12');
    expect(isMonthFinal('2020-11', Date.parse('2020-12-01T00:00:00+07:00'))).toBe(true);
    expect(isMonthFinal('2020-11', Date.parse('2020-11-30T23:59:00+07:00'))).toBe(false);
  });

  it('are due once the last day is final, built within the budget over runs, and again after a day is rolled again', async () => {
    // Two reporting platforms: three subjects (each PDF takes tens of milliseconds).
    const { bucket } = await seeded(30, 5, ['NGSP', 'LGSP-79']);
    const subjects = [NATIONAL, 'LGSP-79', 'NGSP'];
    const reportKeys = (): string[] => [...bucket.objects.keys()].filter((k) => k.startsWith(keys.reportsPrefix(MONTH))).sort();
    // The month's last day is not final yet: nothing is due.
    let out = await runDueReports(['2020-11-30'], Date.parse('2020-11-30T23:00:00+07:00'), { bucket }, () => false);
    expect(out).toEqual({ written: [], pending: [] });
    // Final, with a budget that stops after two reports: the note keeps the month due.
    let n = 0;
    const final = Date.parse('2020-12-01T00:03:00+07:00');
    out = await runDueReports(['2020-11-30'], final, { bucket, now: () => final }, () => n++ >= 2);
    expect(out.written).toEqual([`${MONTH}/${NATIONAL}`]);
    expect(out.pending).toEqual([MONTH]);
    // The next run (no day rolled) goes on from the note.
    out = await runDueReports([], final, { bucket }, () => false);
    expect(out.written).toEqual(subjects.slice(1).map((s) => `${MONTH}/${s}`));
    expect(out.pending).toEqual([]);
    expect(reportKeys()).toEqual(subjects.flatMap((s) => [keys.report(MONTH, s, 'html'), keys.report(MONTH, s, 'pdf')]).sort());
    expect(
      Buffer.from(bucket.objects.get(keys.report(MONTH, NATIONAL, 'pdf'))!)
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    // Nothing due: nothing written.
    expect((await runDueReports([], final, { bucket }, () => false)).written).toEqual([]);
    // A late report rolls 2020-11-17 again: the month is built again, every subject.
    out = await runDueReports(['2020-11-17', '2020-12-02'], Date.parse('2020-12-03T00:00:00+07:00'), { bucket }, () => false);
    expect(out.written).toEqual(subjects.map((s) => `${MONTH}/${s}`));
    // A failure is returned, never thrown, and the month stays due.
    const failing = {
      get: bucket.get.bind(bucket),
      put: async (k: string, b: string | Uint8Array) => (k.endsWith('.pdf') ? Promise.reject(new Error('put refused')) : bucket.put(k, b)),
    };
    out = await runDueReports(['2020-11-02'], final, { bucket: failing }, () => false);
    expect(out.error).toContain('put refused');
    expect(out.pending).toEqual([MONTH]);
  });

  it('buildMonthReports builds the chosen subjects', async () => {
    const { bucket } = await seeded(20, 9);
    const out = await buildMonthReports(MONTH, { bucket }, { subjects: ['LGSP-79'] });
    expect(out).toEqual({ written: ['LGSP-79'], remaining: [] });
    expect(await bucket.get(keys.report(MONTH, 'LGSP-79', 'html'))).toContain('LGSP Thành phố Hồ Chí Minh');
  });
});
