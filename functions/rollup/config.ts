import { readConfig } from '#shared/config.ts';

/** The rollup function's settings; a missing variable stops the cold start with its name. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) =>
  readConfig(
    {
      EVENTS_TABLE_NAME: { type: 'string' },
      STATS_TABLE_NAME: { type: 'string' },
      ROLLUP_BUCKET_NAME: { type: 'string' },
      LATENESS_SECONDS: { type: 'int', default: 120, min: 0 },
      GSI_SHARDS: { type: 'int', default: 8, min: 1 },
      ROLLUP_CONCURRENCY: { type: 'int', default: 8, min: 1 },
      MAX_MINUTES_PER_RUN: { type: 'int', default: 240, min: 1 },
      INITIAL_LOOKBACK_MINUTES: { type: 'int', default: 60, min: 0 },
    },
    env,
  );

export type RollupConfig = ReturnType<typeof loadConfig>;
