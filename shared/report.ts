/**
 * Reports in the form the counting rules work on (CONTRACT.md section 1, "What counts").
 * Pure domain code: no SDK, no table keys.
 */
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { minuteKeyOf, parseRfc3339 } from '#shared/time.ts';
import { transactionKeyOf } from '#shared/store/item-keys.ts';

export type Role = 'CONSUMER' | 'PROVIDER';

/** The facts one report states about its transaction. */
export interface ReportFacts {
  eventId: string;
  platformId: string;
  /** requestAt, epoch ms: the transaction's time when this report is the one that counts. */
  requestAtMs: number;
  durationMs: number;
  route: 'NGSP' | 'LGSP';
  serviceCode: string;
  consumerSystem: string;
  consumerProvince: string;
  providerSystem: string;
  providerProvince: string;
  succeeded: boolean;
  requestBytes: number;
  responseBytes: number;
  /** The shared `transactionId`, when the report had one (the archive keeps it). */
  transactionId?: string;
  /** When the report was received (SQS `SentTimestamp`, the API's receive time): the first of two copies stands (rule 6). */
  receivedAtMs?: number;
  errorCategory?: string;
  httpStatus?: number;
  /** Reports (`platformId#eventId`) that conflicted with this one (rule 2): each is that report for good (rule 1). */
  conflicts?: string[];
}

export interface Report extends ReportFacts {
  role: Role;
  /** Identity of the transaction: shared `transactionId`, else the report itself. */
  transactionKey: string;
}

/** The transaction's identity (its item key in the event store). */
export { transactionKeyOf };

/** Normalises a validated event, received at `receivedAtMs` (when known). */
export function toReport(event: ExchangeEvent, receivedAtMs?: number): Report {
  const requestAtMs = parseRfc3339(event.requestAt)!;
  const responseAtMs = parseRfc3339(event.responseAt)!;
  return {
    role: event.reporter.role,
    transactionKey: transactionKeyOf(event),
    eventId: event.eventId,
    platformId: event.reporter.platformId,
    requestAtMs,
    durationMs: responseAtMs - requestAtMs,
    route: event.route,
    serviceCode: event.serviceCode,
    consumerSystem: `${event.consumer.orgCode}/${event.consumer.systemCode}`,
    consumerProvince: event.consumer.provinceCode ?? '',
    providerSystem: `${event.provider.orgCode}/${event.provider.systemCode}`,
    providerProvince: event.provider.provinceCode ?? '',
    succeeded: event.succeeded,
    requestBytes: event.requestBytes ?? 0,
    responseBytes: event.responseBytes ?? 0,
    ...(event.transactionId !== undefined ? { transactionId: event.transactionId } : {}),
    ...(receivedAtMs !== undefined ? { receivedAtMs } : {}),
    ...(event.errorCategory !== undefined ? { errorCategory: event.errorCategory } : {}),
    ...(event.httpStatus !== undefined ? { httpStatus: event.httpStatus } : {}),
  };
}

/** Rule 1 (and 6): the identity of a report, whatever else a resend changes. */
export function reportIdOf(r: Pick<ReportFacts, 'platformId' | 'eventId'>): string {
  return `${r.platformId}#${r.eventId}`;
}

/** A stored transaction: at most one CONSUMER and one PROVIDER report. */
export interface TransactionState {
  key: string;
  consumer?: ReportFacts;
  provider?: ReportFacts;
}

/** Rule 3: the facts that count come from the CONSUMER report when there is one. */
export function effectiveFacts(tx: TransactionState): ReportFacts {
  const facts = tx.consumer ?? tx.provider;
  if (!facts) throw new Error(`transaction ${tx.key} has no report`);
  return facts;
}

/** Rule 4: the minute a transaction belongs to. */
export function bucketMinute(tx: TransactionState): string {
  return minuteKeyOf(effectiveFacts(tx).requestAtMs);
}

export type ApplyOutcome = 'stored' | 'duplicate' | 'conflict';

/**
 * Rules 1 and 2 applied to an in-memory transaction (the store does the same with conditional
 * writes): the first report of a role stays; the same eventId again is a duplicate; another
 * eventId for a taken role is a conflict.
 */
export function applyReport(tx: TransactionState, report: Report): ApplyOutcome {
  const slot = report.role === 'CONSUMER' ? 'consumer' : 'provider';
  const existing = tx[slot];
  const other = tx[slot === 'consumer' ? 'provider' : 'consumer'];
  // Rule 6: the same report sent again with its role flipped is still the same report.
  if (other && reportIdOf(other) === reportIdOf(report)) return 'duplicate';
  if (!existing) {
    tx[slot] = stripRole(report);
    return 'stored';
  }
  return existing.eventId === report.eventId && existing.platformId === report.platformId ? 'duplicate' : 'conflict';
}

function stripRole(report: Report): ReportFacts {
  const { role: _role, transactionKey: _key, ...facts } = report;
  return facts;
}
