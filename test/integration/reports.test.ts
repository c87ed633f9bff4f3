/**
 * The monthly report against the emulators, kept small (< 20 s): a seeded month rolled by the real
 * rollDay into the local S3, the rollup's hook builds it once the month is final, `ngsp report`
 * rebuilds one platform's and copies it out, and `GET /v1/reports` lists them with presigned URLs
 * that the local S3 serves — an LGSP key gets only its own and the national report.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDueReports } from '#shared/reports/generate.ts';
import { keys } from '#shared/store/bucket.ts';
import { closeTarget, localTarget, type Target } from '../../cli/target.ts';
import { report } from '../../cli/commands/report.ts';
import { type MemoryBucket, rollSeededDays, seedTransactions } from '../helpers/report-month.ts';
import { call, startApiStack, type ApiStack } from './api-fixtures.ts';

const MONTH = '2020-11';
const quietIo = { out: () => undefined, note: () => undefined, progress: false };

describe('monthly reports on the local stack', () => {
  let t: ApiStack;
  let target: Target;
  const out = mkdtempSync(join(tmpdir(), 'ngsp-report-'));

  beforeAll(async () => {
    t = await startApiStack(['LGSP-79'], {}, ['api']);
    target = localTarget(t.stack.stackJson({ analyst: '', ops: '', lgsp: {} }), 'test stack');
    // Two days of the month (and none of October: no trend), reported by NGSP and LGSP-79.
    const txs = seedTransactions(['2020-11-18', '2020-11-30'], 40, 21, ['NGSP', 'LGSP-79']);
    await rollSeededDays(txs, t.bucket as unknown as MemoryBucket);
  });
  afterAll(async () => {
    closeTarget(target);
    await t?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('the rollup builds the month once final; the API lists it; the URLs serve the files', async () => {
    const final = Date.parse('2020-12-01T00:03:00+07:00');
    const built = await runDueReports(['2020-11-30'], final, { bucket: t.bucket, now: () => final }, () => false);
    expect(built).toEqual({ written: ['national', 'LGSP-79', 'NGSP'].map((s) => `${MONTH}/${s}`), pending: [] });

    const all = await call(t.url, 'GET', '/v1/reports', { key: t.keys.analyst, query: { month: MONTH } });
    expect(all.status).toBe(200);
    expect(all.json.reports.map((r: { subject: string }) => r.subject)).toEqual(['national', 'LGSP-79', 'NGSP']);
    const own = await call(t.url, 'GET', '/v1/reports', { key: t.keys.lgsp['LGSP-79']!, query: { month: MONTH } });
    expect(own.json.reports.map((r: { subject: string }) => r.subject)).toEqual(['national', 'LGSP-79']);
    const bad = await call(t.url, 'GET', '/v1/reports', { key: t.keys.ops, query: { month: '2020-13' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe('month');

    // The presigned URLs are fetched with no key and no credentials.
    const html = await fetch(own.json.reports[1].html);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const text = await html.text();
    expect(text).toContain('Báo cáo tháng về giao dịch chia sẻ dữ liệu 11/2020');
    expect(text).toContain('LGSP Thành phố Hồ Chí Minh (LGSP-79)');
    const pdf = Buffer.from(await (await fetch(own.json.reports[1].pdf)).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1')).toMatch(/DejaVuSans/);
  });

  it('ngsp report rebuilds one platform and copies it out; --fetch takes what is there', async () => {
    const before = await t.bucket.get(keys.report(MONTH, 'LGSP-79', 'html'));
    const r = await report(target, { month: MONTH, platform: 'LGSP-79', out }, quietIo);
    expect(r.reports.map((x) => x.subject)).toEqual(['LGSP-79']);
    expect(r.reports[0]!.files).toEqual([join(out, 'LGSP-79.html'), join(out, 'LGSP-79.pdf')]);
    const copied = readFileSync(join(out, 'LGSP-79.html'), 'utf8');
    expect(copied).toBe(await t.bucket.get(keys.report(MONTH, 'LGSP-79', 'html')));
    expect(copied.replace(/Lập lúc: [^<]*/, '')).toBe(before!.replace(/Lập lúc: [^<]*/, ''));
    const fetched = await report(target, { month: MONTH, fetch: true }, quietIo);
    expect(fetched.reports.map((x) => x.subject)).toEqual(['LGSP-79', 'NGSP', 'national']);
    await expect(report(target, { month: '2020-10' }, quietIo)).rejects.toThrow(/no daily rollup for any day of 2020-10/);
    await expect(report(target, { month: '2020-1' }, quietIo)).rejects.toThrow(/--month must be a month written YYYY-MM/);
    await expect(report(target, { month: MONTH, platform: 'LGSP-XX' }, quietIo)).rejects.toThrow(/not a platform of the registry/);
  });
});
