import { defaultDeps, makeHandler } from './app.ts';
import { loadConfig } from './config.ts';

/** Lambda entry: SQS event source mapping with ReportBatchItemFailures. */
export const handler = makeHandler(defaultDeps(loadConfig()));
