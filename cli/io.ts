/**
 * Output of a command: results on stdout, notes and progress bars on stderr (so stdout can be
 * piped). Tests pass their own `Io` and no progress bars.
 */
import cliProgress from 'cli-progress';

export interface Io {
  /** A result line (stdout). */
  out(line: string): void;
  /** A note or warning (stderr). */
  note(line: string): void;
  /** Show progress bars (only on a terminal). */
  progress: boolean;
}

export const consoleIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  note: (line) => process.stderr.write(line + '\n'),
  progress: Boolean(process.stderr.isTTY) && !process.env.CI,
};

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

/** A progress bar on stderr, or nothing when progress is off. */
export function progressBar(io: Io, label: string, total: number, unit = ''): Progress {
  if (!io.progress) return { update: () => undefined, setTotal: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total}${unit ? ` ${unit}` : ''} | {eta_formatted} left{info}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0, { info: '' });
  return {
    update: (value, payload) =>
      bar.update(
        value,
        payload
          ? {
              info: ` | ${Object.entries(payload)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')}`,
            }
          : undefined,
      ),
    setTotal: (t) => bar.setTotal(Math.max(1, t)),
    stop: () => bar.stop(),
  };
}

/** (1, "message") → "1 message"; (2, "message") → "2 messages"; irregular plurals as the third argument. */
export function count(value: number, word: string, plural = `${word}s`): string {
  return `${n(value)} ${value === 1 ? word : plural}`;
}

/** 26256 → "26,256". */
export function n(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * Prints records as JSON (`--json`), or as a table with a header row and aligned columns, or a
 * sentence when there are none.
 */
export function printRecords<T>(
  io: Io,
  records: T[],
  opts: { json?: boolean },
  table: { none: string; header: string[]; row: (r: T) => string[] },
): T[] {
  if (opts.json) io.out(JSON.stringify(records, null, 2));
  else if (!records.length) io.out(table.none);
  else {
    const rows = [table.header, ...records.map(table.row)];
    const widths = table.header.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows)
      io.out(
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
  }
  return records;
}
