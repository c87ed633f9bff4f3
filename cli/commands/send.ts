/**
 * `ngsp send FILE|-`: posts JSON-lines events (one event or one `{"events": [...]}` per line),
 * checked line by line with the contract's validator before anything is sent.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseBody } from '#shared/contract/validate.ts';
import { UserError } from '../errors.ts';
import { count, n, progressBar, type Io } from '../io.ts';
import { EventSender, type SendStats, type Via } from '../lib/sender.ts';
import type { Target } from '../target.ts';

export interface SendOptions {
  /** A file path, or `-` for standard input. */
  file: string;
  via: Via;
  skipBad?: boolean;
  apiKey?: string;
  envelope?: number;
  /** Standard input, when `file` is `-` (injectable for tests). */
  stdin?: NodeJS.ReadableStream;
}

export interface SendResult extends SendStats {
  lines: number;
  badLines: number[];
}

/** Why a line is not a valid event, in a few words: the first problem and how many more. */
function lineProblem(line: string): string | undefined {
  const { items, bodyErrors } = parseBody(line);
  const errors = bodyErrors.length
    ? bodyErrors
    : items.flatMap((it) =>
        it.ok
          ? []
          : it.errors.map((e) => ({
              ...e,
              path: items.length > 1 || /^\s*\{\s*"events"/.test(line) ? `events[${it.index}].${e.path}` : e.path,
            })),
      );
  if (!errors.length) return undefined;
  const first = errors[0]!;
  const more = errors.length > 1 ? ` and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''}` : '';
  return `${first.path} ${first.message}${more}`;
}

export async function send(target: Target, opts: SendOptions, io: Io): Promise<SendResult> {
  const fromStdin = opts.file === '-';
  if (!fromStdin && !existsSync(opts.file)) throw new UserError(`file ${opts.file} does not exist.`);
  if (!fromStdin && statSync(opts.file).isDirectory()) throw new UserError(`${opts.file} is a folder, not a JSON-lines file.`);
  const name = fromStdin ? 'standard input' : opts.file;
  // Standard input can be read once: keep its lines for the second pass.
  const stdinLines: string[] | undefined = fromStdin ? [] : undefined;
  const lines = async function* (): AsyncGenerator<string> {
    if (stdinLines?.length) {
      yield* stdinLines;
      return;
    }
    const rl = createInterface({
      input: fromStdin ? (opts.stdin ?? process.stdin) : createReadStream(opts.file, { encoding: 'utf8' }),
      crlfDelay: Infinity,
    });
    for await (const raw of rl) {
      stdinLines?.push(raw);
      yield raw;
    }
  };
  // Without --skip-bad, every line is checked before the first is sent: one bad line sends nothing.
  if (!opts.skipBad) {
    let lineNo = 0;
    for await (const raw of lines()) {
      lineNo++;
      const problem = raw.trim() ? lineProblem(raw.trim()) : undefined;
      if (problem) {
        throw new UserError(
          `line ${lineNo} of ${name} is not a valid event (${problem}); nothing was sent: every line is checked before any is sent (fix it, or pass --skip-bad to send the valid lines and list the others).`,
        );
      }
    }
  }
  const totalBytes = fromStdin ? 0 : statSync(opts.file).size;
  const bar = progressBar(io, 'send', totalBytes || 1, fromStdin ? 'lines' : 'bytes');
  const sender = new EventSender(target, { via: opts.via, envelope: opts.envelope, apiKey: opts.apiKey });
  const result: SendResult = { ...sender.stats, lines: 0, badLines: [] };
  let bytes = 0;
  try {
    for await (const raw of lines()) {
      result.lines++;
      bytes += Buffer.byteLength(raw, 'utf8') + 1;
      const line = raw.trim();
      if (!line) continue;
      const problem = lineProblem(line);
      if (problem) {
        result.badLines.push(result.lines);
        io.note(`skipped line ${result.lines}: ${problem}`);
        continue;
      }
      const value = JSON.parse(line) as { events?: { reporter: { platformId: string } }[]; reporter?: { platformId: string } };
      for (const e of value.events ?? [value as { reporter: { platformId: string } }])
        await sender.add(JSON.stringify(e), e.reporter.platformId);
      if (result.lines % 200 === 0) bar.update(fromStdin ? result.lines : Math.min(bytes, totalBytes), { sent: n(sender.stats.sent) });
    }
    await sender.close();
  } finally {
    bar.stop();
  }
  Object.assign(result, sender.stats);
  const via = opts.via === 'api' ? `POST ${target.apiUrl}/v1/events` : 'SQS';
  io.out(
    `sent ${count(result.sent, 'event')} in ${count(result.messages, opts.via === 'api' ? 'request' : 'message')} via ${via}${result.badLines.length ? `; skipped ${count(result.badLines.length, 'bad line')}` : ''}${opts.via === 'api' ? `; the API rejected ${n(result.rejected)}` : ''}.`,
  );
  for (const r of result.rejections.slice(0, 5))
    io.note(`rejected (${r.platformId} #${r.index}): ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  return result;
}
