/**
 * `npm start -- --no-demo` on a fresh data directory: READY within 60 s, and `.local/stack.json`
 * carries every key of CONTRACT.md section 4, pointing at services that answer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { makeLocalClients, type StackJson } from '../../local/stack.ts';

describe('npm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ngsp-start-'));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('given a fresh data directory, when started with --no-demo, then READY comes within 60 s and stack.json is complete', async () => {
    // Act
    const started = Date.now();
    // node itself (not npx): SIGTERM must reach start.ts, whose handler stops workers and emulators.
    child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', '--no-demo'], {
      env: { ...process.env, NGSP_LOCAL_DIR: dir, NGSP_SQS_PORT: '0', NGSP_DYNAMODB_PORT: '0', NGSP_S3_PORT: '0', NGSP_API_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^READY /m.test(out)) resolve();
      });
      child!.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${out}`)));
      setTimeout(() => reject(new Error(`no READY after 60 s: ${out}`)), 60_000);
    });
    const elapsed = Date.now() - started;

    // Assess
    expect(elapsed).toBeLessThan(60_000);
    const json = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackJson;
    expect(Object.keys(json).sort()).toEqual(['api', 'credentials', 'dynamodb', 'region', 's3', 'sqs']);
    expect(Object.keys(json.sqs).sort()).toEqual(['dlqUrl', 'endpoint', 'queueUrl', 'senders']);
    // 1.1: an operator's credentials, and one sending credential per platform (CONTRACT.md section 4)
    expect(Object.keys(json.credentials!).sort()).toEqual(['accessKeyId', 'secretAccessKey']);
    expect(json.sqs.senders!['LGSP-79']).toEqual({
      accessKeyId: expect.stringMatching(/^AKIA/),
      secretAccessKey: expect.any(String),
      queueUrl: json.sqs.queueUrl,
    });
    expect(new Set(Object.values(json.sqs.senders!).map((c) => c.accessKeyId)).size).toBe(Object.keys(json.sqs.senders!).length);
    expect(statSync(join(dir, 'senders.json')).mode & 0o077).toBe(0);
    // The READY line names the Node it runs on: 22, like Lambda's nodejs22.x.
    expect(out).toMatch(/^READY in [\d.]+s \(Node v22\.\d+\.\d+\) — /m);
    expect(Object.keys(json.s3).sort()).toEqual(['bucket', 'endpoint']);
    expect(json.dynamodb.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(json.api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(json.api.keys.analyst).toMatch(/^ngsp_analyst_/);
    expect(json.api.keys.ops).toMatch(/^ngsp_ops_/);
    expect(Object.keys(json.api.keys.lgsp)).toContain('LGSP-79');
    expect(statSync(join(dir, 'keys.json')).mode & 0o077).toBe(0);

    const c = makeLocalClients({ sqs: json.sqs.endpoint, dynamodb: json.dynamodb.endpoint, s3: json.s3.endpoint }, json.region);
    const queues = (await c.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [];
    expect(queues).toEqual(expect.arrayContaining([json.sqs.queueUrl, json.sqs.dlqUrl]));
    expect((await c.ddb.send(new ListTablesCommand({}))).TableNames).toEqual(expect.arrayContaining(Object.values(json.dynamodb.tables)));
    await c.s3.send(new HeadBucketCommand({ Bucket: json.s3.bucket }));
    const health = await fetch(`${json.api.url}/v1/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
  }, 90_000);
});
