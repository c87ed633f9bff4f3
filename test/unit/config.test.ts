/** Typed, fail-fast configuration (shared/config.ts) and the functions' specs against the wiring table. */
import { describe, expect, it } from 'vitest';
import { loadConfig as apiConfig } from '#functions/api/config.ts';
import { loadConfig as ingestConfig } from '#functions/ingest/config.ts';
import { loadConfig as rollupConfig } from '#functions/rollup/config.ts';
import { FUNCTIONS, functionDecl, RESOURCE_ENV } from '#infra/wiring.ts';
import { ConfigError, readConfig } from '#shared/config.ts';

/** The environment the stacks give a function: its bound resources and the wiring table's settings. */
const envOf = (name: 'ingest' | 'rollup' | 'api'): NodeJS.ProcessEnv => {
  const d = functionDecl(name);
  return { ...Object.fromEntries(d.binds.map((b) => [RESOURCE_ENV[b.resource], `${b.resource}-name`])), ...d.settings };
};

describe('readConfig', () => {
  const spec = { NAME: { type: 'string' }, N: { type: 'int', min: 1 }, FLAG: { type: 'bool', default: false } } as const;

  it('given every variable, then typed values', () => {
    expect(readConfig(spec, { NAME: 'x', N: '3', FLAG: 'true' })).toEqual({ NAME: 'x', N: 3, FLAG: true });
  });

  it('given an empty or missing variable, then its default, or an error naming it when it has none', () => {
    expect(readConfig(spec, { NAME: 'x', N: '1', FLAG: '' }).FLAG).toBe(false);
    expect(() => readConfig(spec, { N: '1' })).toThrow(/NAME is required/);
  });

  it('given malformed values, then one error names every problem', () => {
    let err: unknown;
    try {
      readConfig(spec, { NAME: 'x', N: '0', FLAG: 'yes' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/N must be an integer >= 1, got "0"/);
    expect((err as Error).message).toMatch(/FLAG must be true or false, got "yes"/);
  });
});

describe('the functions read the settings the wiring table gives them', () => {
  it('given the environment of the stacks, then each function reads every setting of its declaration', () => {
    const loaders = { ingest: ingestConfig, rollup: rollupConfig, api: apiConfig } as const;
    for (const d of FUNCTIONS) {
      const config = loaders[d.name](envOf(d.name)) as Record<string, unknown>;
      for (const [key, value] of Object.entries(d.settings)) if (value !== '') expect(String(config[key]), `${d.name} ${key}`).toBe(value);
    }
  });

  it('given a setting missing, then the cold start stops naming it (the wiring table is its only default)', () => {
    const env = envOf('rollup');
    delete env.GSI_SHARDS;
    expect(() => rollupConfig(env)).toThrow(/GSI_SHARDS is required/);
  });
});
