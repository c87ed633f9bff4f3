/**
 * The dashboard's alerts panel (issue 16 part 4): the exchange-health alerts (`GET /v1/alerts`)
 * of the period on screen — the last 7 days in the live view, else the days shown (up to 31) —
 * open ones first, each with its kind, subject, start and end in the reader's language.
 */
import type { Alert } from '../shared/alerts.ts';
import type { I18n, MessageKey } from './i18n.ts';

const ZONE = 'Asia/Ho_Chi_Minh';
const DAY_MS = 86_400_000;

/** The range of alerts to show for a view: `[from, to)` as instants. */
export function alertsRange(view: { live: boolean; from: string; to: string }, now: number): { from: string; to: string } {
  if (view.live) return { from: new Date(now - 7 * DAY_MS).toISOString(), to: new Date(now + 60_000).toISOString() };
  const end = Date.parse(`${view.to}T00:00:00+07:00`) + DAY_MS;
  const start = Math.max(Date.parse(`${view.from}T00:00:00+07:00`), end - 31 * DAY_MS);
  return { from: new Date(start).toISOString(), to: new Date(end).toISOString() };
}

/** The alerts of a view; an API without alerts (or a failure) shows none rather than no dashboard. */
export async function loadAlerts(
  get: (path: string, params: Record<string, string>) => Promise<{ alerts: Alert[] }>,
  view: { live: boolean; from: string; to: string },
  now: number,
): Promise<Alert[] | undefined> {
  try {
    return (await get('v1/alerts', alertsRange(view, now))).alerts;
  } catch {
    return undefined;
  }
}

const KIND_KEYS: Record<Alert['kind'], MessageKey> = {
  PLATFORM_SILENT: 'alertPlatformSilent',
  FAILURE_RATIO: 'alertFailureRatio',
  DURATION_P95: 'alertDurationP95',
  TRAFFIC_DROP: 'alertTrafficDrop',
};

function when(i18n: I18n, rfc3339: string): string {
  return new Intl.DateTimeFormat(i18n.locale, {
    timeZone: ZONE,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(rfc3339));
}

/** A subject as a reader says it: a province pair with `→` and the central level for `-`. */
function subject(i18n: I18n, a: Alert): string {
  if (a.kind !== 'TRAFFIC_DROP') return a.subject;
  return a.subject
    .split('>')
    .map((p) => (p === '-' ? i18n.t('central') : p))
    .join(' → ');
}

/** Fills the panel's table (open alerts first, newest first); `undefined`: the panel says alerts could not be read. */
export function renderAlerts(section: HTMLElement, alerts: Alert[] | undefined, i18n: I18n): void {
  const tbody = section.querySelector('tbody');
  if (!tbody) return;
  const sorted = [...(alerts ?? [])].sort(
    (a, b) => Number(a.endedAt !== null) - Number(b.endedAt !== null) || b.startedAt.localeCompare(a.startedAt),
  );
  section.dataset.alerts = String(sorted.length);
  section.dataset.open = String(sorted.filter((a) => a.endedAt === null).length);
  const cell = (text: string): HTMLTableCellElement => {
    const td = document.createElement('td');
    td.textContent = text;
    return td;
  };
  const rows = sorted.map((a) => {
    const tr = document.createElement('tr');
    tr.dataset.kind = a.kind;
    tr.dataset.subject = a.subject;
    tr.className = a.endedAt === null ? 'open' : 'ended';
    tr.title = a.detail.message;
    tr.append(
      cell(i18n.t(KIND_KEYS[a.kind])),
      cell(subject(i18n, a)),
      cell(when(i18n, a.startedAt)),
      cell(a.endedAt === null ? i18n.t('alertOpen') : when(i18n, a.endedAt)),
    );
    return tr;
  });
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = cell(alerts ? i18n.t('noAlerts') : i18n.t('alertsUnavailable'));
    td.colSpan = 4;
    td.className = 'empty';
    tr.append(td);
    rows.push(tr);
  }
  tbody.replaceChildren(...rows);
}
