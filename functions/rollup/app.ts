/**
 * The scheduled rollup: rolls due and dirty minutes, then complete or re-rolled days.
 * Also accepts `{ "from": ..., "to": ... }` (epoch ms or RFC 3339) to roll a range on demand.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { clients } from '#shared/store/clients.ts';
import { ValidationError } from '#shared/errors.ts';
import { makeLogger, makeMetrics, METRICS } from '#shared/observability.ts';
import { rollRange, runScheduled, type RollupDeps } from '#shared/rollup.ts';
import { storeNames, storeNumbers } from '#shared/config.ts';
import { makeStores } from '#shared/store/stores.ts';
import { minuteStartMs, parseRfc3339 } from '#shared/time.ts';
import type { RollupConfig } from './config.ts';

export const logger = makeLogger('rollup');
export const metrics = makeMetrics('rollup');
const M = METRICS.rollup;

export function defaultDeps(config: RollupConfig): RollupDeps {
  const { ddb, s3 } = clients();
  return {
    ...makeStores(ddb, s3, storeNames(config), storeNumbers(config)),
    indexLagMs: config.INDEX_LAG_SECONDS * 1000,
    latenessMs: config.LATENESS_SECONDS * 1000,
    concurrency: config.ROLLUP_CONCURRENCY,
    maxMinutesPerRun: config.MAX_MINUTES_PER_RUN,
    initialLookbackMs: config.INITIAL_LOOKBACK_MINUTES * 60_000,
    provisional: config.PROVISIONAL_MINUTES,
  };
}

/** A range request: both bounds as epoch ms or RFC 3339 instants, `[from, to)`. */
export interface RangeRequest {
  from: number | string;
  to: number | string;
}

function instant(value: number | string, name: string): number {
  const ms = typeof value === 'number' ? value : parseRfc3339(value);
  if (ms === undefined || !Number.isFinite(ms)) throw new ValidationError(`${name} must be epoch ms or an RFC 3339 instant`);
  return ms;
}

export function makeHandler(deps: RollupDeps) {
  return middy(async (event: Partial<RangeRequest> | undefined) => {
    if (event && event.from !== undefined && event.to !== undefined) {
      const out = await rollRange(instant(event.from, 'from'), instant(event.to, 'to'), deps);
      logger.info('range rolled', { minutes: out.minutes, days: out.days.length });
      return out;
    }
    const report = await runScheduled(deps);
    metrics.addMetric(M.MinutesRolled, MetricUnit.Count, report.minutes);
    metrics.addMetric(M.DaysRolled, MetricUnit.Count, report.days.length);
    // Rollup lag: how far the newest rolled minute is behind now (the alarm watches it).
    metrics.addMetric(M.RollupLagSeconds, MetricUnit.Seconds, Math.max(0, Math.round((Date.now() - minuteStartMs(report.watermark)) / 1000)));
    logger.info('scheduled rollup', { ...report });
    return report;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
