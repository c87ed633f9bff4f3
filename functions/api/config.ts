import { readConfig } from '#shared/config.ts';

/** The API function's settings; a missing variable stops the cold start with its name. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) =>
  readConfig(
    {
      STATS_TABLE_NAME: { type: 'string' },
      KEYS_TABLE_NAME: { type: 'string' },
      ROLLUP_BUCKET_NAME: { type: 'string' },
      INGEST_QUEUE_URL: { type: 'string' },
      /** Largest POST /v1/events body; larger → 413. */
      BODY_LIMIT_BYTES: { type: 'int', min: 1024 },
      /** Requests per principal (an LGSP: per platform) and window; more → 429. */
      THROTTLE_LIMIT: { type: 'int', min: 1 },
      THROTTLE_WINDOW_SECONDS: { type: 'int', min: 1 },
      /** Issue 16: how long the platforms registry (keys table) is reused; a platforms add|retire applies within this. */
      PLATFORMS_CACHE_SECONDS: { type: 'int', min: 0 },
    },
    env,
  );

export type ApiConfig = ReturnType<typeof loadConfig>;
