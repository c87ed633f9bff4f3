import { readConfig, STORE_SETTINGS } from '#shared/config.ts';

/** The ingest function's settings; a missing variable stops the cold start with its name. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) =>
  readConfig(
    {
      ...STORE_SETTINGS,
      DIRTY_MARGIN_SECONDS: { type: 'int', default: 30, min: 0 },
      WRITE_CONCURRENCY: { type: 'int', default: 32, min: 1 },
    },
    env,
  );

export type IngestConfig = ReturnType<typeof loadConfig>;
