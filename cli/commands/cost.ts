/**
 * `ngsp cost --transactions-per-day N`: a monthly AWS estimate per service, from the request
 * budget per transaction (shared/cost/budget.ts) and the dated unit prices (shared/cost/prices.ts).
 */
import { BUDGET_SOURCE } from '#shared/cost/budget.ts';
import { estimateMonthlyCost, type CostEstimate } from '#shared/cost/estimate.ts';
import { PRICES_AS_OF, PRICES_REGION } from '#shared/cost/prices.ts';
import { UserError } from '../errors.ts';
import { n, type Io } from '../io.ts';

export interface CostOptions {
  transactionsPerDay: string | number;
  json?: boolean;
  detail?: boolean;
}

const usd = (x: number): string => `$${x < 10 ? x.toFixed(2) : n(Math.round(x))}`;

export function cost(opts: CostOptions, io: Io): CostEstimate {
  const raw = String(opts.transactionsPerDay ?? '').replaceAll(/[_,]/g, '');
  const perDay = Number(raw);
  if (!raw || !Number.isFinite(perDay) || perDay <= 0 || perDay > 1e10) {
    throw new UserError(`--transactions-per-day must be a positive number (e.g. 500000), got "${opts.transactionsPerDay}".`);
  }
  const est = estimateMonthlyCost(perDay);
  if (opts.json) {
    io.out(JSON.stringify({ ...est, pricesAsOf: PRICES_AS_OF, region: PRICES_REGION, budgetSource: BUDGET_SOURCE }, null, 2));
    return est;
  }
  io.out(
    `Monthly estimate for ${n(perDay)} transactions a day (${n(Math.round(est.transactionsPerMonth))} a month), ${PRICES_REGION}, prices of ${PRICES_AS_OF}:`,
  );
  const width = Math.max(...est.services.map((s) => s.service.length));
  for (const s of est.services) {
    io.out(`  ${s.service.padEnd(width)}  ${usd(s.total).padStart(9)}   (traffic ${usd(s.variable)}, fixed ${usd(s.total - s.variable)})`);
    if (opts.detail) {
      for (const l of s.lines)
        io.out(
          `      ${l.item}: ${n(Math.round(l.quantity * 100) / 100)} ${l.unit} × $${l.unitPrice.toPrecision(3)} = ${usd(l.cost)}${l.fixed ? ' (fixed)' : ''}`,
        );
    }
  }
  io.out(`  ${'Total'.padEnd(width)}  ${usd(est.total).padStart(9)}`);
  io.note(
    `Request counts per transaction: ${BUDGET_SOURCE} (shared/cost/budget.ts); unit prices: shared/cost/prices.ts. On-demand, no free tier; use --detail for every line.`,
  );
  return est;
}
