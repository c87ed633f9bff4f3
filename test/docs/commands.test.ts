/**
 * Docs that run (issue 14 §6): every shell command of README.md and docs/*.md that targets the
 * local stack is run, as written, in a bash session per document against a fresh local stack —
 * the AWS CLI lines (Debian's awscli 2.9 where installed: it speaks the SQS query protocol), curl,
 * jq and `npm run ngsp` — and the DuckDB queries of docs/analysts.md run (@duckdb/node-api) on
 * the files those commands downloaded. Each result is checked against the stack.
 *
 * The session's folder is a "clone by symlinks" of the repository with its own `.local/` (this
 * test's stack) and `events.jsonl` (the docs' example file), so `.local/stack.json`, `seeds/…`
 * and `./data` mean what the docs say, and a developer's own `.local/` is never touched. AWS_*
 * variables are cleared: a command works only if the docs give it what it needs.
 * Left out: lines for a deployed stack (`cdk`, `--outputs cdk-outputs.json`), `npm install`,
 * `npm start`, `npm test`, `npm run bench`, and the interactive `duckdb` line.
 */
import { RollupBucket } from '#shared/store/bucket.ts';
import { ensureLocalSenders } from '../../local/senders.ts';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { KeyStore } from '#shared/store/api-keys.ts';
import { LocalStack, type StackJson } from '../../local/stack.ts';
import { ensureLocalKeys } from '../../local/keys.ts';
import { closeTarget, localTarget, type Target } from '../../cli/target.ts';
import { replay } from '../../cli/commands/replay.ts';
import { rollup } from '../../cli/commands/rollup.ts';
import { waitForEmptyQueue } from '../helpers/stack.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const DAY = '2020-11-18';
const quietIo = { out: () => undefined, note: () => undefined, progress: false };

/** Cloud-only or interactive lines, left out. */
const SKIP_LINE = /cdk-outputs\.json|npx cdk|^aws iam |^npm (install|start|test)\b|npm run (test|bench|synth)|^duckdb\s*$/;

/** The fenced bash/sh blocks of a Markdown file, continuation lines joined, comments dropped. */
export function shellBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  for (const m of markdown.matchAll(/```(?:bash|sh)\n([\s\S]*?)```/g)) {
    const code = m[1]!.replace(/\\\n\s*/g, ' ');
    // A block that reads a deployed stack's outputs is for AWS only.
    if (/=\$\(.*cdk-outputs\.json/.test(code)) continue;
    const lines = code
      .split('\n')
      .map((l) => l.replace(/\s+#\s.*$/, '').trim())
      .filter((l) => l && !l.startsWith('#') && !SKIP_LINE.test(l));
    if (lines.length) blocks.push(lines.join('\n'));
  }
  return blocks;
}

/** The SQL statements of the "DuckDB" section of docs/analysts.md. */
function duckdbQueries(markdown: string): string[] {
  const section = markdown.slice(markdown.indexOf('## DuckDB'));
  const sql = [...section.slice(0, section.indexOf('\n## ', 5)).matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n');
  return sql
    .split(';')
    .map((q) =>
      q
        .split('\n')
        .filter((l) => !l.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter(Boolean);
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the commands of README.md and docs/', () => {
  let stack: LocalStack;
  let json: StackJson;
  let target: Target;
  let work: string;
  const ran = new Map<string, Ran>();

  /**
   * Runs a document's blocks in one bash session (variables carry over, as in a reader's shell).
   * Asynchronously: the emulators answer from this very process.
   */
  async function runDoc(file: string): Promise<Ran> {
    const blocks = shellBlocks(readFileSync(join(ROOT, file), 'utf8'));
    const script = ['set -euo pipefail', ...blocks.map((b, i) => `echo "### ${file} block ${i + 1}" >&2\n${b}`)].join('\n');
    const env: NodeJS.ProcessEnv = { PATH: `${join(work, 'tools')}:${process.env.PATH}`, HOME: work, LANG: 'C.UTF-8', CI: '1' };
    const child = spawn('bash', ['-c', script], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    const r = { code, stdout, stderr };
    ran.set(file, r);
    return r;
  }

  beforeAll(async () => {
    // Prepare: the session folder, and a local stack with a rolled demo-like day (2020-11-18).
    work = mkdtempSync(join(tmpdir(), 'ngsp-docs-'));
    for (const name of ['package.json', 'node_modules', 'bin', 'cli', 'functions', 'infra', 'local', 'seeds', 'shared', 'tsconfig.json']) {
      symlinkSync(join(ROOT, name), join(work, name));
    }
    copyFileSync(join(ROOT, 'seeds/sample-events/events.jsonl'), join(work, 'events.jsonl'));
    // Debian's AWS CLI (2.9, query protocol) first when installed; otherwise whatever `aws` is on PATH.
    mkdirSync(join(work, 'tools'));
    if (existsSync('/usr/bin/aws')) symlinkSync('/usr/bin/aws', join(work, 'tools', 'aws'));
    const dataDir = join(work, '.local');
    mkdirSync(dataDir, { mode: 0o700 });
    stack = await LocalStack.start({ dataDir, useEnvironment: false });
    const keys = await ensureLocalKeys(join(dataDir, 'keys.json'), new KeyStore(stack.clients.ddb, stack.resources.names.tables.Keys));
    const senders = await ensureLocalSenders(
      join(dataDir, 'senders.json'),
      stack.clients.ddb,
      stack.resources.names.tables.Keys,
      stack.sqsProxy,
    );
    json = stack.stackJson(keys, senders);
    writeFileSync(join(dataDir, 'stack.json'), JSON.stringify(json, null, 2) + '\n', { mode: 0o600 });
    target = localTarget(json);
    await replay(target, { profile: '2020', from: DAY, days: 1, scale: 0.01 }, quietIo);
    await waitForEmptyQueue(target.clients.sqs, target.queueUrl, 120_000);
    await rollup(target, { from: DAY, to: DAY }, quietIo);
  }, 240_000);

  afterAll(async () => {
    if (target) closeTarget(target);
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('given the docs, when their local commands are extracted, then every document with commands is covered and cloud-only lines are left out', () => {
    const lgsp = shellBlocks(readFileSync(join(ROOT, 'docs/lgsp-integration.md'), 'utf8')).join('\n');
    expect(lgsp).toMatch(/aws sqs send-message --endpoint-url/);
    expect(lgsp).toMatch(/curl -sS -X POST "\$API\/v1\/events"/);
    expect(lgsp).not.toMatch(/cdk-outputs/);
    expect(shellBlocks(readFileSync(join(ROOT, 'docs/analysts.md'), 'utf8')).join('\n')).toMatch(
      /s3 ls[\s\S]*s3 cp[\s\S]*ngsp -- download/,
    );
  });

  it('given the LGSP guide, when its commands run, then the AWS CLI, curl and ngsp lines all deliver their events', async () => {
    // Act
    const r = await runDoc('docs/lgsp-integration.md');
    // Assess
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const messageIds = [...r.stdout.matchAll(/"MessageId": "([0-9a-f-]+)"/g)];
    expect(messageIds).toHaveLength(1); // aws sqs send-message (local)
    const accepted = r.stdout.match(/\{"accepted":\s*(\d+)/);
    expect(Number(accepted?.[1])).toBeGreaterThan(0); // curl POST /v1/events
    expect(r.stdout).toMatch(/"rejections"|"events"|\[/); // curl GET /v1/rejections answered JSON
    expect(r.stdout).toMatch(/sent \d+ events? in \d+ messages? via SQS\./); // ngsp send
    await waitForEmptyQueue(target.clients.sqs, target.queueUrl, 60_000);
    // The AWS CLI signed as LGSP-79 (query protocol): its message was the platform's, not an unknown sender's.
    const rb = new RollupBucket(target.clients.s3, target.bucket);
    const unknown = await rb.list('rejected/platform=unknown/');
    expect(unknown, (await Promise.all(unknown.map((k) => rb.get(k)))).join('\n').slice(0, 2000)).toEqual([]);
  });

  it('given the README, when its local commands run, then they succeed', async () => {
    const r = await runDoc('README.md');
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    expect(r.stdout).toMatch(/sent \d+ events? in \d+ messages? via SQS\./);
  });

  it('given the analyst guide, when its commands and DuckDB queries run, then aws s3, the file in .local and ngsp download agree and DuckDB gives Vietnam-time minutes', async () => {
    // Act
    const r = await runDoc('docs/analysts.md');
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    // Assess: aws s3 ls / cp, the plain file and ngsp download hold the same bytes.
    expect(r.stdout).toMatch(new RegExp(`PRE date=${DAY}/`));
    // A month with one rolled day: one note for the 29 others, not 29 lines.
    expect(r.stdout).toMatch(/downloaded 2 files for 1 day into/);
    expect(r.stderr.match(/no daily rollup for 29 days of 30: 2020-11-01 to 2020-11-17, 2020-11-19 to 2020-11-30/g) ?? []).toHaveLength(2);
    const viaCli = readFileSync(join(work, `rollup-${DAY}.csv`), 'utf8');
    const inPlace = readFileSync(join(work, '.local/s3', json.s3.bucket, `rollups/daily/date=${DAY}/rollup.csv`), 'utf8');
    const downloaded = readFileSync(join(work, `data/rollups/daily/date=${DAY}/rollup.csv`), 'utf8');
    expect(viaCli.length).toBeGreaterThan(100);
    expect(inPlace).toBe(viaCli);
    expect(downloaded).toBe(viaCli);

    const summary = JSON.parse(readFileSync(join(work, `data/rollups/daily/date=${DAY}/summary.json`), 'utf8')) as {
      transactions: number;
      peakMinute: { periodStart: string; transactions: number };
    };
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run(`SET file_search_path = '${work}'`);
    const [daily, curve, summaries] = duckdbQueries(readFileSync(join(ROOT, 'docs/analysts.md'), 'utf8'));
    expect(summaries).toBeDefined();
    const rows = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    const days = await rows(daily!);
    expect(days.find((d) => String(d.date) === DAY)?.transactions).toBe(String(summary.transactions));
    const minutes = await rows(curve!);
    expect(minutes.every((m) => /^\d\d:\d\d$/.test(String(m.minute)))).toBe(true);
    const peak = minutes.reduce((a, b) => (Number(b.transactions) > Number(a.transactions) ? b : a));
    const peakIct = summary.peakMinute.periodStart.slice(11, 16);
    expect(Number(minutes.find((m) => m.minute === peakIct)?.transactions)).toBe(summary.peakMinute.transactions);
    expect(Number(peak.transactions)).toBe(summary.peakMinute.transactions);
    const sums = await rows(summaries!);
    expect(sums.find((s) => String(s.date) === DAY)?.transactions).toBe(String(summary.transactions));
    con.closeSync();
    console.log(
      `[docs] ${DAY}: ${summary.transactions} transactions, peak ${peakIct} ICT (${summary.peakMinute.transactions}); aws s3 cp = .local file = ngsp download (${viaCli.length} bytes)`,
    );
  });
});
