/**
 * The monthly report as one self-contained HTML page: inline CSS, no script, no external fetch,
 * Vietnamese text, vi-VN numbers. Every value from data is escaped.
 */
import type { MonthlyFigures, Ranked } from './monthly.ts';
import { FAILURE_LABELS, T, fmtDay, fmtInt, fmtMinute, fmtMonth, fmtPercent, fmtTrend, subjectTitle } from './text.ts';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const CSS = `
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;color:#1b2733;margin:0;background:#f4f6f8}
main{max-width:960px;margin:0 auto;padding:24px;background:#fff}
h1{font-size:1.5rem;margin:0 0 4px}h2{font-size:1.15rem;margin:28px 0 8px;border-bottom:2px solid #c8102e;padding-bottom:4px}
.meta{color:#55606b;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.card{border:1px solid #d6dde3;border-radius:6px;padding:10px}.card b{display:block;font-size:1.35rem}
.card span{color:#55606b;font-size:.85rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{padding:5px 8px;border-bottom:1px solid #e3e8ec;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.note{color:#55606b;font-size:.88rem}
.up{color:#0a7a32}.down{color:#b3261e}
@media (max-width:480px){main{padding:12px}table{font-size:.8rem}}
`;

function table(head: string[], rows: string[][], numeric: boolean[]): string {
  if (!rows.length) return `<p class="note">${esc(T.none)}</p>`;
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const rankedRows = (xs: Ranked[]): string[][] => xs.map((x) => [x.label, fmtInt(x.transactions), fmtInt(x.failed ?? 0)]);

export function renderHtml(f: MonthlyFigures, generatedAt: string): string {
  const card = (label: string, value: string, cls = ''): string =>
    `<div class="card"><b class="${cls}">${esc(value)}</b><span>${esc(label)}</span></div>`;
  const trendClass = f.trendPercent === null ? '' : f.trendPercent >= 0 ? 'up' : 'down';
  const parts: string[] = [];
  parts.push(`<h1>${esc(T.title)} ${esc(fmtMonth(f.month))}</h1>`);
  parts.push(
    `<p class="meta">${esc(T.subject)}: <strong>${esc(subjectTitle(f))}</strong> · ${esc(T.daysPublished)}: ${fmtInt(f.daysPublished)}/${fmtInt(f.daysInMonth)} · ${esc(T.generatedAt)}: ${esc(fmtMinute(generatedAt))}</p>`,
  );
  parts.push(`<p class="note">${esc(T.scopeNote[f.kind])}</p>`);
  if (f.basis === 'unavailable') parts.push(`<p class="note"><strong>${esc(T.unavailable)}</strong></p>`);
  parts.push(`<h2>${esc(T.totals)}</h2><div class="cards">`);
  parts.push(card(T.transactions, fmtInt(f.totals.transactions)));
  parts.push(card(T.succeeded, fmtInt(f.totals.succeeded)));
  parts.push(card(T.failed, fmtInt(f.totals.failed)));
  parts.push(card(T.paired, fmtInt(f.totals.pairedTransactions)));
  parts.push(card(T.successRate, fmtPercent(f.successRate)));
  parts.push(
    card(
      `${T.trend}${f.previous ? ` (${T.previousMonth}: ${fmtInt(f.previous.transactions)})` : ''}`,
      fmtTrend(f.trendPercent),
      trendClass,
    ),
  );
  parts.push('</div>');

  parts.push(`<h2>${esc(T.topServices)}</h2>`);
  parts.push(table([T.service, T.transactions, T.failed], rankedRows(f.topServices), [false, true, true]));

  if (f.basis !== 'systems-rows') {
    parts.push(`<h2>${esc(f.kind === 'province' ? T.partnerProvincesOf : T.partnerProvinces)}</h2>`);
    parts.push(table([T.province, T.transactions, T.failed], rankedRows(f.partnerProvinces), [false, true, true]));
  }
  if (f.partnerOrgs) {
    parts.push(`<h2>${esc(T.partnerOrgs)}</h2>`);
    parts.push(table([T.organisation, T.transactions, T.failed], rankedRows(f.partnerOrgs), [false, true, true]));
  }

  parts.push(`<h2>${esc(T.failureCauses)}</h2>`);
  parts.push(
    table(
      [T.cause, T.count, T.share],
      f.failureCauses
        .filter((c) => c.count > 0)
        .map((c) => [FAILURE_LABELS[c.column], fmtInt(c.count), fmtPercent(f.totals.failed ? c.count / f.totals.failed : null)]),
      [false, true, true],
    ),
  );

  parts.push(`<h2>${esc(T.busiestDays)}</h2>`);
  parts.push(
    table(
      [T.day, T.transactions],
      f.busiestDays.map((d) => [fmtDay(d.day), fmtInt(d.transactions)]),
      [false, true],
    ),
  );
  parts.push(`<h2>${esc(T.busiestMinutes)}</h2>`);
  parts.push(
    table(
      [T.minute, T.transactions],
      f.busiestMinutes.map((m) => [fmtMinute(m.periodStart), fmtInt(m.transactions)]),
      [false, true],
    ),
  );

  parts.push(`<h2>${esc(T.systems)}</h2>`);
  if (f.systems) {
    parts.push(`<p><strong>${fmtInt(f.systems.count)}</strong> ${esc(T.systemsConnected)}</p>`);
    parts.push(`<h3>${esc(T.orgsBySystems)}</h3>`);
    parts.push(
      table(
        [T.organisation, T.systemsCount],
        f.systems.byOrg.map((o) => [o.label, fmtInt(o.transactions)]),
        [false, true],
      ),
    );
  } else parts.push(`<p class="note">${esc(T.systemsUnavailable)}</p>`);

  parts.push(`<h2>${esc(T.reportingPlatforms)}</h2><p>${esc(f.reportingPlatforms.join(', ') || T.none)}</p>`);
  parts.push(`<p class="note">${esc(T.source)}</p>`);

  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(T.title)} ${esc(fmtMonth(f.month))} — ${esc(subjectTitle(f))}</title>
<style>${CSS}</style></head>
<body><main>
${parts.join('\n')}
</main></body></html>
`;
}
