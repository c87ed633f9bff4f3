/**
 * The systems panel (issue 16, 1.1): the organisation pairs and the systems that exchange the
 * most, and the failures by cause, over the last (up to) 31 days of the page's window — from
 * `GET /v1/metrics/breakdown?by=org|system`. The panel builds its own section under
 * `#dashboard`, so the page template and the other panels need no change.
 */
import type { FailureCauses, SystemsBreakdownResponse } from '../shared/api/metrics.ts';
import type { I18n, MessageKey } from './i18n.ts';
import './systems.css';

/** Rows shown per table. */
const TOP = 10;
/** The API's cap on a systems breakdown's days (shared/api/params.ts MAX_SYSTEMS_DAYS). */
const MAX_DAYS = 31;

export interface SystemsData {
  orgs: SystemsBreakdownResponse;
  systems: SystemsBreakdownResponse;
}

type Api = <T>(path: string, params: Record<string, string>) => Promise<T>;

const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The panel's days: the window's last {@link MAX_DAYS} days. */
export function systemsWindow(from: string, to: string): [string, string] {
  const earliest = addDays(to, 1 - MAX_DAYS);
  return [from > earliest ? from : earliest, to];
}

export async function loadSystems(api: Api, from: string, to: string): Promise<SystemsData> {
  const [a, b] = systemsWindow(from, to);
  const [orgs, systems] = await Promise.all([
    api<SystemsBreakdownResponse>('v1/metrics/breakdown', { from: a, to: b, by: 'org', limit: String(TOP) }),
    api<SystemsBreakdownResponse>('v1/metrics/breakdown', { from: a, to: b, by: 'system', limit: String(TOP) }),
  ]);
  return { orgs, systems };
}

/** Cause column → its label. */
const CAUSE_LABELS: Record<keyof FailureCauses, MessageKey> = {
  failedAuth: 'causeAuth',
  failedThrottled: 'causeThrottled',
  failedTarget: 'causeTarget',
  failedTimeout: 'causeTimeout',
  failedValidation: 'causeValidation',
  failedOther: 'causeOther',
  failedUnspecified: 'causeUnspecified',
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Node[]) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function table(id: string, heads: [string, boolean][], rows: HTMLTableRowElement[], empty: string): HTMLElement {
  const thead = el('thead', {}, el('tr', {}, ...heads.map(([h, n]) => el('th', { textContent: h, className: n ? 'n' : '' }))));
  const body = rows.length ? rows : [el('tr', {}, el('td', { textContent: empty, colSpan: heads.length, className: 'empty' }))];
  return el('article', { id }, el('div', { className: 'scroll' }, el('table', {}, thead, el('tbody', {}, ...body))));
}

function row(cells: [string, boolean][], data: Record<string, string>): HTMLTableRowElement {
  const tr = el('tr', {}, ...cells.map(([text, n]) => el('td', { textContent: text, className: n ? 'n' : '' })));
  Object.assign(tr.dataset, data);
  return tr;
}

/** Draws (or redraws, e.g. after a language switch) the panel. */
export function renderSystems(d: SystemsData | undefined, i18n: I18n): void {
  const t = i18n.t.bind(i18n);
  const root = document.querySelector('#dashboard')!;
  let section = document.querySelector<HTMLElement>('#systems-panel');
  if (!section) {
    section = el('section', { id: 'systems-panel', className: 'tables' });
    root.append(section);
  }
  if (!d) {
    section.replaceChildren(el('p', { className: 'hint', textContent: t('systemsUnavailable') }));
    return;
  }
  const n = (x: number): string => i18n.number(x);
  const window = d.orgs.from === d.orgs.to ? i18n.day(d.orgs.to) : `${i18n.day(d.orgs.from)} – ${i18n.day(d.orgs.to)}`;
  const heading = (key: MessageKey): HTMLElement =>
    el('h2', {}, el('span', { textContent: t(key) }), document.createTextNode(' '), el('small', { textContent: window }));
  const orgs = table(
    'top-orgs',
    [
      [t('consumerOrg'), false],
      [t('providerOrg'), false],
      [t('transactions'), true],
      [t('failed'), true],
    ],
    d.orgs.rows.map((r) =>
      row(
        [
          [r.consumerOrg, false],
          [r.providerOrg, false],
          [n(r.transactions), true],
          [n(r.failed), true],
        ],
        { pair: `${r.consumerOrg}>${r.providerOrg}`, transactions: String(r.transactions) },
      ),
    ),
    t('empty'),
  );
  orgs.prepend(heading('topOrgs'));
  const systems = table(
    'top-systems',
    [
      [t('consumerSystem'), false],
      [t('providerSystem'), false],
      [t('service'), false],
      [t('transactions'), true],
      [t('failed'), true],
    ],
    d.systems.rows.map((r) => {
      const s = r as typeof r & { consumerSystem: string; providerSystem: string; serviceCode: string };
      return row(
        [
          [`${s.consumerOrg}/${s.consumerSystem}`, false],
          [`${s.providerOrg}/${s.providerSystem}`, false],
          [s.serviceCode, false],
          [n(s.transactions), true],
          [n(s.failed), true],
        ],
        { transactions: String(s.transactions) },
      );
    }),
    t('empty'),
  );
  systems.prepend(heading('topSystems'));
  const total = d.systems.failed;
  const causes = table(
    'failure-causes',
    [
      [t('cause'), false],
      [t('failed'), true],
      [t('share'), true],
    ],
    (Object.keys(CAUSE_LABELS) as (keyof FailureCauses)[])
      .filter((c) => d.systems.failures[c] > 0)
      .sort((a, b) => d.systems.failures[b] - d.systems.failures[a])
      .map((c) =>
        row(
          [
            [t(CAUSE_LABELS[c]), false],
            [n(d.systems.failures[c]), true],
            [`${i18n.number((100 * d.systems.failures[c]) / (total || 1))} %`, true],
          ],
          { cause: c, failed: String(d.systems.failures[c]) },
        ),
      ),
    t('noFailures'),
  );
  causes.prepend(heading('failureCauses'));
  section.dataset.transactions = String(d.systems.transactions);
  section.dataset.failed = String(d.systems.failed);
  section.replaceChildren(orgs, systems, causes);
}
