/**
 * One instrumentation style for every function: Powertools logger and metrics. Log level comes
 * from the environment (POWERTOOLS_LOG_LEVEL); events are never logged whole.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const NAMESPACE = 'NgspStats';

/** Custom metric names of the rollup function: one home for the code that emits them and the stack's alarms. */
export const METRIC = {
  minutesRolled: 'MinutesRolled',
  daysRolled: 'DaysRolled',
  rollupLag: 'RollupLagSeconds',
  /** A scheduled run found the lease held by another run and did nothing. */
  rollupLeaseBusy: 'RollupLeaseBusy',
  /** Minutes and days in quarantine after a run (poison periods the watermark went on without). */
  periodsQuarantined: 'PeriodsQuarantined',
} as const;

export function makeLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

export function makeMetrics(serviceName: string): Metrics {
  return new Metrics({ namespace: NAMESPACE, serviceName });
}
