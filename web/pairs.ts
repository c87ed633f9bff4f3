/**
 * The province-to-province view (issue 16 part 5): a heat map of consumer province (rows) ×
 * provider province or central level (columns), each cell the transactions of that pair over the
 * window, darker for more (log scale, so a pair of 30 is still seen next to one of 25,000). The
 * busiest rows and columns are shown; the rest are summed into "Other", so the cells add up to the
 * window's total. It scrolls inside its own box on a narrow screen.
 */
import type { ProvincePairFigures } from '../shared/api/metrics.ts';
import type { I18n } from './i18n.ts';

const MAX_ROWS = 12;
const MAX_COLUMNS = 8;
const OTHER = '*';

interface Side {
  code: string;
  name: string | null;
}

/** A province's short name ("Thành phố Hồ Chí Minh" → "Hồ Chí Minh"), or the central level. */
function shortName(side: Side, i18n: I18n): string {
  if (side.code === OTHER) return i18n.t('pairsOther');
  if (!side.code) return i18n.t('pairsCentral');
  return (side.name ?? side.code).replace(/^(Thành phố|Tỉnh)\s+/, '');
}

function fullName(side: Side, i18n: I18n): string {
  if (side.code === OTHER) return i18n.t('pairsOther');
  if (!side.code) return i18n.t('central');
  return `${side.code} ${side.name ?? ''}`.trim();
}

/** The busiest `max` codes of one side (by transactions), the rest as OTHER. */
function topSides(pairs: ProvincePairFigures[], pick: (p: ProvincePairFigures) => Side, max: number): { order: Side[]; keep: Set<string> } {
  const totals = new Map<string, { side: Side; n: number }>();
  for (const p of pairs) {
    const s = pick(p);
    const e = totals.get(s.code) ?? { side: s, n: 0 };
    e.n += p.transactions;
    totals.set(s.code, e);
  }
  const sorted = [...totals.values()].sort((a, b) => b.n - a.n || a.side.code.localeCompare(b.side.code));
  const shown = sorted.length > max ? sorted.slice(0, max - 1) : sorted;
  const order = shown.map((e) => e.side);
  if (sorted.length > shown.length) order.push({ code: OTHER, name: null });
  return { order, keep: new Set(shown.map((e) => e.side.code)) };
}

/** Draws the view into `#pairs` (an article with an `h2 small` and a `.pairs-box`). */
export function renderPairs(article: HTMLElement, pairs: ProvincePairFigures[], i18n: I18n, window: string): void {
  const t = i18n.t.bind(i18n);
  const small = article.querySelector('h2 small');
  if (small) small.textContent = window;
  const box = article.querySelector<HTMLElement>('.pairs-box')!;
  const consumer = (p: ProvincePairFigures): Side => ({ code: p.consumerProvince, name: p.consumerProvinceName });
  const provider = (p: ProvincePairFigures): Side => ({ code: p.providerProvince, name: p.providerProvinceName });
  const rows = topSides(pairs, consumer, MAX_ROWS);
  const cols = topSides(pairs, provider, MAX_COLUMNS);
  const cells = new Map<string, { n: number; failed: number }>();
  let total = 0;
  for (const p of pairs) {
    const r = rows.keep.has(p.consumerProvince) ? p.consumerProvince : OTHER;
    const c = cols.keep.has(p.providerProvince) ? p.providerProvince : OTHER;
    const e = cells.get(`${r}>${c}`) ?? { n: 0, failed: 0 };
    e.n += p.transactions;
    e.failed += p.failed;
    cells.set(`${r}>${c}`, e);
    total += p.transactions;
  }
  article.dataset.transactions = String(total);
  article.dataset.rows = String(rows.order.length);
  article.dataset.columns = String(cols.order.length);
  if (!pairs.length) {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = t('empty');
    box.replaceChildren(p);
    return;
  }
  const max = Math.max(...[...cells.values()].map((c) => c.n));
  const table = document.createElement('table');
  table.className = 'heatmap';
  const head = document.createElement('tr');
  const corner = document.createElement('th');
  corner.className = 'corner';
  corner.textContent = t('pairsCorner');
  head.append(corner);
  for (const c of cols.order) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.className = 'col';
    th.title = fullName(c, i18n);
    const span = document.createElement('span');
    span.textContent = shortName(c, i18n);
    th.append(span);
    head.append(th);
  }
  const thead = document.createElement('thead');
  thead.append(head);
  const tbody = document.createElement('tbody');
  for (const r of rows.order) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.title = fullName(r, i18n);
    th.textContent = shortName(r, i18n);
    tr.append(th);
    for (const c of cols.order) {
      const td = document.createElement('td');
      const e = cells.get(`${r.code}>${c.code}`);
      td.dataset.pair = `${r.code}>${c.code}`;
      td.dataset.transactions = String(e?.n ?? 0);
      if (e && e.n > 0) {
        // Log scale: the faintest pair is still visible, the busiest is full colour.
        const level = max > 1 ? Math.log1p(e.n) / Math.log1p(max) : 1;
        td.style.background = `rgba(21, 101, 192, ${(0.08 + 0.87 * level).toFixed(3)})`;
        if (level > 0.55) td.className = 'dark';
        td.textContent = i18n.number(e.n);
        td.title = t('pairsCell', {
          from: fullName(r, i18n),
          to: fullName(c, i18n),
          n: i18n.number(e.n),
          failed: i18n.number(e.failed),
        });
      }
      tr.append(td);
    }
    tbody.append(tr);
  }
  table.append(thead, tbody);
  box.replaceChildren(table);
}
