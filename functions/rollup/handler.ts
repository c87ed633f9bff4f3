import { defaultDeps, makeHandler } from './app.ts';
import { loadConfig } from './config.ts';

/** Lambda entry: EventBridge schedule (every minute), or a direct invoke with a range. */
export const handler = makeHandler(defaultDeps(loadConfig()));
