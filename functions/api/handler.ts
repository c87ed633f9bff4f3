import { defaultDeps, makeHandler } from './app.ts';
import { loadConfig } from './config.ts';

/** Lambda entry: API Gateway REST API (v1) proxy integration. */
export const handler = makeHandler(defaultDeps(loadConfig()));
