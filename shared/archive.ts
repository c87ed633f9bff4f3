/**
 * The raw archive's record format and the merge of archived and hot transactions (CONTRACT.md
 * section 1, rules 1–8). Pure domain code: the S3 side is in shared/store/archive.ts.
 *
 * A line holds one transaction and every counted report of it, each written as the exchange
 * event it was (plus `receivedAt`), so an analyst reads the archive as events and the rollup
 * can rebuild the transaction exactly after its hot-store item has expired.
 */
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { reportIdOf, toReport, type ReportFacts, type Role, type TransactionState } from '#shared/report.ts';
import { parseRfc3339, toIct } from '#shared/time.ts';

/**
 * One archived report: the event as received, when it was received, and the reports
 * (`platformId#eventId`) that conflicted with it.
 */
export type ArchivedEvent = ExchangeEvent & { receivedAt?: string; conflicts?: string[] };

/** One line of `archive/date=.../HHMM.jsonl.gz`. */
export interface ArchiveLine {
  transactionKey: string;
  consumer?: ArchivedEvent;
  provider?: ArchivedEvent;
}

function party(system: string, province: string): { orgCode: string; systemCode: string; provinceCode?: string } {
  // Org codes use [A-Za-z0-9._-]: the first '/' separates the org from the system.
  const cut = system.indexOf('/');
  return { orgCode: system.slice(0, cut), systemCode: system.slice(cut + 1), ...(province ? { provinceCode: province } : {}) };
}

/** A stored report as the event it was. */
export function toArchivedEvent(f: ReportFacts, role: Role): ArchivedEvent {
  return {
    eventId: f.eventId,
    ...(f.transactionId !== undefined ? { transactionId: f.transactionId } : {}),
    reporter: { platformId: f.platformId, role },
    route: f.route,
    consumer: party(f.consumerSystem, f.consumerProvince),
    provider: party(f.providerSystem, f.providerProvince),
    serviceCode: f.serviceCode,
    requestAt: toIct(f.requestAtMs),
    responseAt: toIct(f.requestAtMs + f.durationMs),
    succeeded: f.succeeded,
    ...(f.errorCategory !== undefined ? { errorCategory: f.errorCategory as ExchangeEvent['errorCategory'] } : {}),
    ...(f.httpStatus !== undefined ? { httpStatus: f.httpStatus } : {}),
    requestBytes: f.requestBytes,
    responseBytes: f.responseBytes,
    ...(f.receivedAtMs !== undefined ? { receivedAt: toIct(f.receivedAtMs) } : {}),
    ...(f.conflicts?.length ? { conflicts: [...f.conflicts].sort() } : {}),
  };
}

/** An archived event back in the form the counting rules use (the same normalisation as ingest's). */
export function fromArchivedEvent(e: ArchivedEvent): ReportFacts {
  const { receivedAt, conflicts, ...event } = e;
  const received = receivedAt !== undefined ? parseRfc3339(receivedAt) : undefined;
  const { role: _role, transactionKey: _key, ...facts } = toReport(event, received);
  return conflicts?.length ? { ...facts, conflicts } : facts;
}

export function toArchiveLine(tx: TransactionState): ArchiveLine {
  return {
    transactionKey: tx.key,
    ...(tx.consumer ? { consumer: toArchivedEvent(tx.consumer, 'CONSUMER') } : {}),
    ...(tx.provider ? { provider: toArchivedEvent(tx.provider, 'PROVIDER') } : {}),
  };
}

export function fromArchiveLine(line: ArchiveLine): TransactionState {
  return {
    key: line.transactionKey,
    ...(line.consumer ? { consumer: fromArchivedEvent(line.consumer) } : {}),
    ...(line.provider ? { provider: fromArchivedEvent(line.provider) } : {}),
  };
}

/** A report that lost to the archived report of its transaction's role: a conflict (rule 2). */
export interface MergeConflict {
  report: ReportFacts;
  role: Role;
  transactionKey: string;
}

/**
 * Merges an archived transaction with its hot-store item (rules 2 and 8). The archive was written
 * from an earlier state of the same transaction, so an archived slot was there first: it stands.
 * A hot slot with another report for the same role is then a conflict, exactly as it would have
 * been had the archived report's item not expired in between.
 */
export function mergeArchived(
  archived: TransactionState | undefined,
  hot: TransactionState | undefined,
  conflicts: MergeConflict[],
): TransactionState | undefined {
  if (!archived) return hot;
  if (!hot) return archived;
  const merged: TransactionState = { key: archived.key };
  const archivedIds = new Set([archived.consumer, archived.provider].filter((f): f is ReportFacts => f !== undefined).map(reportIdOf));
  for (const [slot, role] of [
    ['consumer', 'CONSUMER'],
    ['provider', 'PROVIDER'],
  ] as const) {
    const a = archived[slot];
    const h = hot[slot];
    if (a) {
      const noted = new Set([...(a.conflicts ?? []), ...(h && reportIdOf(h) === reportIdOf(a) ? (h.conflicts ?? []) : [])]);
      // Another report for a taken role is a conflict, unless it is an archived report again
      // with its role flipped (rule 6: the same report; dropped, not counted as a conflict).
      if (h && !archivedIds.has(reportIdOf(h))) {
        conflicts.push({ report: h, role, transactionKey: archived.key });
        noted.add(reportIdOf(h));
        // What lost to the hot report lost to the archived one too — but never the archived ones.
        for (const c of h.conflicts ?? []) if (!archivedIds.has(c)) noted.add(c);
      }
      merged[slot] = noted.size ? { ...a, conflicts: [...noted].sort() } : a;
    } else if (h) merged[slot] = h;
  }
  // An archived report is never lost to anything (a copy of it met in the hot item is a copy).
  for (const slot of ['consumer', 'provider'] as const) {
    const f = merged[slot];
    if (f?.conflicts?.some((c) => archivedIds.has(c))) merged[slot] = { ...f, conflicts: f.conflicts.filter((c) => !archivedIds.has(c)) };
  }
  return merged;
}

/** Order of precedence between two copies of one report: the one received first stands. */
function earlier(a: { facts: ReportFacts; key: string; slot: string }, b: { facts: ReportFacts; key: string; slot: string }): boolean {
  const ra = a.facts.receivedAtMs ?? 0;
  const rb = b.facts.receivedAtMs ?? 0;
  if (ra !== rb) return ra < rb;
  if (a.key !== b.key) return a.key < b.key;
  return a.slot < b.slot;
}

/**
 * Rule 6 across transactions: reports with the same (platformId, eventId) are one report, even
 * when a resend changed its transactionId or role. The copy received first stands; the others
 * are removed from their transactions (a transaction left with no report disappears).
 * `known` holds copies that stand elsewhere (e.g. in a neighbouring minute's archive).
 */
export function dedupeReports(
  txs: Map<string, TransactionState>,
  known: Map<string, { facts: ReportFacts; key: string; slot: string }> = new Map(),
): Map<string, TransactionState> {
  const best = new Map(known);
  // A report that lost as a conflict is that conflict for good, wherever it is sent again.
  const lost = new Set<string>();
  for (const k of known.values()) for (const c of k.facts.conflicts ?? []) lost.add(c);
  for (const tx of txs.values())
    for (const slot of ['consumer', 'provider'] as const) for (const c of tx[slot]?.conflicts ?? []) lost.add(c);
  for (const tx of txs.values()) {
    for (const slot of ['consumer', 'provider'] as const) {
      const facts = tx[slot];
      if (!facts || lost.has(reportIdOf(facts))) continue;
      const id = reportIdOf(facts);
      const cand = { facts, key: tx.key, slot };
      const cur = best.get(id);
      if (!cur || earlier(cand, cur)) best.set(id, cand);
    }
  }
  const out = new Map<string, TransactionState>();
  for (const tx of txs.values()) {
    const kept: TransactionState = { key: tx.key };
    for (const slot of ['consumer', 'provider'] as const) {
      const facts = tx[slot];
      if (!facts || lost.has(reportIdOf(facts))) continue;
      const w = best.get(reportIdOf(facts))!;
      if (w.key === tx.key && w.slot === slot) kept[slot] = facts;
    }
    if (kept.consumer || kept.provider) out.set(tx.key, kept);
  }
  return out;
}
