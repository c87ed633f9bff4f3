/**
 * One instrumentation style for every function: Powertools logger and metrics. Log level comes
 * from the environment (POWERTOOLS_LOG_LEVEL); events are never logged whole.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

import { NAMESPACE } from './metric-names.ts';

export { METRICS, NAMESPACE } from './metric-names.ts';

export function makeLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

export function makeMetrics(serviceName: string): Metrics {
  return new Metrics({ namespace: NAMESPACE, serviceName });
}
