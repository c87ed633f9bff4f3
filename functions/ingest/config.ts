import { readConfig } from '#shared/config.ts';

/** The ingest function's settings; a missing variable stops the cold start with its name. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) =>
  readConfig(
    {
      EVENTS_TABLE_NAME: { type: 'string' },
      STATS_TABLE_NAME: { type: 'string' },
      ROLLUP_BUCKET_NAME: { type: 'string' },
      LATENESS_SECONDS: { type: 'int', default: 120, min: 0 },
      DIRTY_MARGIN_SECONDS: { type: 'int', default: 30, min: 0 },
      GSI_SHARDS: { type: 'int', default: 8, min: 1 },
      WRITE_CONCURRENCY: { type: 'int', default: 32, min: 1 },
      RETENTION_DAYS: { type: 'int', default: 0, min: 0 },
    },
    env,
  );

export type IngestConfig = ReturnType<typeof loadConfig>;
