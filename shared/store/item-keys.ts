/**
 * The event store's item key of a transaction (docs/architecture.md "The event store"):
 * `T#<transactionId>` when the report carries one (both sides share it), else
 * `E#<platformId>#<eventId>` (a report that is its own transaction). The domain uses it as the
 * transaction's identity (`Report.transactionKey`, archive lines).
 */
import type { ExchangeEvent } from '#shared/contract/validate.ts';

/**
 * A transaction key never collides across the two namespaces: ids use `[A-Za-z0-9._:-]`, so
 * `#` cannot appear inside them.
 */
export function transactionKeyOf(event: Pick<ExchangeEvent, 'transactionId' | 'eventId' | 'reporter'>): string {
  return event.transactionId !== undefined ? `T#${event.transactionId}` : `E#${event.reporter.platformId}#${event.eventId}`;
}
