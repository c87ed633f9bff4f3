/**
 * Building and storing monthly reports (CONTRACT.md 1.1 `reports/month=YYYY-MM/<subject>.html|.pdf`):
 * the month's published daily files are read once (rollup.jsonl, summary.json, systems.jsonl
 * when present, and the previous month's rows for the trend), then one report per subject —
 * `national` and every platform that reported in the month — is rendered and written.
 *
 * When: the scheduled rollup notes a month as due once its last day is final, and again whenever
 * one of its days is rolled again (a late report); each run then builds the due months' reports,
 * subject by subject, within its time budget, and notes which are done, so a month with many
 * platforms is finished over several runs. The note is one small object (`keys.reportsDue`).
 * `ngsp report` builds a month's reports by hand.
 */
import { pool } from '#shared/pool.ts';
import { defaultRegistry, type Registry } from '#shared/registry.ts';
import type { Row } from '#shared/stats/period.ts';
import { keys, type RollupBucket } from '#shared/store/bucket.ts';
import { DAY_MS, dayStartMs, toIct } from '#shared/time.ts';
import { renderHtml } from './html.ts';
import {
  NATIONAL,
  daysOfMonth,
  monthOf,
  monthlyFigures,
  previousMonth,
  reportingPlatformsOf,
  scopeOf,
  type DaySummaryLike,
  type MonthDay,
  type MonthlyFigures,
  type SystemRow,
} from './monthly.ts';
import { renderPdf } from './pdf.ts';

export interface ReportDeps {
  bucket: Pick<RollupBucket, 'get' | 'put'>;
  registry?: Pick<Registry, 'data' | 'codeSetOn'>;
  now?: () => number;
}

const READ_CONCURRENCY = 8;

function jsonLines<T>(text: string | undefined): T[] | undefined {
  if (text === undefined) return undefined;
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** The month's published days: those with a daily rollup file. */
export async function readMonthDays(bucket: ReportDeps['bucket'], month: string, opts: { rowsOnly?: boolean } = {}): Promise<MonthDay[]> {
  const out: MonthDay[] = [];
  await pool(daysOfMonth(month), READ_CONCURRENCY, async (day) => {
    const rows = jsonLines<Row>(await bucket.get(keys.dailyJsonl(day)));
    if (!rows) return;
    if (opts.rowsOnly) {
      out.push({ day, rows });
      return;
    }
    const [summaryText, systemsText] = await Promise.all([bucket.get(keys.summary(day)), bucket.get(keys.systemsJsonl(day))]);
    const systemRows = jsonLines<SystemRow>(systemsText);
    out.push({
      day,
      rows,
      ...(summaryText ? { summary: JSON.parse(summaryText) as DaySummaryLike } : {}),
      ...(systemRows ? { systemRows } : {}),
    });
  });
  return out.sort((a, b) => (a.day < b.day ? -1 : 1));
}

/** A month's days and the previous month's rows, read once for all its subjects. */
export interface MonthData {
  month: string;
  days: MonthDay[];
  previous: MonthDay[];
}

export async function readMonth(bucket: ReportDeps['bucket'], month: string): Promise<MonthData> {
  const [days, previous] = await Promise.all([
    readMonthDays(bucket, month),
    readMonthDays(bucket, previousMonth(month), { rowsOnly: true }),
  ]);
  return { month, days, previous };
}

/** The subjects of a month: `national`, then every platform that reported in it. */
export function subjectsOf(data: MonthData): string[] {
  return [NATIONAL, ...reportingPlatformsOf(data.days)];
}

export function figuresOf(data: MonthData, subject: string, registry: ReportDeps['registry'] = defaultRegistry): MonthlyFigures {
  return monthlyFigures(data.month, scopeOf(subject, registry), data.days, data.previous, registry);
}

/** Renders and stores one subject's report; returns its keys. */
export async function writeReport(
  data: MonthData,
  subject: string,
  deps: ReportDeps,
): Promise<{ html: string; pdf: string; figures: MonthlyFigures }> {
  const figures = figuresOf(data, subject, deps.registry);
  const generatedAt = toIct((deps.now ?? Date.now)());
  const html = keys.report(data.month, subject, 'html');
  const pdf = keys.report(data.month, subject, 'pdf');
  await deps.bucket.put(html, renderHtml(figures, generatedAt));
  await deps.bucket.put(pdf, await renderPdf(figures, generatedAt));
  return { html, pdf, figures };
}

/** Builds a month's reports (all subjects, or the given ones), stopping early when `shouldStop` says so. */
export async function buildMonthReports(
  month: string,
  deps: ReportDeps,
  opts: { subjects?: string[]; data?: MonthData; shouldStop?: () => boolean } = {},
): Promise<{ written: string[]; remaining: string[] }> {
  const data = opts.data ?? (await readMonth(deps.bucket, month));
  const subjects = opts.subjects ?? subjectsOf(data);
  const written: string[] = [];
  for (const [i, s] of subjects.entries()) {
    if (opts.shouldStop?.()) return { written, remaining: subjects.slice(i) };
    await writeReport(data, s, deps);
    written.push(s);
  }
  return { written, remaining: [] };
}

/** The rollup's note of months whose reports are due, and the subjects already rebuilt. */
interface DueNote {
  months: Record<string, { since: string; done: string[] }>;
}

/** Whether a month's last day has ended before `finalBeforeMs` (the rollup's watermark). */
export function isMonthFinal(month: string, finalBeforeMs: number): boolean {
  const days = daysOfMonth(month);
  return dayStartMs(days[days.length - 1]!) + DAY_MS <= finalBeforeMs;
}

export interface DueReportsOutcome {
  /** `YYYY-MM/<subject>` of each report written. */
  written: string[];
  /** Months still due after the run (their reports go on in the next run). */
  pending: string[];
  /** Why the reports stopped, when they failed (the note keeps the months due: the next run goes on). */
  error?: string;
}

/**
 * The scheduled rollup's hook: notes the final months among the days it rolled as due (a day
 * rolled again makes its month due again, from the first subject), then builds due reports until
 * `shouldStop`. Never throws: a failure is returned and the next run goes on from the note.
 */
export async function runDueReports(
  rolledDays: string[],
  finalBeforeMs: number,
  deps: ReportDeps,
  shouldStop: () => boolean,
): Promise<DueReportsOutcome> {
  const written: string[] = [];
  let note: DueNote = { months: {} };
  let changed = false;
  const save = async (): Promise<void> => {
    if (changed) await deps.bucket.put(keys.reportsDue, `${JSON.stringify(note)}\n`);
    changed = false;
  };
  try {
    const text = await deps.bucket.get(keys.reportsDue);
    if (text) note = JSON.parse(text) as DueNote;
    const now = toIct((deps.now ?? Date.now)());
    for (const month of new Set(rolledDays.map(monthOf))) {
      if (!isMonthFinal(month, finalBeforeMs)) continue;
      note.months[month] = { since: now, done: [] };
      changed = true;
    }
    await save();
    for (const month of Object.keys(note.months).sort()) {
      if (shouldStop()) break;
      const entry = note.months[month]!;
      const data = await readMonth(deps.bucket, month);
      const subjects = subjectsOf(data).filter((s) => !entry.done.includes(s));
      for (const s of subjects) {
        if (shouldStop()) break;
        await writeReport(data, s, deps);
        entry.done.push(s);
        written.push(`${month}/${s}`);
        changed = true;
      }
      if (subjects.every((s) => entry.done.includes(s))) delete note.months[month];
      await save();
    }
    return { written, pending: Object.keys(note.months).sort() };
  } catch (err) {
    await save().catch(() => undefined);
    return { written, pending: Object.keys(note.months).sort(), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}
