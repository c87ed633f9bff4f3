/**
 * The CLI commands, run in process against a real local stack (emulators + ingest worker):
 * send → counted; replay → the generator's expected figures; rollup → S3 files; download →
 * files equal to the S3 objects; redrive → dead-lettered messages processed; keys → create,
 * list, revoke.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { KeyStore } from '#shared/store/api-keys.ts';
import type { DaySummary } from '#shared/rollup.ts';
import { keys as s3keys } from '#shared/store/bucket.ts';
import { transactionKeyOf } from '#shared/report.ts';
import { DayTraffic } from '#shared/traffic/generate.ts';
import { profile } from '#shared/traffic/profile.ts';
import { download } from '../../cli/commands/download.ts';
import { createKey, listKeys, revokeKey } from '../../cli/commands/keys.ts';
import { redrive } from '../../cli/commands/redrive.ts';
import { replay } from '../../cli/commands/replay.ts';
import { rollup } from '../../cli/commands/rollup.ts';
import { send } from '../../cli/commands/send.ts';
import { UserError } from '../../cli/errors.ts';
import type { Io } from '../../cli/io.ts';
import { closeTarget, localTarget, type Target } from '../../cli/target.ts';
import { ensureLocalSenders } from '../../local/senders.ts';
import { queueDepth, startTestStack, waitForEmptyQueue, type TestStack } from '../helpers/stack.ts';

function captureIo(): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), note: (l) => lines.push(l), progress: false };
}

describe('ngsp commands against the local stack', () => {
  let t: TestStack;
  let target: Target;
  let dir: string;
  beforeAll(async () => {
    t = await startTestStack({ functions: ['ingest'] });
    // Every platform signs its SQS messages with its own credentials, as with npm start.
    const senders = await ensureLocalSenders(
      join(t.dataDir, 'senders.json'),
      t.stack.clients.ddb,
      t.stack.resources.names.tables.Keys,
      t.stack.sqsProxy,
    );
    target = localTarget(t.stack.stackJson({ analyst: '', ops: '', lgsp: {} }, senders), 'test stack');
    dir = mkdtempSync(join(tmpdir(), 'ngsp-cli-'));
  });
  afterAll(async () => {
    if (target) closeTarget(target);
    await t?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('given a JSON-lines file of a 2019-profile day, when sent and rolled, then the summary counts exactly the generated transactions and every minute file exists', async () => {
    // Prepare
    const day = '2019-06-13';
    const traffic = new DayTraffic(profile('2019'), day, { scale: 0.05 });
    const lines = [...traffic.events()].map((e) => JSON.stringify(e));
    const file = join(dir, 'day.jsonl');
    writeFileSync(file, lines.join('\n') + '\n\n');
    const io = captureIo();

    // Act
    const sent = await send(target, { file, via: 'sqs' }, io);
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
    const rolled = await rollup(target, { from: day, to: day }, io);

    // Assess
    expect(sent.sent).toBe(lines.length);
    expect(sent.badLines).toEqual([]);
    expect(rolled.minutes).toBe(1440);
    expect(rolled.days).toEqual([day]);
    const summary = rolled.summaries[0]!;
    const x = traffic.expected;
    expect(summary.transactions).toBe(x.transactions);
    expect(summary.succeeded).toBe(x.succeeded);
    expect(summary.ngspTransactions).toBe(x.ngspTransactions);
    expect(summary.systems).toEqual(x.systems);
    expect(summary.reportingPlatforms).toEqual(x.reportingPlatforms);
    expect(summary.conflicts).toBe(0);
    expect(await t.bucket.list(`rollups/minute/date=${day}/`)).toHaveLength(1440);
    for (const key of [s3keys.dailyJsonl(day), s3keys.dailyCsv(day), s3keys.summary(day)])
      expect(await t.bucket.get(key), key).toBeDefined();
  });

  it('given a bad line, when sent without --skip-bad, then it fails naming the line; with --skip-bad the other lines are sent', async () => {
    const good = [...new DayTraffic(profile('2019'), '2019-06-14', { scale: 0.002 }).events()].slice(0, 5).map((e) => JSON.stringify(e));
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, [good[0], '{"eventId": "x"', ...good.slice(1)].join('\n'));
    await expect(send(target, { file, via: 'sqs' }, captureIo())).rejects.toThrow(
      /^line 2 of .*bad\.jsonl is not a valid event \(\(body\) is not valid JSON.*\); nothing was sent/,
    );
    await expect(send(target, { file, via: 'sqs' }, captureIo())).rejects.toBeInstanceOf(UserError);
    // A bad line after many good ones (more than one batch): still nothing is sent.
    const late = join(dir, 'bad-late.jsonl');
    const many = [...new DayTraffic(profile('2019'), '2019-06-15', { scale: 0.01 }).events()].slice(0, 120).map((e) => JSON.stringify(e));
    writeFileSync(late, [...many, '{"eventId": "x"'].join('\n'));
    let sends = 0;
    const counter = 'count-sends';
    target.clients.sqs.middlewareStack.add(
      (next) => async (args) => {
        sends++;
        return next(args);
      },
      { step: 'initialize', name: counter },
    );
    try {
      await expect(send(target, { file: late, via: 'sqs', envelope: 10 }, captureIo())).rejects.toThrow(
        /^line \d+ of .*bad-late\.jsonl .*nothing was sent/,
      );
      expect(sends).toBe(0);
    } finally {
      target.clients.sqs.middlewareStack.remove(counter);
    }
    const skipped = await send(target, { file, via: 'sqs', skipBad: true }, captureIo());
    expect(skipped.badLines).toEqual([2]);
    expect(skipped.sent).toBe(5);
    const one = join(dir, 'one.jsonl');
    writeFileSync(one, good[0]!);
    const io = captureIo();
    await send(target, { file: one, via: 'sqs' }, io);
    expect(io.lines.join('\n')).toMatch(/sent 1 event in 1 message via SQS\./);
  });

  it("given the 2020 profile, when a scaled day is replayed and rolled, then the summary equals the generator's expected figures", async () => {
    // Prepare
    const day = '2020-11-19';
    const io = captureIo();

    // Act
    const out = await replay(target, { profile: '2020', from: day, days: 1, scale: 0.02 }, io);
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
    const rolled = await rollup(target, { from: day, to: day }, io);

    // Assess
    const x = out.days[0]!;
    const s = rolled.summaries[0]!;
    expect(x.transactions).toBeGreaterThan(400);
    expect(out.sent!.sent).toBe(x.events);
    expect({
      t: s.transactions,
      ok: s.succeeded,
      f: s.failed,
      ngsp: s.ngspTransactions,
      avg: s.avgTransactionsPerMinute,
      peak: s.peakMinute,
      sys: s.systems,
      pl: s.reportingPlatforms,
    }).toEqual({
      t: x.transactions,
      ok: x.succeeded,
      f: x.failed,
      ngsp: x.ngspTransactions,
      avg: x.avgTransactionsPerMinute,
      peak: x.peakMinute,
      sys: x.systems,
      pl: x.reportingPlatforms,
    });
    expect(s.distinctSystems).toBe(profile('2020').connectedSystems);
  });

  it('given rolled days, when downloaded as day/minute and jsonl/csv, then the files equal the S3 objects (minute CSV has the rows of the JSON lines)', async () => {
    const day = '2019-06-13';
    const daily = await download(target, { from: day, to: day, out: join(dir, 'dl-day') }, captureIo());
    const dailyCsv = await download(target, { from: day, to: day, format: 'csv', out: join(dir, 'dl-csv') }, captureIo());
    const minutes = await download(target, { from: day, to: day, granularity: 'minute', out: join(dir, 'dl-min') }, captureIo());
    const minutesCsv = await download(
      target,
      { from: day, to: day, granularity: 'minute', format: 'csv', out: join(dir, 'dl-mincsv') },
      captureIo(),
    );

    expect(daily.files.sort()).toEqual([s3keys.dailyJsonl(day), s3keys.summary(day)].sort());
    expect(dailyCsv.files.sort()).toEqual([s3keys.dailyCsv(day), s3keys.summary(day)].sort());
    for (const [res, base] of [
      [daily, 'dl-day'],
      [dailyCsv, 'dl-csv'],
      [minutes, 'dl-min'],
    ] as const) {
      for (const f of res.files) expect(readFileSync(join(dir, base, f), 'utf8'), f).toBe(await t.bucket.get(f));
    }
    expect(minutes.files).toHaveLength(1440);
    expect(minutesCsv.files).toHaveLength(1440);
    let rows = 0;
    for (const f of minutesCsv.files) {
      const jsonl = (await t.bucket.get(f.replace(/\.csv$/, '.jsonl')))!
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const csv = parse(readFileSync(join(dir, 'dl-mincsv', f), 'utf8'), { columns: true }) as Record<string, string>[];
      expect(csv.length).toBe(jsonl.length);
      for (const [i, r] of csv.entries())
        expect(r).toEqual(Object.fromEntries(Object.entries(jsonl[i]!).map(([k, v]) => [k, v === null ? '' : String(v)])));
      rows += csv.length;
    }
    const summary = JSON.parse((await t.bucket.get(s3keys.summary(day)))!) as DaySummary;
    expect(rows).toBeGreaterThanOrEqual(summary.transactions > 0 ? 1 : 0);
    await expect(download(target, { from: '2001-01-01', to: '2001-01-02', out: join(dir, 'none') }, captureIo())).rejects.toThrow(
      /no rollups between 2001-01-01 and 2001-01-02/,
    );
    expect(existsSync(join(dir, 'dl-day', 'rollups', 'daily', `date=${day}`, 'rollup.jsonl'))).toBe(true);
  });

  it('given messages in the dead-letter queue, when redriven, then they are moved, processed and the DLQ is empty', async () => {
    // Prepare: three envelopes put straight into the DLQ
    const events = [...new DayTraffic(profile('2019'), '2019-06-17', { scale: 0.005, seed: 99 }).events()];
    const bodies = [events.slice(0, 10), events.slice(10, 20), events.slice(20, 30)].map((es) => JSON.stringify({ events: es }));
    await t.stack.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: t.stack.resources.dlqUrl,
        Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b })),
      }),
    );
    expect(await queueDepth(t.stack.clients.sqs, t.stack.resources.dlqUrl)).toBe(3);
    const io = captureIo();

    // Act
    const out = await redrive(target, {}, io);
    await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);

    // Assess
    expect(out).toMatchObject({ method: 'copy', moved: 3, failed: 0 });
    expect(await queueDepth(t.stack.clients.sqs, t.stack.resources.dlqUrl)).toBe(0);
    for (const e of events.slice(0, 30)) expect(await t.events.getTransaction(transactionKeyOf(e)), e.eventId).toBeDefined();
    expect(io.lines.join('\n')).toMatch(/moved 3 messages/);
  });

  it('given an ops user, when a key is created, listed and revoked, then it resolves until revoked and never again', async () => {
    const store = new KeyStore(t.stack.clients.ddb, t.stack.resources.names.tables.Keys);
    const io = captureIo();
    const { key, record } = await createKey(target, { role: 'lgsp', platform: 'LGSP-79' }, io);
    expect(io.lines).toContain(key);
    expect(await store.resolve(key)).toMatchObject({ keyId: record.keyId, role: 'lgsp', platformId: 'LGSP-79' });
    expect((await listKeys(target, {}, captureIo())).map((r) => r.keyId)).toContain(record.keyId);
    await revokeKey(target, record.keyId, captureIo());
    expect(await store.resolve(key)).toBeUndefined();
    expect((await listKeys(target, {}, captureIo())).find((r) => r.keyId === record.keyId)?.revokedAt).toBeDefined();
    await expect(revokeKey(target, 'k_000000000000', captureIo())).rejects.toThrow('no key with id k_000000000000');
    await expect(createKey(target, { role: 'lgsp', platform: 'LGSP-XX' }, captureIo())).rejects.toThrow(/not in the registry/);
    await expect(createKey(target, { role: 'lgsp' }, captureIo())).rejects.toThrow(/needs --platform/);
  });
});
