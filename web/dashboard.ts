/**
 * The dashboard page's script: asks for a key (kept in sessionStorage), then reads the metrics
 * API and draws the charts with uPlot. Bundled with the page by web/build.ts — nothing is
 * loaded from a CDN at run time.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import type { BreakdownResponse, SeriesResponse, SummaryResponse } from '../shared/api/metrics.ts';
import { I18n } from './i18n.ts';
import { renderPairs } from './pairs.ts';
import { serviceCell } from './service-name.ts';
import { loadAlerts, renderAlerts } from './alerts.ts';
import type { Alert } from '../shared/alerts.ts';
import { durationCap } from './scale.ts';
import { loadSystems, renderSystems, type SystemsData } from './systems.ts';

const KEY_ITEM = 'ngsp.apiKey';
const ZONE = 'Asia/Ho_Chi_Minh';
const REFRESH_MS = 60_000;
const COLORS = { ok: '#2e7d32', fail: '#c62828', p95: '#6a1b9a' };

const $ = <T extends HTMLElement = HTMLElement>(sel: string, root: ParentNode = document): T => {
  const el = root.querySelector<T>(sel);
  if (!el) throw new Error(`missing element ${sel}`);
  return el;
};

const i18n = I18n.load();
const t = i18n.t.bind(i18n);
const dayFmt = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** `YYYY-MM-DD` of an instant in Asia/Ho_Chi_Minh. */
function ictDay(ms: number): string {
  return dayFmt.format(new Date(ms));
}

/** The API's base URL: the page's own directory (so it works behind an API Gateway stage prefix). */
function apiBase(): URL {
  const url = new URL(location.href);
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function api<T>(key: string, path: string, params: Record<string, string>): Promise<T> {
  const url = new URL(path, apiBase());
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { headers: { 'x-api-key': key, accept: 'application/json' } });
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `HTTP ${res.status}`);
  return body as T;
}

interface Data {
  minutes: SeriesResponse;
  days: SeriesResponse;
  today: SummaryResponse;
  year: SummaryResponse;
  breakdown: BreakdownResponse;
  /** The systems panel's data; undefined when it could not be read (the rest of the page still shows). */
  systems?: SystemsData;
  view: View;
  /** Exchange-health alerts of the view (web/alerts.ts); undefined when they could not be read. */
  alerts?: Alert[];
}

/**
 * What the page shows. `live`: today, the last 24 hours and 90 days, counted from now (the page
 * opened without a date). Otherwise the days [from, to] (ICT) of `?date=` or `?from=&to=`: the
 * headline over those days, the minutes of the last one, the days of the range (or the 90 days up
 * to a single day), and the services and province pairs of that same window.
 */
interface View {
  live: boolean;
  from: string;
  to: string;
  /** Why this view was chosen when the URL did not say (shown above the panels). */
  notice?: string;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const ictMidnight = (day: string): number => Date.parse(`${day}T00:00:00+07:00`);

/** The view a URL asks for: `?date=D`, `?from=D&to=D`, or none (live). */
function viewOf(search: string, now: number): View | { error: string } {
  const q = new URLSearchParams(search);
  const date = q.get('date');
  const from = q.get('from') ?? date;
  const to = q.get('to') ?? date ?? from;
  if (!from && !to) return { live: true, from: ictDay(now), to: ictDay(now) };
  if (!from || !to || !DAY_RE.test(from) || !DAY_RE.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) {
    return { error: t('badLink') };
  }
  if (to < from) return { error: t('badRange', { from, to }) };
  if ((Date.parse(to) - Date.parse(from)) / 86_400_000 > 365) return { error: t('longRange') };
  return { live: false, from, to };
}

/** The latest ICT day with transactions, up to `today` (years from the newest, then its days). */
async function latestDayWithData(key: string, today: string): Promise<string | undefined> {
  for (let year = Number(today.slice(0, 4)); year >= 2000; year--) {
    const s = await api<SummaryResponse>(key, 'v1/metrics/summary', { year: String(year) });
    if (!s.transactions) continue;
    const last = `${year}-12-31` < today ? `${year}-12-31` : today;
    const days = await api<SeriesResponse>(key, 'v1/metrics/days', { from: `${year}-01-01`, to: last });
    const hit = [...days.points].reverse().find((p) => p.transactions > 0);
    if (hit) return ictDay(Date.parse(hit.periodStart));
  }
  return undefined;
}

async function load(key: string, now: number, view: View): Promise<Data> {
  let minutesRange: [number, number];
  let daysRange: [string, string];
  if (view.live) {
    const to = Math.floor(now / 60_000) * 60_000;
    minutesRange = [to - 86_400_000, to];
    daysRange = [ictDay(now - 89 * 86_400_000), ictDay(now)];
  } else {
    minutesRange = [ictMidnight(view.to), ictMidnight(addDays(view.to, 1))];
    daysRange = view.from === view.to ? [addDays(view.to, -89), view.to] : [view.from, view.to];
  }
  const [minutes, days, headline, year, breakdown, systems, alerts] = await Promise.all([
    api<SeriesResponse>(key, 'v1/metrics/minutes', {
      from: new Date(minutesRange[0]).toISOString(),
      to: new Date(minutesRange[1]).toISOString(),
    }),
    api<SeriesResponse>(key, 'v1/metrics/days', { from: daysRange[0], to: daysRange[1] }),
    api<SummaryResponse>(key, 'v1/metrics/summary', { from: view.from, to: view.to }),
    api<SummaryResponse>(key, 'v1/metrics/summary', { year: view.to.slice(0, 4) }),
    api<BreakdownResponse>(key, 'v1/metrics/breakdown', { from: daysRange[0], to: daysRange[1] }),
    loadSystems((path, params) => api(key, path, params), daysRange[0], daysRange[1]).catch(() => undefined),
    loadAlerts((path, params) => api<{ alerts: Alert[] }>(key, path, params), view, now),
  ]);
  return { minutes, days, today: headline, year, breakdown, systems, view, ...(alerts ? { alerts } : {}) };
}

/** Opened without a date and nothing happened today yet: the latest day with data, said so. */
async function chooseView(key: string, now: number): Promise<View> {
  const asked = viewOf(location.search, now);
  if ('error' in asked) throw new ApiError(400, asked.error);
  if (!asked.live) return asked;
  const today = ictDay(now);
  const s = await api<SummaryResponse>(key, 'v1/metrics/summary', { from: today, to: today });
  if (s.transactions > 0) return asked;
  const latest = await latestDayWithData(key, today);
  if (!latest) return { ...asked, notice: t('noTransactionsYet', { today: i18n.day(today) }) };
  return { live: false, from: latest, to: latest, notice: t('showingLatest', { today: i18n.day(today), latest: i18n.day(latest) }) };
}

/** `?date=` for one day, `?from=&to=` for a range; no query for the live view. */
function linkOf(view: View): string {
  if (view.live) return location.pathname;
  return view.from === view.to ? `${location.pathname}?date=${view.from}` : `${location.pathname}?from=${view.from}&to=${view.to}`;
}

function setTitles(view: View): void {
  const day = (d: string): string => i18n.day(d);
  const period = view.from === view.to ? day(view.to) : `${day(view.from)} – ${day(view.to)}`;
  const [mins, days, window] = view.live
    ? [t('last24h'), t('last90d'), t('last90d')]
    : [
        day(view.to),
        view.from === view.to ? t('days90To', { day: day(view.to) }) : period,
        view.from === view.to ? t('days90To', { day: day(view.to) }) : period,
      ];
  $('#today h2 .label').textContent = view.live ? t('today') : view.from === view.to ? t('day') : t('days');
  $('#chart-minutes h2').textContent = t('perMinute', { period: mins });
  $('#chart-minutes-p95 h2').textContent = t('p95PerMinute', { period: mins });
  $('#chart-days h2').textContent = t('perDay', { period: days });
  $('#chart-days-p95 h2').textContent = t('p95PerDay', { period: days });
  $('#services h2 small').textContent = window;
  $('#provinces h2 small').textContent = t('top20', { window });
  $<HTMLInputElement>('#from').value = view.from;
  $<HTMLInputElement>('#to').value = view.to;
  const notice = $('#notice');
  notice.textContent = view.notice ?? '';
  notice.hidden = !view.notice;
  document.body.dataset.from = view.from;
  document.body.dataset.to = view.to;
  document.body.dataset.live = String(view.live);
}

/** Days of [from, to] that have begun (a year's average counts only the days so far). */
function daysSoFar(from: string, to: string): number {
  const last = to < ictDay(Date.now()) ? to : ictDay(Date.now());
  return Math.max(1, Math.round((Date.parse(last) - Date.parse(from)) / 86_400_000) + 1);
}

function renderSummary(card: HTMLElement, s: SummaryResponse, period: string, perDay: boolean): void {
  $('.period', card).textContent = period;
  const figures: [string, string, number, number][] = [
    ['transactions', t('transactions'), s.transactions, 0],
    // Per minute for a day; per day for a year (a year's per-minute average tells a reader nothing).
    perDay
      ? ['avg', t('avgPerDay'), Math.round(s.transactions / daysSoFar(s.from, s.to)), 0]
      : ['avg', t('avgPerMinute'), s.avgTransactionsPerMinute, 3],
    ['systems', t('systems'), s.distinctSystems, 0],
    ['platforms', t('platforms'), s.reportingPlatforms.length, 0],
  ];
  const dl = $('dl', card);
  dl.replaceChildren(
    ...figures.map(([id, label, value, digits]) => {
      const div = document.createElement('div');
      div.dataset.figure = id;
      div.dataset.value = String(value);
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.textContent = i18n.number(value, digits);
      div.append(dd, dt);
      return div;
    }),
  );
}

const charts = new Map<string, uPlot>();

function drawChart(sectionId: string, series: SeriesResponse, kind: 'counts' | 'p95'): void {
  const section = $(`#${sectionId}`);
  const host = $('.plot', section);
  const xs = series.points.map((p) => Date.parse(p.periodStart) / 1000);
  const bars = series.granularity === 'day' && kind === 'counts' ? uPlot.paths.bars!({ size: [0.8, 40] }) : undefined;
  const data: uPlot.AlignedData =
    kind === 'counts'
      ? // Bars of zero height would still draw a stroke: leave them out.
        [
          xs,
          series.points.map((p) => (bars && p.succeeded === 0 ? null : p.succeeded)),
          series.points.map((p) => (bars && p.failed === 0 ? null : p.failed)),
        ]
      : [xs, series.points.map((p) => p.durationMsP95)];
  const seriesOpts: uPlot.Series[] =
    kind === 'counts'
      ? [
          {},
          {
            label: 'Succeeded',
            stroke: COLORS.ok,
            fill: 'rgba(46,125,50,0.25)',
            width: 1,
            points: { show: false },
            ...(bars ? { paths: bars } : {}),
          },
          // Drawn over the succeeded series from zero (not stacked): the red part is the failed count.
          {
            label: 'Failed',
            stroke: COLORS.fail,
            fill: 'rgba(198,40,40,0.45)',
            width: 1,
            points: { show: false },
            ...(bars ? { paths: bars } : {}),
          },
        ]
      : [{}, { label: 'p95 (ms)', stroke: COLORS.p95, width: 1.5, spanGaps: false }];
  seriesOpts[0] = { label: t('time') };
  if (kind === 'counts') {
    seriesOpts[1]!.label = t('succeeded');
    seriesOpts[2]!.label = t('failed');
  }
  const capped = kind === 'p95' ? durationCap(data[1] as (number | null)[]) : undefined;
  const note = section.querySelector<HTMLElement>('.clipped');
  if (note) {
    note.hidden = !capped;
    note.textContent = capped
      ? t('clipped', { n: i18n.number(capped.above), cap: i18n.number(capped.cap), max: i18n.number(capped.max) })
      : '';
  }
  section.dataset.cap = capped ? String(capped.cap) : '';
  // The reader's clock and numbers on the axes: 24-hour times, day/month dates, vi-VN digits.
  const timeFmt = new Intl.DateTimeFormat(i18n.locale, { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const dateFmt = new Intl.DateTimeFormat(i18n.locale, { timeZone: ZONE, day: '2-digit', month: '2-digit' });
  const xValues = (_u: uPlot, splits: number[]): string[] =>
    splits.map((x) => (series.granularity === 'day' ? dateFmt : timeFmt).format(new Date(x * 1000)));
  const yValues = (_u: uPlot, splits: number[]): string[] => splits.map((y) => i18n.number(y));
  const total = series.points.reduce((n, p) => n + p.transactions, 0);
  section.dataset.points = String(series.points.length);
  section.dataset.transactions = String(total);
  section.dataset.succeeded = String(series.points.reduce((n, p) => n + p.succeeded, 0));
  section.dataset.failed = String(series.points.reduce((n, p) => n + p.failed, 0));
  charts.get(sectionId)?.destroy();
  const width = Math.max(320, host.clientWidth || section.clientWidth - 32);
  const chart = new uPlot(
    {
      width,
      height: kind === 'counts' ? 240 : 160,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), ZONE),
      series: seriesOpts,
      // Half a period of room on each side so the first and last day bars are not cut.
      scales: {
        x: {
          time: true,
          ...(series.granularity === 'day' ? { range: (_u, min, max): uPlot.Range.MinMax => [min - 43_200, max + 43_200] } : {}),
        },
        ...(capped ? { y: { range: (): uPlot.Range.MinMax => [0, capped.cap] } } : {}),
      },
      axes: [{ values: xValues }, { size: 60, values: yValues }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    },
    data,
    host,
  );
  charts.set(sectionId, chart);
}

function cell(text: string, numeric = false): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (numeric) td.className = 'n';
  return td;
}

function fillTable(id: string, rows: HTMLTableRowElement[], columns: number): void {
  const tbody = $(`#${id} tbody`);
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = cell(t('empty'));
    td.colSpan = columns;
    td.className = 'empty';
    tr.append(td);
    rows = [tr];
  }
  tbody.replaceChildren(...rows);
}

/** A province, or — no province on the event — the central level (ministries, national systems). */
function province(code: string, name: string | null): string {
  return code ? `${code} ${name ?? ''}`.trim() : t('central');
}

function render(d: Data): void {
  setTitles(d.view);
  renderSummary(
    $('#today'),
    d.today,
    d.today.from === d.today.to ? i18n.day(d.today.from) : `${i18n.day(d.today.from)} – ${i18n.day(d.today.to)}`,
    false,
  );
  renderSummary($('#year'), d.year, d.year.from.slice(0, 4), true);
  renderAlerts($('#alerts'), d.alerts, i18n);
  drawChart('chart-minutes', d.minutes, 'counts');
  drawChart('chart-minutes-p95', d.minutes, 'p95');
  drawChart('chart-days', d.days, 'counts');
  drawChart('chart-days-p95', d.days, 'p95');
  const total = d.breakdown.transactions || 1;
  fillTable(
    'services',
    d.breakdown.services.slice(0, 10).map((s) => {
      const tr = document.createElement('tr');
      tr.dataset.service = s.serviceCode;
      tr.dataset.transactions = String(s.transactions);
      tr.append(
        serviceCell(s, i18n),
        cell(i18n.number(s.transactions), true),
        cell(`${i18n.number((100 * s.transactions) / total)} %`, true),
        cell(i18n.number(s.failed), true),
      );
      return tr;
    }),
    4,
  );
  fillTable(
    'provinces',
    d.breakdown.provincePairs.slice(0, 20).map((p) => {
      const tr = document.createElement('tr');
      tr.dataset.pair = `${p.consumerProvince}>${p.providerProvince}`;
      tr.dataset.transactions = String(p.transactions);
      tr.append(
        cell(province(p.consumerProvince, p.consumerProvinceName)),
        cell(province(p.providerProvince, p.providerProvinceName)),
        cell(i18n.number(p.transactions), true),
        cell(i18n.number(p.failed), true),
      );
      return tr;
    }),
    4,
  );
  renderPairs($('#pairs'), d.breakdown.provincePairs, i18n, $('#services h2 small').textContent ?? '');
  renderSystems(d.systems, i18n);
}

let timer: number | undefined;
/** The data on screen: a language switch redraws it without asking the API again. */
let last: Data | undefined;

function showLogin(message = ''): void {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  $('#dashboard').hidden = true;
  $('#session').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message;
  $<HTMLInputElement>('#key').focus();
}

async function refresh(key: string): Promise<void> {
  const status = $('#status');
  status.textContent = t('loading');
  try {
    const now = Date.now();
    const data = await load(key, now, await chooseView(key, now));
    $('#login').hidden = true;
    $('#dashboard').hidden = false;
    $('#session').hidden = false;
    last = data;
    render(data);
    status.textContent = t('updated', { time: new Date().toLocaleTimeString(i18n.locale, { timeZone: ZONE, hourCycle: 'h23' }) });
    document.body.dataset.state = 'ready';
  } catch (err) {
    document.body.dataset.state = 'error';
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      sessionStorage.removeItem(KEY_ITEM);
      showLogin(err.status === 401 ? t('keyInvalid') : t('keyForbidden'));
      return;
    }
    status.textContent = t('couldNotLoad', { error: err instanceof Error ? err.message : String(err) });
  }
}

function start(key: string): void {
  sessionStorage.setItem(KEY_ITEM, key);
  void refresh(key);
  if (timer !== undefined) clearInterval(timer);
  timer = window.setInterval(() => void refresh(key), REFRESH_MS);
}

$('#login').addEventListener('submit', (e) => {
  e.preventDefault();
  const key = $<HTMLInputElement>('#key').value.trim();
  $<HTMLInputElement>('#key').value = '';
  if (key) start(key);
});
$('#forget').addEventListener('click', () => {
  sessionStorage.removeItem(KEY_ITEM);
  showLogin();
});
$('#period').addEventListener('submit', (e) => {
  e.preventDefault();
  const from = $<HTMLInputElement>('#from').value;
  const to = $<HTMLInputElement>('#to').value || from;
  if (!from) return;
  history.pushState(null, '', linkOf({ live: false, from, to }));
  const key = sessionStorage.getItem(KEY_ITEM);
  if (key) void refresh(key);
});
$('#latest').addEventListener('click', () => {
  history.pushState(null, '', location.pathname);
  const key = sessionStorage.getItem(KEY_ITEM);
  if (key) void refresh(key);
});
window.addEventListener('popstate', () => {
  const key = sessionStorage.getItem(KEY_ITEM);
  if (key) void refresh(key);
});
$('#refresh').addEventListener('click', () => {
  const key = sessionStorage.getItem(KEY_ITEM);
  if (key) void refresh(key);
});
window.addEventListener('resize', () => {
  for (const [id, chart] of charts) chart.setSize({ width: Math.max(320, $(`#${id} .plot`).clientWidth), height: chart.height });
});

$('#lang').addEventListener('click', () => {
  i18n.switchTo(i18n.lang === 'vi' ? 'en' : 'vi');
  i18n.apply();
  if (last) render(last);
  document.body.dataset.lang = i18n.lang;
});

i18n.apply();
document.body.dataset.lang = i18n.lang;
const saved = sessionStorage.getItem(KEY_ITEM);
if (saved) start(saved);
else showLogin();
