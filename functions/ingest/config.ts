import { readConfig, STORE_SETTINGS } from '#shared/config.ts';

/** The ingest function's settings; a missing variable stops the cold start with its name. */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env) =>
  readConfig(
    {
      ...STORE_SETTINGS,
      DIRTY_MARGIN_SECONDS: { type: 'int', min: 0 },
      WRITE_CONCURRENCY: { type: 'int', min: 1 },
      /** The registry of sending principals (rule 7) lives in the keys table. */
      KEYS_TABLE_NAME: { type: 'string' },
      /** Comma-separated principal ids trusted as relays: the API function's role (set by the stack; none locally). */
      RELAY_SENDER_IDS: { type: 'string', default: '' },
      /** How long a sender lookup is reused; a removed sender is refused within this. */
      SENDER_CACHE_SECONDS: { type: 'int', min: 0 },
      /** Issue 16: how long the platforms registry (keys table) is reused; a platforms add|retire applies within this. */
      PLATFORMS_CACHE_SECONDS: { type: 'int', min: 0 },
    },
    env,
  );

export type IngestConfig = ReturnType<typeof loadConfig>;
