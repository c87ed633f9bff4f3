/**
 * The scheduled rollup: rolls due and dirty minutes, then complete or re-rolled days.
 * Also accepts `{ "from": ..., "to": ... }` (epoch ms or RFC 3339) to roll a range on demand.
 */
import type { Context } from 'aws-lambda';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SNSClient } from '@aws-sdk/client-sns';
import { clients } from '#shared/store/clients.ts';
import { minuteReader, type AlertDeps } from '#shared/alerts.ts';
import { LogNotifier, SnsNotifier } from '#shared/notify.ts';
import { AlertItems } from '#shared/store/alerts.ts';
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

/** The rollup's deps and how much of the function's remaining time a scheduled run leaves unused. */
export interface RollupHandlerDeps extends RollupDeps {
  /** Margin below the timeout: the run stops starting work and saves this long before it. */
  budgetMarginMs: number;
}

/** The alerts' deps from the settings: SNS when the stack gave a topic, else a log line per change. */
export function alertDeps(
  config: RollupConfig,
  stats: Parameters<typeof minuteReader>[0],
  ddb: ConstructorParameters<typeof AlertItems>[0],
): AlertDeps {
  const settings = {
    silentMinutes: config.ALERT_SILENT_MINUTES,
    baselineDays: config.ALERT_BASELINE_DAYS,
    usualDays: config.ALERT_USUAL_DAYS,
    activeMinutes: config.ALERT_ACTIVE_MINUTES,
    minVolume: config.ALERT_MIN_VOLUME,
    failureDeltaPct: config.ALERT_FAILURE_DELTA_PCT,
    failureFactorPct: config.ALERT_FAILURE_FACTOR_PCT,
    p95FactorPct: config.ALERT_P95_FACTOR_PCT,
    p95MinDeltaMs: config.ALERT_P95_MIN_DELTA_MS,
    p95MinVolume: config.ALERT_P95_MIN_VOLUME,
    dropPct: config.ALERT_DROP_PCT,
  };
  return {
    store: new AlertItems(ddb, config.STATS_TABLE_NAME, { profileDays: settings.baselineDays + 7, alertDays: 400 }),
    notifier: config.ALERT_TOPIC_ARN
      ? new SnsNotifier(new SNSClient({}), config.ALERT_TOPIC_ARN)
      : new LogNotifier((message, fields) => logger.warn(message, fields)),
    settings,
    readMinutes: minuteReader(stats),
    maxMinutes: config.MAX_MINUTES_PER_RUN,
  };
}

export function defaultDeps(config: RollupConfig): RollupHandlerDeps {
  const { ddb, s3 } = clients();
  const stores = makeStores(ddb, s3, storeNames(config), storeNumbers(config));
  return {
    ...stores,
    ...(config.ALERTS_ENABLED ? { alerts: alertDeps(config, stores.stats, ddb) } : {}),
    indexLagMs: config.INDEX_LAG_SECONDS * 1000,
    latenessMs: config.LATENESS_SECONDS * 1000,
    concurrency: config.ROLLUP_CONCURRENCY,
    maxMinutesPerRun: config.MAX_MINUTES_PER_RUN,
    initialLookbackMs: config.INITIAL_LOOKBACK_MINUTES * 60_000,
    provisional: config.PROVISIONAL_MINUTES,
    leaseMs: config.LEASE_SECONDS * 1000,
    poisonAttempts: config.POISON_ATTEMPTS,
    quarantineRetryMs: config.QUARANTINE_RETRY_MINUTES * 60_000,
    budgetMarginMs: config.BUDGET_MARGIN_SECONDS * 1000,
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

export function makeHandler(deps: RollupHandlerDeps) {
  return middy(async (event: Partial<RangeRequest> | undefined, context: Context) => {
    if (event && event.from !== undefined && event.to !== undefined) {
      const out = await rollRange(instant(event.from, 'from'), instant(event.to, 'to'), deps);
      logger.info('range rolled', { minutes: out.minutes, days: out.days.length });
      return out;
    }
    // The time budget: a catch-up run saves and stops before Lambda's timeout would kill it.
    const budgetMs = Math.max(0, context.getRemainingTimeInMillis() - deps.budgetMarginMs);
    const report = await runScheduled({ ...deps, budgetMs });
    if (report.leaseBusy) {
      // Another run holds the lease (a slow run, or a tick delivered twice): this one exits quietly.
      metrics.addMetric(M.RollupLeaseBusy, MetricUnit.Count, 1);
      logger.info('rollup lease held by another run: nothing done');
      return report;
    }
    metrics.addMetric(M.MinutesRolled, MetricUnit.Count, report.minutes);
    metrics.addMetric(M.DaysRolled, MetricUnit.Count, report.days.length);
    // Minutes and days the watermark went on without (the quarantine alarm watches it).
    metrics.addMetric(M.PeriodsQuarantined, MetricUnit.Count, report.quarantined ?? 0);
    // Exchange-health alerts raised by this run (they are also published to the alarm topic).
    if (report.alerts) metrics.addMetric(M.AlertsRaised, MetricUnit.Count, report.alerts.raised);
    if (report.alertsError) logger.error('alerts failed (the rollup did not)', { error: report.alertsError });
    // Today's fold (shared/day-so-far.ts): readers merge every minute of today until it is written again.
    if (report.foldError) logger.error("today's fold failed (the rollup did not)", { error: report.foldError });
    // Rollup lag: how far the newest rolled minute is behind now (the alarm watches it).
    metrics.addMetric(
      M.RollupLagSeconds,
      MetricUnit.Seconds,
      Math.max(0, Math.round((Date.now() - minuteStartMs(report.watermark)) / 1000)),
    );
    logger.info('scheduled rollup', { ...report });
    return report;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
