/**
 * The dashboard in a real browser (Debian Chromium driven by playwright-core) against a local
 * stack with data: recent traffic (the last 20 hours) and older traffic (5 to 30 days back) is
 * ingested through SQS and rolled; the page asks for a key, then its headline figures, charts and
 * tables must show the numbers computed directly from the stream. Saves a screenshot to
 * test/artifacts/dashboard.png.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { defaultRegistry } from '#shared/registry.ts';
import { dayOf, periodStartOf } from '#shared/time.ts';
import { AlertItems } from '#shared/store/alerts.ts';
import { DASHBOARD_HTML } from '#functions/api/dashboard.gen.ts';
import { buildDashboard } from '../../web/build.ts';
import { dashboardLink } from '../../cli/commands/demo.ts';
import { generateStream, oracleSummary, oracleTransactions, type OracleTx } from '../helpers/stream.ts';
import { ingestAndRollTouched, startApiStack, type ApiStack } from '../integration/api-fixtures.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const HOUR = 3600_000;
const DAY = 24 * HOUR;

function effective(tx: OracleTx): { at: number; serviceCode: string; pair: string } {
  const e = (tx.consumer ?? tx.provider)!;
  return {
    at: Date.parse(e.requestAt),
    serviceCode: e.serviceCode,
    pair: `${e.consumer.provinceCode ?? ''}>${e.provider.provinceCode ?? ''}`,
  };
}

function maxCount(values: string[]): number {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return Math.max(...counts.values());
}

describe('dashboard in a browser', () => {
  let t: ApiStack;
  let browser: Browser;
  let page: Page;
  let txs: Map<string, OracleTx>;
  let demoTxs: Map<string, OracleTx>;
  const demoDay = '2020-11-18';
  const pageErrors: string[] = [];
  const now = Date.now();
  const today = dayOf(now);

  beforeAll(async () => {
    // Prepare: traffic with platforms and provinces in force today
    const platforms = ['NGSP', 'LGSP-01', 'LGSP-79', 'LGSP-48', 'LGSP-BYT'].filter((p) => defaultRegistry.isPlatformValid(p, today));
    const provinces = ['01', '79', '48', '92'].filter((c) => defaultRegistry.isProvinceValid(c, today));
    const recent = generateStream({
      seed: 11,
      // Up to two minutes ago (the test rolls what it touched): today has traffic from 00:02 ICT on.
      startMs: now - 20 * HOUR,
      spanMs: 20 * HOUR - 2 * 60_000,
      transactions: 360,
      platforms,
      provinces,
      prefix: 'recent',
      invalidShare: 0,
    });
    const older = generateStream({
      seed: 12,
      startMs: now - 30 * DAY,
      spanMs: 25 * DAY,
      transactions: 240,
      platforms,
      provinces,
      prefix: 'older',
      invalidShare: 0,
    });
    const valid = [...recent.valid, ...older.valid];
    txs = oracleTransactions(valid);
    // The demo's day (npm start replays 2020-11-18), in the platforms and provinces of 2020.
    const demo = generateStream({
      seed: 14,
      startMs: Date.parse(`${demoDay}T07:00:00+07:00`),
      spanMs: 10 * HOUR,
      transactions: 150,
      prefix: 'demo',
      invalidShare: 0,
      // Codes of seeds/services.json: the demo day's service rows show names (issue 16 part 5).
      services: ['dancu.congdan.xacthuc', 'hotich.tracuu', 'dvc.hoso.dongbo'],
    });
    demoTxs = oracleTransactions(demo.valid);
    const [stack, b] = await Promise.all([
      startApiStack([]),
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: [
          '--no-sandbox',
          '--headless',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      }),
    ]);
    t = stack;
    browser = b;
    await ingestAndRollTouched(t, [...valid, ...recent.duplicates, ...older.duplicates, ...demo.valid], 13);
    // An open exchange-health alert of two hours ago (as the scheduled rollup stores them).
    await new AlertItems(t.stack.clients.ddb, t.stack.resources.names.tables.Stats).putAlerts([
      {
        id: 'e2e-alert',
        kind: 'PLATFORM_SILENT',
        subject: 'LGSP-79',
        startedAt: periodStartOf(Math.floor((now - 2 * HOUR) / 60_000) * 60_000),
        endedAt: null,
        detail: { message: 'LGSP-79 has sent no report', provinces: ['79'] },
      },
    ]);
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) pageErrors.push(m.text());
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('given the sources in web/, when bundled again, then the page the API serves is up to date', async () => {
    expect((await buildDashboard()).html).toBe(DASHBOARD_HTML);
  });

  it('given a key that may not read metrics, when entered, then the page says so and asks again', async () => {
    await page.goto(`${t.url}/`);
    await page.fill('#key', 'ngsp_analyst_wrong');
    await page.click('#login button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toContain('không hợp lệ');
    expect(await page.isVisible('#login')).toBe(true);
    expect(await page.isVisible('#dashboard')).toBe(false);
  });

  it('given an analyst key, when entered, then headlines, charts and tables show the numbers of the stream', async () => {
    // Act
    await page.goto(`${t.url}/`);
    await page.fill('#key', t.keys.analyst);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });

    // Assess: headline figures (today from minute items, this year from day items + today)
    const all = [...txs.values()].map(effective);
    const todays = oracleSummary(txs, today);
    const figure = (card: string, id: string) => page.getAttribute(`#${card} [data-figure=${id}]`, 'data-value').then(Number);
    expect(await figure('today', 'transactions')).toBe(todays.transactions);
    expect(await figure('today', 'systems')).toBe(todays.distinctSystems);
    expect(await figure('today', 'platforms')).toBe(todays.reportingPlatforms.length);
    expect(todays.transactions).toBeGreaterThan(0);
    expect(await figure('year', 'transactions')).toBe(all.filter((x) => dayOf(x.at).slice(0, 4) === today.slice(0, 4)).length);
    // Vietnamese by default: vi-VN digits (26.256).
    expect(await page.textContent('#today dd')).toBe(new Intl.NumberFormat('vi-VN').format(todays.transactions));

    // Assess: charts — one point per minute / day, totals of the stream, drawn on canvas
    const chart = async (id: string) => page.$eval(`#${id}`, (el) => ({ ...(el as HTMLElement).dataset }));
    const minutes = await chart('chart-minutes');
    expect(Number(minutes.points)).toBe(1440);
    const windowStart = Math.floor(now / 60_000) * 60_000 - DAY;
    expect(Number(minutes.transactions)).toBe(all.filter((x) => x.at >= windowStart).length);
    const days = await chart('chart-days');
    expect(Number(days.points)).toBe(90);
    expect(Number(days.transactions)).toBe(txs.size);
    expect(Number(days.succeeded) + Number(days.failed)).toBe(txs.size);
    for (const id of ['chart-minutes', 'chart-minutes-p95', 'chart-days', 'chart-days-p95']) {
      const inked = await page.$eval(`#${id} canvas`, (c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 0) n++;
        return n;
      });
      expect(inked, id).toBeGreaterThan(500);
    }

    // Assess: top services and province pairs over the last 90 days
    const firstService = await page.getAttribute('#services tbody tr', 'data-transactions');
    expect(Number(firstService)).toBe(maxCount(all.map((x) => x.serviceCode)));
    const firstPair = await page.getAttribute('#provinces tbody tr', 'data-transactions');
    expect(Number(firstPair)).toBe(maxCount(all.map((x) => x.pair)));
    expect(await page.$$eval('#provinces tbody tr', (rows) => rows.length)).toBeGreaterThan(3);

    // Assess: the alerts panel lists the open alert, in Vietnamese
    expect(await page.getAttribute('#alerts', 'data-open')).toBe('1');
    expect(await page.getAttribute('#alerts tbody tr', 'data-subject')).toBe('LGSP-79');
    expect(await page.textContent('#alerts tbody tr')).toContain('Nền tảng ngừng báo cáo');

    // The page ran without script errors or CSP violations
    expect(pageErrors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
  });

  it('given the link the demo prints for its day, when opened, then every panel shows that day: its figures, its minutes, the 90 days up to it', async () => {
    // Act: the key is in this tab already (previous test); the link is the demo's.
    await page.goto(dashboardLink(t.url, demoDay));
    await page.waitForSelector(`body[data-state=ready][data-from="${demoDay}"]`, { timeout: 60_000 });

    // Assess
    const expected = oracleSummary(demoTxs, demoDay);
    expect(expected.transactions).toBeGreaterThan(100);
    const figure = (card: string, id: string) => page.getAttribute(`#${card} [data-figure=${id}]`, 'data-value').then(Number);
    expect(await figure('today', 'transactions')).toBe(expected.transactions);
    expect(await figure('today', 'systems')).toBe(expected.distinctSystems);
    expect(await figure('year', 'transactions')).toBe(expected.transactions);
    const chart = async (id: string) => page.$eval(`#${id}`, (el) => ({ ...(el as HTMLElement).dataset }));
    const minutes = await chart('chart-minutes');
    expect(Number(minutes.points)).toBe(1440);
    expect(Number(minutes.transactions)).toBe(expected.transactions);
    const days = await chart('chart-days');
    expect(Number(days.points)).toBe(90);
    expect(Number(days.transactions)).toBe(expected.transactions);
    const services = await page.$$eval('#services tbody tr', (rows) =>
      rows.reduce((n, r) => n + Number((r as HTMLElement).dataset.transactions ?? 0), 0),
    );
    expect(services).toBeGreaterThan(0);
    expect(await page.textContent('#chart-minutes h2')).toContain('18/11/2020');
    expect(await page.inputValue('#from')).toBe(demoDay);
    expect(await page.isVisible('#notice')).toBe(false);

    // And a range link (?from=&to=) of the older traffic: the headline counts exactly its days.
    const from = dayOf(now - 30 * DAY);
    const to = dayOf(now - 5 * DAY);
    await page.goto(`${t.url}/?from=${from}&to=${to}`);
    await page.waitForSelector(`body[data-state=ready][data-from="${from}"][data-to="${to}"]`, { timeout: 60_000 });
    const inRange = [...txs.values()].map(effective).filter((x) => dayOf(x.at) >= from && dayOf(x.at) <= to).length;
    expect(await figure('today', 'transactions')).toBe(inRange);
    expect(Number((await chart('chart-days')).transactions)).toBe(inRange);
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-demo-day.png`, fullPage: true });
  });

  it('given the page in Vietnamese, when switched to English and back, then every label, number and date follows, the choice is remembered, and a phone-width page does not spill sideways', async () => {
    // Vietnamese first (the default).
    await page.goto(dashboardLink(t.url, demoDay));
    await page.waitForSelector(`body[data-state=ready][data-from="${demoDay}"]`, { timeout: 60_000 });
    const expected = oracleSummary(demoTxs, demoDay);
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    expect(await page.textContent('#today [data-figure=transactions] dt')).toBe('Giao dịch');
    expect(await page.textContent('#today [data-figure=transactions] dd')).toBe(
      new Intl.NumberFormat('vi-VN').format(expected.transactions),
    );
    expect(await page.textContent('#today .period')).toBe('18/11/2020');
    expect(await page.textContent('#provinces thead')).toContain('Tỉnh bên cung cấp');
    // A pair without a province names the central level, never "(not reported)".
    const pairs = await page.$$eval('#provinces tbody td', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(pairs.join('|')).not.toContain('not reported');
    // The year card: an average per day, not per minute.
    expect(await page.textContent('#year [data-figure=avg] dt')).toBe('TB mỗi ngày');
    // Issue 16 part 5: service names (code on hover and below), and the province-to-province map
    // whose cells add up to the day's transactions.
    expect(await page.textContent('#services tbody tr[data-service="dancu.congdan.xacthuc"] .service-name')).toBe(
      'Xác thực thông tin công dân',
    );
    expect(await page.getAttribute('#services tbody tr[data-service="dancu.congdan.xacthuc"] td', 'title')).toBe('dancu.congdan.xacthuc');
    expect(await page.textContent('#pairs h2')).toContain('Bản đồ trao đổi giữa các tỉnh');
    const cells = await page.$$eval('#pairs td[data-transactions]', (tds) =>
      tds.map((td) => Number((td as HTMLElement).dataset.transactions)),
    );
    expect(cells.reduce((a, b) => a + b, 0)).toBe(expected.transactions);
    expect(cells.filter((n) => n > 0).length).toBeGreaterThan(3);
    expect(await page.textContent('#pairs thead')).toContain('Trung ương');
    // The systems panel (1.1): the day's organisations, systems and failures by cause.
    expect(Number(await page.getAttribute('#systems-panel', 'data-transactions'))).toBe(expected.transactions);
    expect(await page.$$eval('#top-systems tbody tr[data-transactions]', (rows) => rows.length)).toBeGreaterThan(0);
    expect(await page.textContent('#top-orgs h2')).toContain('Cơ quan trao đổi nhiều nhất');
    expect(await page.textContent('#failure-causes thead')).toContain('Nguyên nhân');

    // English, drawn from the same data.
    await page.click('#lang');
    await page.waitForSelector('body[data-lang=en]');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#today [data-figure=transactions] dt')).toBe('Transactions');
    expect(await page.textContent('#today [data-figure=transactions] dd')).toBe(
      new Intl.NumberFormat('en-GB').format(expected.transactions),
    );
    expect(await page.textContent('#chart-minutes h2')).toBe('18/11/2020 — transactions per minute');
    expect(await page.textContent('#lang')).toBe('Tiếng Việt');
    expect(await page.textContent('#pairs h2')).toContain('Province-to-province map');
    expect(await page.textContent('#pairs thead')).toContain('Central');
    expect(await page.textContent('#services tbody tr[data-service="dancu.congdan.xacthuc"] .service-name')).toBe('Citizen identity check');
    expect(await page.textContent('#top-orgs h2')).toContain('Top organisations');
    expect(await page.textContent('#failure-causes thead')).toContain('Cause');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-en.png`, fullPage: true });

    // Remembered on the next visit; ?lang= overrides.
    await page.reload();
    await page.waitForSelector('body[data-state=ready][data-lang=en]', { timeout: 60_000 });
    await page.goto(`${dashboardLink(t.url, demoDay)}&lang=vi`);
    await page.waitForSelector('body[data-state=ready][data-lang=vi]', { timeout: 60_000 });
    await page.click('#lang');
    await page.click('#lang');
    await page.waitForSelector('body[data-lang=vi]');

    // 390 px wide (a phone): nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.waitForSelector('body[data-state=ready]', { timeout: 60_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // The map scrolls inside its own box, not the page.
    const box = await page.$eval('#pairs .pairs-box', (el) => ({ client: el.clientWidth, scroll: el.scrollWidth }));
    expect(box.client).toBeLessThanOrEqual(390);
    expect(box.scroll).toBeGreaterThan(box.client);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1400, height: 1000 });
    expect(pageErrors).toEqual([]);
  });
});
