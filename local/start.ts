/**
 * `npm start`: the whole pipeline on this machine (CONTRACT.md section 4). Prints a line starting
 * with `READY ` and writes `.local/stack.json` when ready. `-- --no-demo` skips the seed traffic.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, type FunctionDecl } from '#infra/wiring.ts';
import { readConfig } from '#shared/config.ts';
import { KeyStore } from '#shared/store/api-keys.ts';
import { ensureLocalKeys, KeyFileError } from './keys.ts';
import { LocalStack } from './stack.ts';
import { ensureLocalSenders } from './senders.ts';
import type { LocalCredentials, StackJson } from '#shared/stack-file.ts';

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const cfg = readConfig({
    NGSP_LOCAL_DIR: { type: 'string', default: '.local' },
    NGSP_SQS_PORT: { type: 'int', default: 4566, min: 0 },
    NGSP_DYNAMODB_PORT: { type: 'int', default: 4567, min: 0 },
    NGSP_S3_PORT: { type: 'int', default: 4568, min: 0 },
    NGSP_API_PORT: { type: 'int', default: 3000, min: 0 },
    NGSP_VERBOSE: { type: 'bool', default: false },
    // Which functions run as workers (comma-separated); e.g. `api,rollup` lets messages pile up
    // in the queue untouched (the restart test uses it). Default: all of them.
    NGSP_FUNCTIONS: { type: 'string', default: FUNCTIONS.map((f) => f.name).join(',') },
  });
  const functions = cfg.NGSP_FUNCTIONS.split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const unknown = functions.filter((f) => !FUNCTIONS.some((d) => d.name === f));
  if (unknown.length > 0) {
    console.error(`error: NGSP_FUNCTIONS names no function ${unknown.join(', ')} (known: ${FUNCTIONS.map((f) => f.name).join(', ')})`);
    process.exit(2);
  }
  const started = Date.now();
  const dataDir = resolve(cfg.NGSP_LOCAL_DIR);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  const stack = await LocalStack.start({
    dataDir,
    ports: { sqs: cfg.NGSP_SQS_PORT, dynamodb: cfg.NGSP_DYNAMODB_PORT, s3: cfg.NGSP_S3_PORT },
    apiPort: cfg.NGSP_API_PORT,
    functions: functions as FunctionDecl['name'][],
    verbose: cfg.NGSP_VERBOSE,
  });
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack (data stays in ${cfg.NGSP_LOCAL_DIR}/)`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  let keys: StackJson['api']['keys'];
  let senders: Record<string, LocalCredentials>;
  try {
    keys = await ensureLocalKeys(join(dataDir, 'keys.json'), new KeyStore(stack.clients.ddb, stack.resources.names.tables.Keys));
    senders = await ensureLocalSenders(join(dataDir, 'senders.json'), stack.clients.ddb, stack.resources.names.tables.Keys, stack.sqsProxy);
  } catch (err) {
    await stack.stop();
    if (err instanceof KeyFileError) {
      console.error(`error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const json = stack.stackJson(keys, senders);
  writeFileSync(join(dataDir, 'stack.json'), JSON.stringify(json, null, 2) + '\n', { mode: 0o600 });
  console.log(
    `READY in ${((Date.now() - started) / 1000).toFixed(1)}s (Node ${process.version}) — queue ${json.sqs.queueUrl}, bucket ${json.s3.bucket}, API ${json.api.url || '(none yet)'}; details in ${cfg.NGSP_LOCAL_DIR}/stack.json`,
  );
  if (!args.has('--no-demo')) {
    // The demo is the `ngsp demo` command (cli/), run against the stack.json just written.
    const demo = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../cli/main.ts', import.meta.url)), 'demo'], {
      stdio: 'inherit',
      env: { ...process.env, NGSP_LOCAL_DIR: cfg.NGSP_LOCAL_DIR },
    });
    await new Promise<void>((done) =>
      demo
        .once('exit', () => done())
        .once('error', (err) => {
          console.error(`demo failed: ${err.message} (the stack keeps running)`);
          done();
        }),
    );
  }
}

main().catch((err) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
