/**
 * Figure 3 alone at its full size (`npx tsx bench/rollup-minute.ts [transactions]`): a minute of
 * ~100,000 transactions rolled on a fresh local stack (read through the minute journal), with the
 * count it missed (0 expected), the roll's peak memory, and the emulator's raw rate for the same reads. The whole
 * `npm run bench` includes it; this is the quick way to check exactness after an emulator change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStack } from '../local/stack.ts';
import { benchRollup } from './rollup.ts';

const transactions = Number(process.argv[2] ?? 100_000);
const dataDir = mkdtempSync(join(tmpdir(), 'ngsp-bench-minute-'));
const stack = await LocalStack.start({ prefix: `m${Date.now().toString(36)}`, dataDir, useEnvironment: false, functions: [] });
try {
  const { minute } = await benchRollup(stack, { minuteTransactions: transactions, dayTransactions: 0, timeoutMs: 600_000 }, (m) =>
    console.error(m),
  );
  console.log(
    `figure 3: a minute of ${minute.loaded.toLocaleString('en-US')} transactions rolled in ${(minute.rollMs / 1000).toFixed(1)} s; ` +
      `${minute.missing} missing; peak RSS of the roll ${Math.round(minute.peakRssMb)} MB; ` +
      `${minute.rollPerSecond.toLocaleString('en-US')} tx/s against ${minute.rawPerSecond.toLocaleString('en-US')} items/s raw journal Query + BatchGetItem (${Math.round(minute.ratio * 100)} %)`,
  );
} finally {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
