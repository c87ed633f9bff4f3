/**
 * The ingest handler, built from its dependencies (tests pass their own; handler.ts the real ones).
 * SQS → validate → store → partial batch response: only records hit by a transient failure are
 * returned, so SQS delivers just those again.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { clients } from '#shared/store/clients.ts';
import { ingestBatch, type IngestDeps } from '#shared/ingest.ts';
import { makeLogger, makeMetrics, METRICS } from '#shared/observability.ts';
import { makeStores } from '#shared/store/stores.ts';
import { storeNames, storeNumbers } from '#shared/config.ts';
import { SenderStore } from '#shared/store/senders.ts';
import { PlatformStore } from '#shared/store/platforms.ts';
import { LivePlatforms } from '#shared/platforms.ts';
import { SenderDirectory } from '#shared/sender.ts';
import type { IngestConfig } from './config.ts';

export const logger = makeLogger('ingest');
export const metrics = makeMetrics('ingest');
const M = METRICS.ingest;

/** Real dependencies from configuration; SDK clients are made once per process. */
export function defaultDeps(config: IngestConfig): IngestDeps {
  const { ddb, s3 } = clients();
  const { events, stats, bucket } = makeStores(ddb, s3, storeNames(config), storeNumbers(config));
  // Issue 16: the platforms registry of the running stack (seed + ngsp platforms add|retire), cached.
  const platforms = new LivePlatforms(new PlatformStore(ddb, config.KEYS_TABLE_NAME), {
    cacheMs: config.PLATFORMS_CACHE_SECONDS * 1000,
  });
  return {
    events,
    stats,
    bucket,
    latenessMs: config.LATENESS_SECONDS * 1000,
    dirtyMarginMs: config.DIRTY_MARGIN_SECONDS * 1000,
    concurrency: config.WRITE_CONCURRENCY,
    senders: new SenderDirectory(new SenderStore(ddb, config.KEYS_TABLE_NAME), {
      relayIds: config.RELAY_SENDER_IDS.split(',').map((s) => s.trim()),
      cacheMs: config.SENDER_CACHE_SECONDS * 1000,
      platforms,
    }),
    platforms,
    log: { warn: (msg, extra) => logger.warn(msg, { ...extra }), error: (msg, extra) => logger.error(msg, { ...extra }) },
  };
}

export function makeHandler(deps: IngestDeps) {
  return middy(async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const messages = event.Records.map((r) => ({
      messageId: r.messageId,
      body: r.body,
      receivedAtMs: Number(r.attributes.SentTimestamp) || Date.now(),
      source: 'sqs' as const,
      // The sending principal, as SQS reports it: the only identity of an SQS message (rule 7).
      senderId: r.attributes.SenderId,
    }));
    const result = await ingestBatch(messages, deps);
    metrics.addMetric(M.ReportsStored, MetricUnit.Count, result.stored);
    metrics.addMetric(M.ReportsDuplicate, MetricUnit.Count, result.duplicates);
    metrics.addMetric(M.ReportsConflict, MetricUnit.Count, result.conflicts);
    metrics.addMetric(M.EventsRejected, MetricUnit.Count, result.rejected);
    metrics.addMetric(M.MessagesRetried, MetricUnit.Count, result.failedMessageIds.length);
    metrics.addMetric(M.StoreErrors, MetricUnit.Count, result.storeErrors);
    logger.info('batch ingested', {
      messages: messages.length,
      stored: result.stored,
      duplicates: result.duplicates,
      conflicts: result.conflicts,
      rejected: result.rejected,
      retried: result.failedMessageIds.length,
    });
    return { batchItemFailures: result.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
