import { readConfig, STORE_SETTINGS } from '#shared/config.ts';

/** The rollup function's settings; a missing variable stops the cold start with its name. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) =>
  readConfig(
    {
      ...STORE_SETTINGS,
      ROLLUP_CONCURRENCY: { type: 'int', min: 1 },
      MAX_MINUTES_PER_RUN: { type: 'int', min: 1 },
      INITIAL_LOOKBACK_MINUTES: { type: 'int', min: 0 },
      PROVISIONAL_MINUTES: { type: 'bool' },
      INDEX_LAG_SECONDS: { type: 'int', min: 0 },
      LEASE_SECONDS: { type: 'int', min: 1 },
      POISON_ATTEMPTS: { type: 'int', min: 1 },
      QUARANTINE_RETRY_MINUTES: { type: 'int', min: 1 },
      BUDGET_MARGIN_SECONDS: { type: 'int', min: 0 },
      ALERTS_ENABLED: { type: 'bool' },
      ALERT_TOPIC_ARN: { type: 'string', default: '' },
      ALERT_SILENT_MINUTES: { type: 'int', min: 1 },
      ALERT_BASELINE_DAYS: { type: 'int', min: 1 },
      ALERT_USUAL_DAYS: { type: 'int', min: 1 },
      ALERT_ACTIVE_MINUTES: { type: 'int', min: 1 },
      ALERT_MIN_VOLUME: { type: 'int', min: 1 },
      ALERT_FAILURE_DELTA_PCT: { type: 'int', min: 0 },
      ALERT_FAILURE_FACTOR_PCT: { type: 'int', min: 100 },
      ALERT_P95_FACTOR_PCT: { type: 'int', min: 100 },
      ALERT_P95_MIN_DELTA_MS: { type: 'int', min: 0 },
      ALERT_P95_MIN_VOLUME: { type: 'int', min: 1 },
      ALERT_DROP_PCT: { type: 'int', min: 1 },
    },
    env,
  );

export type RollupConfig = ReturnType<typeof loadConfig>;
