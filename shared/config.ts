/**
 * Typed, fail-fast configuration from environment variables: a missing or malformed variable
 * stops the cold start with its name. Never `process.env.X || ''`. The functions' settings have
 * no defaults here: their one home is the wiring table (infra/wiring.ts), which both the CDK
 * stack and the local stack pass to every function.
 */

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

type Spec = { type: 'string'; default?: string } | { type: 'int'; default?: number; min?: number } | { type: 'bool'; default?: boolean };

type ValueOf<S extends Spec> = S extends { type: 'string' } ? string : S extends { type: 'int' } ? number : boolean;

/** Reads every variable of the spec, collecting all problems before failing. */
export function readConfig<T extends Record<string, Spec>>(
  spec: T,
  env: NodeJS.ProcessEnv = process.env,
): { [K in keyof T]: ValueOf<T[K]> } {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, s] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (s.default === undefined) problems.push(`${name} is required`);
      else out[name] = s.default;
      continue;
    }
    if (s.type === 'string') out[name] = raw;
    else if (s.type === 'int') {
      const n = Number(raw);
      if (!Number.isInteger(n) || (s.min !== undefined && n < s.min))
        problems.push(`${name} must be an integer${s.min !== undefined ? ` >= ${s.min}` : ''}, got "${raw}"`);
      else out[name] = n;
    } else if (raw === 'true' || raw === 'false') out[name] = raw === 'true';
    else problems.push(`${name} must be true or false, got "${raw}"`);
  }
  if (problems.length) throw new ConfigError(problems);
  return out as { [K in keyof T]: ValueOf<T[K]> };
}

/** Settings every function that reads or writes the stores shares (resource names come from binds). */
export const STORE_SETTINGS = {
  EVENTS_TABLE_NAME: { type: 'string' },
  STATS_TABLE_NAME: { type: 'string' },
  ROLLUP_BUCKET_NAME: { type: 'string' },
  LATENESS_SECONDS: { type: 'int', min: 0 },
  GSI_SHARDS: { type: 'int', min: 1 },
  HOT_DAYS: { type: 'int', min: 0 },
  PAIR_WINDOW_MINUTES: { type: 'int', min: 0 },
} as const satisfies Record<string, Spec>;

type StoreConfig = { [K in keyof typeof STORE_SETTINGS]: ValueOf<(typeof STORE_SETTINGS)[K]> };

/** The resource names of a function's store settings. */
export function storeNames(c: StoreConfig): { eventsTable: string; statsTable: string; bucket: string } {
  return { eventsTable: c.EVENTS_TABLE_NAME, statsTable: c.STATS_TABLE_NAME, bucket: c.ROLLUP_BUCKET_NAME };
}

/** The pipeline numbers of a function's store settings. */
export function storeNumbers(c: StoreConfig): { shards: number; hotDays: number; pairWindowMinutes: number } {
  return { shards: c.GSI_SHARDS, hotDays: c.HOT_DAYS, pairWindowMinutes: c.PAIR_WINDOW_MINUTES };
}
