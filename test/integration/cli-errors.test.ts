/**
 * The `ngsp` process itself (spawned with npx tsx): user errors — bad date, missing stack,
 * unreachable endpoint, bad file line — print one sentence on stderr and exit non-zero; help
 * and a pure command exit 0. No stack is started: the errors come before any network use, or
 * from a closed port.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DayTraffic } from '#shared/traffic/generate.ts';
import { profile } from '#shared/traffic/profile.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ngsp(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'cli/main.ts', ...args], {
      cwd: process.cwd(),
      env: { ...process.env, ...env, NGSP_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** One line, starting with "error: ", ending with a full stop, and no stack trace. */
function expectOneSentence(run: Run, pattern: RegExp): void {
  expect(run.code, run.stderr).not.toBe(0);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: .+\.$/);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('ngsp process: exit codes and one-sentence errors', () => {
  let dir: string;
  let unreachable: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ngsp-cli-err-'));
    unreachable = join(dir, 'dead');
    // A stack file whose endpoints are a closed port.
    const dead = 'http://127.0.0.1:9';
    const json = {
      region: 'ap-southeast-1',
      sqs: { endpoint: dead, queueUrl: `${dead}/000000000000/q`, dlqUrl: `${dead}/000000000000/dlq` },
      s3: { endpoint: dead, bucket: 'b' },
      dynamodb: { endpoint: dead, tables: { events: 'e', stats: 's', keys: 'k' } },
      api: { url: '', keys: { analyst: '', ops: '', lgsp: {} } },
    };
    mkdirSync(unreachable);
    writeFileSync(join(unreachable, 'stack.json'), JSON.stringify(json));
    const events = [...new DayTraffic(profile('2019'), '2019-06-12', { scale: 0.001 }).events()].slice(0, 3).map((e) => JSON.stringify(e));
    writeFileSync(
      join(dir, 'bad.jsonl'),
      [events[0], JSON.stringify({ ...JSON.parse(events[1]!), reporter: { platformId: 'LGSP-XX', role: 'CONSUMER' } }), events[2]].join(
        '\n',
      ),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('given user errors, when ngsp runs, then each prints one clear sentence and exits non-zero; help and cost exit 0', async () => {
    const [badDate, missing, dead, badLine, help, cost] = await Promise.all([
      ngsp(['rollup', '--from', '2020-02-30', '--to', '2020-03-01'], { NGSP_LOCAL_DIR: unreachable }),
      ngsp(['keys', 'list'], { NGSP_LOCAL_DIR: join(dir, 'nothing-here') }),
      ngsp(['redrive'], { NGSP_LOCAL_DIR: unreachable }),
      ngsp(['send', join(dir, 'bad.jsonl')], { NGSP_LOCAL_DIR: unreachable }),
      ngsp(['download', '--help']),
      ngsp(['cost', '--transactions-per-day', '24700']),
    ]);
    expectOneSentence(badDate, /--from must be a date written YYYY-MM-DD or an RFC 3339 instant .*"2020-02-30"/);
    expectOneSentence(missing, /no local stack: run npm start/);
    expectOneSentence(dead, /cannot reach 127\.0\.0\.1:9 \(connection refused\): is the local stack running\? start it with npm start/);
    expect(dead.code).toBe(3);
    expectOneSentence(
      badLine,
      /line 2 of .*bad\.jsonl is not a valid event \(reporter\.platformId "LGSP-XX" is not a registered platform\)/,
    );
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--granularity/);
    expect(cost.code, cost.stderr).toBe(0);
    expect(cost.stdout).toMatch(/DynamoDB/);
  }, 180_000);
});
