/**
 * The monthly report as its readers see it, in Debian's Chromium (playwright-core), with no
 * emulator: a seeded month rolled by the real rollDay into memory, the national report built.
 * - The HTML page: its text shows the month's figures (equal to the sum of the month's daily rows)
 *   in vi-VN numbers under Vietnamese headings, it fetches nothing, and fits a phone's width;
 *   screenshots test/artifacts/report.png and report-phone.png.
 * - The PDF, page by page: pdf.js (pdfjs-dist) renders each page to a canvas in the browser; each
 *   page must have ink, and the text pdf.js extracts must hold the Vietnamese strings exactly
 *   (embedded font, Unicode map); screenshots test/artifacts/report-page-N.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readMonth, writeReport } from '#shared/reports/generate.ts';
import { NATIONAL } from '#shared/reports/monthly.ts';
import type { Row } from '#shared/stats/period.ts';
import { keys } from '#shared/store/bucket.ts';
import { MemoryBucket, rollSeededDays, seedTransactions } from '../helpers/report-month.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const ORIGIN = 'http://report.test';
const MONTH = '2020-11';
const DAYS = ['2020-11-02', '2020-11-18', '2020-11-30'];
const require = createRequire(import.meta.url);
const vi = (x: number): string => new Intl.NumberFormat('vi-VN').format(x);

describe('monthly report in a browser', () => {
  let browser: Browser;
  let page: Page;
  let html: string;
  let pdf: Uint8Array;
  let rows: Row[];
  const outside: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const bucket = new MemoryBucket();
    await rollSeededDays([...seedTransactions(DAYS, 400, 31), ...seedTransactions(['2020-10-20'], 300, 32)], bucket);
    const [launched] = await Promise.all([
      chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run'] }),
      writeReport(await readMonth(bucket, MONTH), NATIONAL, { bucket, now: () => Date.parse('2020-12-01T00:05:00+07:00') }),
    ]);
    browser = launched;
    html = (await bucket.get(keys.report(MONTH, NATIONAL, 'html')))!;
    pdf = (await bucket.getBytes(keys.report(MONTH, NATIONAL, 'pdf')))!;
    rows = (await Promise.all(DAYS.map((d) => bucket.get(keys.dailyJsonl(d)))))
      .flatMap((t) => t!.split('\n').filter(Boolean))
      .map((l) => JSON.parse(l) as Row);
    const files: Record<string, [string, string | Uint8Array]> = {
      '/report.html': ['text/html; charset=utf-8', html],
      '/report.pdf': ['application/pdf', pdf],
      '/viewer.html': [
        'text/html; charset=utf-8',
        `<!doctype html><html><body style="margin:0;background:#888"><script type="module">
import * as pdfjs from '/pdf.mjs';
pdfjs.GlobalWorkerOptions.workerSrc = '/pdf.worker.mjs';
window.pdfjsLib = pdfjs;
</script></body></html>`,
      ],
      '/pdf.mjs': ['text/javascript', readFileSync(require.resolve('pdfjs-dist/build/pdf.min.mjs'))],
      '/pdf.worker.mjs': ['text/javascript', readFileSync(require.resolve('pdfjs-dist/build/pdf.worker.min.mjs'))],
    };
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      const file = url.origin === ORIGIN ? files[url.pathname] : undefined;
      if (!file) {
        outside.push(route.request().url());
        return route.abort();
      }
      return route.fulfill({ status: 200, contentType: file[0], body: Buffer.from(file[1]) });
    });
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('the HTML shows the figures of the daily rows in Vietnamese, fetches nothing else, and fits a phone', async () => {
    await page.goto(`${ORIGIN}/report.html`);
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text (cells split by tabs, blocks by line breaks) is what a reader sees
    const text = await page.locator('main').innerText();
    const sum = (f: (r: Row) => number): number => rows.reduce((n, r) => n + f(r), 0);
    const transactions = sum((r) => r.transactions);
    expect(transactions).toBe(1200);
    expect(text).toContain('Báo cáo tháng về giao dịch chia sẻ dữ liệu 11/2020');
    expect(text).toContain('Toàn quốc (mọi nền tảng)');
    // Totals cards: value then label.
    for (const [label, value] of [
      ['Giao dịch', transactions],
      ['Thành công', sum((r) => r.succeeded)],
      ['Thất bại', sum((r) => r.failed)],
      ['Giao dịch có báo cáo hai phía', sum((r) => r.pairedTransactions)],
    ] as const) {
      const card = page.locator('.card', { hasText: new RegExp(`^\\S+\\s*${label}$`) });
      await expect(card.locator('b').textContent()).resolves.toBe(vi(value));
    }
    expect(text).toMatch(/\+300,0 %\s*So với tháng trước \(Tháng trước: 300\)/);
    expect(text).toContain(`Quá thời gian chờ (TIMEOUT)\t${vi(sum((r) => r.failedTimeout ?? 0))}`);
    expect(text).toContain('Ngày cao điểm');
    expect(text).toMatch(/Phút cao điểm \(toàn hệ thống\)\n[\s\S]*\d\d\/11\/2020 \d\d:\d\d/);
    expect(outside).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}report.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${ARTIFACTS}report-phone.png`, fullPage: true });
    await page.setViewportSize({ width: 1000, height: 900 });
  });

  it('the PDF, rendered page by page by pdf.js, has ink on every page and Vietnamese text exactly', async () => {
    await page.goto(`${ORIGIN}/viewer.html`);
    await page.waitForFunction(() => 'pdfjsLib' in window);
    const pages = await page.evaluate(async (origin) => {
      const pdfjs = (window as unknown as { pdfjsLib: any }).pdfjsLib;
      const data = new Uint8Array(await (await fetch(`${origin}/report.pdf`)).arrayBuffer());
      const doc = await pdfjs.getDocument({ data }).promise;
      const out: { text: string; ink: number }[] = [];
      for (let i = 1; i <= doc.numPages; i++) {
        const p = await doc.getPage(i);
        const viewport = p.getViewport({ scale: 1.3 });
        const canvas = document.createElement('canvas');
        canvas.id = `page-${i}`;
        canvas.width = Math.ceil(viewport.width);
        canvas.height = Math.ceil(viewport.height);
        canvas.style.display = 'block';
        canvas.style.margin = '8px';
        document.body.appendChild(canvas);
        const ctx = canvas.getContext('2d')!;
        await p.render({ canvas, canvasContext: ctx, viewport }).promise;
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let ink = 0;
        for (let j = 0; j < px.length; j += 4) if (px[j + 3]! > 0 && px[j]! + px[j + 1]! + px[j + 2]! < 600) ink++;
        const content = await p.getTextContent();
        const text = (content.items as { str?: string; hasEOL?: boolean }[])
          .map((it) => (it.str ?? '') + (it.hasEOL ? '\n' : ' '))
          .join('');
        out.push({ text, ink: ink / (canvas.width * canvas.height) });
      }
      return out;
    }, ORIGIN);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const [i, p] of pages.entries()) {
      await page.locator(`#page-${i + 1}`).screenshot({ path: `${ARTIFACTS}report-page-${i + 1}.png` });
      // Ink: text and rules, not a blank page (nor a page filled with black).
      expect(p.ink, `page ${i + 1}`).toBeGreaterThan(0.003);
      expect(p.ink, `page ${i + 1}`).toBeLessThan(0.5);
    }
    const text = pages.map((p) => p.text.normalize('NFC')).join('\n');
    for (const s of [
      'Báo cáo tháng về giao dịch chia sẻ dữ liệu 11/2020',
      'Giao dịch',
      'Thành công',
      'Thất bại',
      'Dịch vụ được sử dụng nhiều nhất',
      'Tỉnh, thành phố tham gia nhiều nhất',
      'Nguyên nhân lỗi',
      'Quá thời gian chờ (TIMEOUT)',
      'Phút cao điểm (toàn hệ thống)',
      'Hệ thống thông tin kết nối',
      'Thành phố Hồ Chí Minh (79)',
    ])
      expect(text, s).toContain(s);
    expect(text).toContain(vi(rows.reduce((n, r) => n + r.transactions, 0)));
  });
});
