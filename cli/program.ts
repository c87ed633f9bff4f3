/**
 * The `ngsp` command tree (commander). Each action loads its target and calls a function of
 * cli/commands/, which does the work and can be called in process by tests.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { cost } from './commands/cost.ts';
import { demo } from './commands/demo.ts';
import { download } from './commands/download.ts';
import { createKey, listKeys, revokeKey } from './commands/keys.ts';
import { redrive } from './commands/redrive.ts';
import { checkReplayOptions, replay } from './commands/replay.ts';
import { listQuarantine, retryQuarantine } from './commands/quarantine.ts';
import { report } from './commands/report.ts';
import { parseRange, rollup } from './commands/rollup.ts';
import { send } from './commands/send.ts';
import { addSender, listSenders, removeSender } from './commands/senders.ts';
import { addPlatform, listPlatforms, retirePlatform } from './commands/platforms.ts';
import { consoleIo, type Io } from './io.ts';
import { closeTarget, loadTarget, type Target } from './target.ts';

/** What the current action targets (for error sentences). */
export const current: { target?: Target } = {};

const OUTPUTS_HELP = 'target a deployed stack: the file `cdk deploy --outputs-file` wrote (default: the local stack, .local/stack.json)';

function int(name: string) {
  return (value: string): number => {
    const v = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(v)) throw new InvalidArgumentError(`${name} must be a whole number.`);
    return v;
  };
}

function num(name: string) {
  return (value: string): number => {
    const v = Number(value);
    if (!value.trim() || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a number.`);
    return v;
  };
}

async function withTarget<T>(outputs: string | undefined, fn: (t: Target) => Promise<T>): Promise<T> {
  const target = loadTarget(outputs);
  current.target = target;
  try {
    return await fn(target);
  } finally {
    closeTarget(target);
  }
}

/** `ngsp --version`: the package version and the Node.js running it (22, as on Lambda). */
export function versionLine(): string {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return `ngsp-stats ${version} (Node ${process.version})`;
}

export function buildProgram(io: Io = consoleIo): Command {
  const program = new Command('ngsp')
    .version(versionLine(), '-V, --version', 'print the version and the Node.js version')
    .description(
      'ngsp-stats command line: send and replay LGSP exchange events, roll and download statistics, manage keys, redrive and quarantine, estimate AWS cost.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });

  program
    .command('send')
    .description('send JSON-lines exchange events (one event or one {"events": [...]} per line), batched, with a progress bar')
    .argument('<file>', 'a JSON-lines file, or - for standard input')
    .addOption(new Option('--via <path>', 'transport').choices(['sqs', 'api']).default('sqs'))
    .option('--skip-bad', 'skip lines that are not valid events (reported on stderr) instead of stopping')
    .option('--api-key <key>', "API key for --via api (default: the local stack key of each event's platform)")
    .option('--envelope <n>', 'events per message, 1-500', int('--envelope'))
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (file: string, o: { via: 'sqs' | 'api'; skipBad?: boolean; apiKey?: string; envelope?: number; outputs?: string }) => {
      await withTarget(o.outputs, (t) => send(t, { file, via: o.via, skipBad: o.skipBad, apiKey: o.apiKey, envelope: o.envelope }, io));
    });

  program
    .command('replay')
    .description('generate seed traffic shaped like a public year (2019, 2020, 2021) for some days and send it')
    .requiredOption('--profile <year>', 'traffic profile: 2019, 2020 or 2021 (seeds/profiles/)')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (Asia/Ho_Chi_Minh), in the past')
    .option('--days <n>', 'number of days', int('--days'), 1)
    .option('--scale <f>', 'multiply the volume (0.01 = 1 %)', num('--scale'), 1)
    .option('--seed <n>', "seed number (default: the profile's); same seed, same events", int('--seed'))
    .addOption(new Option('--via <path>', 'transport').choices(['sqs', 'api']).default('sqs'))
    .option('--envelope <n>', 'events per message, 1-500', int('--envelope'))
    .option('--api-key <key>', 'API key for --via api')
    .option('--out <file>', 'write the events as JSON lines to a file (- = stdout) instead of sending them')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(
      async (o: {
        profile: string;
        from: string;
        days: number;
        scale: number;
        seed?: number;
        via: 'sqs' | 'api';
        envelope?: number;
        apiKey?: string;
        out?: string;
        outputs?: string;
      }) => {
        const opts = {
          profile: o.profile,
          from: o.from,
          days: o.days,
          scale: o.scale,
          seed: o.seed,
          via: o.via,
          envelope: o.envelope,
          apiKey: o.apiKey,
          out: o.out,
        };
        checkReplayOptions(opts);
        if (o.out) await replay(undefined, opts, io);
        else await withTarget(o.outputs, (t) => replay(t, opts, io));
      },
    );

  program
    .command('rollup')
    .description('roll every minute and day of a range now: days YYYY-MM-DD (both included) or RFC 3339 instants [from, to)')
    .requiredOption('--from <x>', 'first day (YYYY-MM-DD) or start instant (RFC 3339 with offset)')
    .requiredOption('--to <y>', 'last day (included) or end instant (excluded)')
    .option('--concurrency <n>', 'minutes rolled at once', int('--concurrency'), 8)
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (o: { from: string; to: string; concurrency: number; outputs?: string }) => {
      parseRange(o.from, o.to);
      await withTarget(o.outputs, (t) => rollup(t, { from: o.from, to: o.to, concurrency: o.concurrency }, io));
    });

  program
    .command('download')
    .description('copy rollups into a folder, same partitioned layout as the bucket (rollups/daily/date=.../, rollups/minute/date=.../)')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (included)')
    .addOption(
      new Option('--granularity <g>', 'daily rows (+ summary.json) or one file per minute').choices(['day', 'minute']).default('day'),
    )
    .addOption(
      new Option('--format <f>', 'file format (minute CSV is converted from the JSON lines)').choices(['csv', 'jsonl']).default('jsonl'),
    )
    .requiredOption('--out <dir>', 'folder to write into')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(
      async (o: { from: string; to: string; granularity: 'day' | 'minute'; format: 'csv' | 'jsonl'; out: string; outputs?: string }) => {
        await withTarget(o.outputs, (t) => download(t, o, io));
      },
    );

  program
    .command('report')
    .description(
      "build a month's reports now (HTML and PDF, national and one per reporting platform) from the published daily rollups, into reports/month=YYYY-MM/, and print where they are",
    )
    .requiredOption('--month <month>', 'the month, YYYY-MM (Asia/Ho_Chi_Minh)')
    .option('--platform <id>', 'only this platform (NGSP, LGSP-79, LGSP-BYT, ...) or national')
    .option('--fetch', 'take the reports already in the bucket instead of building them')
    .option('--out <dir>', 'also copy the files into this folder')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (o: { month: string; platform?: string; fetch?: boolean; out?: string; outputs?: string }) => {
      await withTarget(o.outputs, (t) => report(t, o, io));
    });

  program
    .command('redrive')
    .description('move dead-lettered messages back to the ingest queue and report the counts')
    .addOption(
      new Option(
        '--method <m>',
        'move-task (SQS StartMessageMoveTask, default on AWS) or copy (receive, send, delete; default locally)',
      ).choices(['move-task', 'copy']),
    )
    .option('--max <n>', 'move at most this many messages (copy)', int('--max'))
    .option('--no-wait', 'return once a move task has started')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (o: { method?: 'move-task' | 'copy'; max?: number; wait: boolean; outputs?: string }) => {
      await withTarget(o.outputs, (t) => redrive(t, { method: o.method, max: o.max, wait: o.wait }, io));
    });

  program
    .command('demo')
    .description('replay a weekday of the 2020 profile into the local stack, roll it and print where to look (npm start runs it)')
    .option('--force', 'replay even if the day is already rolled with the expected figures')
    .action(async (o: { force?: boolean }) => {
      await withTarget(undefined, (t) => demo(t, io, o));
    });

  program
    .command('cost')
    .description('monthly AWS cost estimate per service (Lambda, SQS, DynamoDB, S3, API Gateway, CloudWatch)')
    .requiredOption('--transactions-per-day <n>', 'daily transactions (2020: ~24700, 2021: ~500000)')
    .option('--detail', 'show every line of the estimate')
    .option('--json', 'print the estimate as JSON')
    .action((o: { transactionsPerDay: string; detail?: boolean; json?: boolean }) => {
      cost(o, io);
    });

  const quarantine = program
    .command('quarantine')
    .description('minutes and days the scheduled rollup gave up on for now (poison periods; operators)');
  quarantine
    .command('list')
    .description('list quarantined minutes and days with their last error, attempts and next scheduled retry')
    .option('--json', 'print JSON')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (o: { json?: boolean; outputs?: string }) => {
      await withTarget(o.outputs, (t) => listQuarantine(t, o, io));
    });
  quarantine
    .command('retry')
    .description('roll quarantined periods now (all, or one); those that roll leave the quarantine')
    .argument('[period]', 'a minute YYYY-MM-DDTHH:mm or a day YYYY-MM-DD (default: every quarantined period)')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (period: string | undefined, o: { outputs?: string }) => {
      await withTarget(o.outputs, (t) => retryQuarantine(t, period, io));
    });

  const keys = program.command('keys').description('manage API keys (operators)');
  keys
    .command('create')
    .description('create a key; it is printed once (stdout), store it then')
    .requiredOption('--role <role>', 'lgsp, analyst or ops')
    .option('--platform <id>', 'for lgsp keys: the platform it reports for (e.g. LGSP-79)')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (o: { role: string; platform?: string; outputs?: string }) => {
      await withTarget(o.outputs, (t) => createKey(t, o, io));
    });
  keys
    .command('list')
    .description('list keys (ids, roles, platforms, dates; never the keys)')
    .option('--json', 'print JSON')
    .option('--reindex', 'first put keys created before the key index into it (once, after upgrading a deployed stack)')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (o: { json?: boolean; reindex?: boolean; outputs?: string }) => {
      await withTarget(o.outputs, (t) => listKeys(t, o, io));
    });
  keys
    .command('revoke')
    .description('revoke a key by its id: requests with it get 401')
    .argument('<keyId>', 'the key id, e.g. k_0123456789ab')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (keyId: string, o: { outputs?: string }) => {
      await withTarget(o.outputs, (t) => revokeKey(t, keyId, io));
    });

  const senders = program
    .command('senders')
    .description('manage the registry of SQS sending principals: which IAM principal sends for which platform (operators)');
  senders
    .command('add')
    .description('register a principal (its SenderId) as the sender of one platform, or as an operator relay')
    .requiredOption(
      '--sender-id <id>',
      "the principal's IAM unique id, as SQS reports it in SenderId (AROA... for a role, AIDA... for a user)",
    )
    .option('--platform <id>', 'the platform it sends for (e.g. LGSP-79)')
    .option('--ops', "an operator principal: may relay any platform's reports (e.g. a copy-redrive)")
    .option('--note <text>', 'free text, e.g. the principal ARN')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (o: { senderId: string; platform?: string; ops?: boolean; note?: string; outputs?: string }) => {
      await withTarget(o.outputs, (t) => addSender(t, o, io));
    });
  senders
    .command('list')
    .description('list registered senders')
    .option('--json', 'print JSON')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (o: { json?: boolean; outputs?: string }) => {
      await withTarget(o.outputs, (t) => listSenders(t, o, io));
    });
  senders
    .command('remove')
    .description('remove a sender: its messages are then rejected into rejected/platform=unknown/')
    .argument('<senderId>', 'the sender id')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (senderId: string, o: { outputs?: string }) => {
      await withTarget(o.outputs, (t) => removeSender(t, senderId, io));
    });

  const platforms = program
    .command('platforms')
    .description(
      'the platforms registry of a running stack, with validity dates: which platforms may report, and for which days (operators)',
    );
  platforms
    .command('list')
    .description('list platforms with their validity, status today and source (seed or an operator change)')
    .option('--all', 'also the platforms the seed retired (e.g. codes ended on 2025-06-30)')
    .option('--json', 'print JSON')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (o: { all?: boolean; json?: boolean; outputs?: string }) => {
      await withTarget(o.outputs, (t) => listPlatforms(t, o, io));
    });
  platforms
    .command('add')
    .description('add a platform (or a new validity period of one): validation accepts its reports within a minute')
    .requiredOption('--id <platformId>', 'NGSP or LGSP-<province code or ministry abbreviation>, e.g. LGSP-BNV')
    .addOption(new Option('--kind <kind>', 'what it is').choices(['national', 'province', 'ministry']).makeOptionMandatory())
    .requiredOption('--name <name>', 'its name, e.g. "LGSP Bộ Nội vụ"')
    .option('--province <code>', 'for a province platform: its two-digit province code, in force on --from')
    .requiredOption('--from <day>', 'first day it may report for, YYYY-MM-DD (Asia/Ho_Chi_Minh)')
    .option('--until <day>', 'last day it may report for, YYYY-MM-DD (default: open)')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (o: { id: string; kind: string; name: string; province?: string; from: string; until?: string; outputs?: string }) => {
      await withTarget(o.outputs, (t) => addPlatform(t, o, io));
    });
  platforms
    .command('retire')
    .description('retire a platform: its reports of days after --until are rejected within a minute')
    .argument('<platformId>', 'the platform, e.g. LGSP-BNV')
    .requiredOption('--until <day>', 'the last day it may report for, YYYY-MM-DD (Asia/Ho_Chi_Minh), not before its validFrom')
    .option('--outputs <file>', OUTPUTS_HELP)
    .action(async (platformId: string, o: { until: string; outputs?: string }) => {
      await withTarget(o.outputs, (t) => retirePlatform(t, platformId, o, io));
    });

  return program;
}
