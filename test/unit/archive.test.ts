/**
 * Rules 6 and 8 on the pure domain code (shared/archive.ts): whatever expires between two
 * reports, merging the archive with what the hot store holds afterwards gives the transactions
 * that applying every report in order gives; the archive's line format loses nothing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dedupeReports, fromArchiveLine, mergeArchived, toArchiveLine, type ArchiveLine, type MergeConflict } from '#shared/archive.ts';
import { applyReport, reportIdOf, type Report, type TransactionState } from '#shared/report.ts';

const MINUTE = Date.parse('2020-11-18T10:22:00+07:00');

/** A report from small pools, so that resends with another transactionId or role, and conflicts, are common. */
const reportArb = fc.record({
  tx: fc.constantFrom('t1', 't2', 't3', undefined),
  platformId: fc.constantFrom('LGSP-01', 'LGSP-BYT'),
  eventId: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5'),
  role: fc.constantFrom('CONSUMER', 'PROVIDER') as fc.Arbitrary<'CONSUMER' | 'PROVIDER'>,
  second: fc.integer({ min: 0, max: 59 }),
  ok: fc.boolean(),
  ms: fc.integer({ min: 0, max: 30_000 }),
});

type RawReport = {
  tx: string | undefined;
  platformId: string;
  eventId: string;
  role: 'CONSUMER' | 'PROVIDER';
  second: number;
  ok: boolean;
  ms: number;
};

function toReports(raw: RawReport[]): Report[] {
  return raw.map((r, i) => ({
    role: r.role,
    transactionKey: r.tx ? `T#${r.tx}` : `E#${r.platformId}#${r.eventId}`,
    ...(r.tx ? { transactionId: r.tx } : {}),
    eventId: r.eventId,
    platformId: r.platformId,
    requestAtMs: MINUTE + r.second * 1000,
    durationMs: r.ms,
    route: 'NGSP',
    serviceCode: 'hotich.khaisinh',
    consumerSystem: 'SOTP/MOTCUA',
    consumerProvince: '01',
    providerSystem: 'BTP/HOTICH',
    providerProvince: '',
    succeeded: r.ok,
    requestBytes: i,
    responseBytes: 0,
    receivedAtMs: MINUTE + 3_600_000 + i,
    ...(r.ok ? {} : { errorCategory: 'TIMEOUT', httpStatus: 504 }),
  }));
}

/** The contract's rules applied in order: the reference (null when the sequence needs what the system leaves out). */
function oracle(reports: Report[], cut: number): Map<string, [string, string]> | null {
  const seen = new Map<string, string>();
  const seenAt = new Map<string, number>();
  const slots = new Map<string, string>();
  const txs = new Map<string, [string, string]>();
  // Left out (docs/architecture.md, "Rule 6"): a copy sent under another transactionId holds its
  // role there until a roll rules it out; a conflict with it, either way round, is not undone.
  const held = new Set<string>();
  for (const [i, r] of reports.entries()) {
    const id = reportIdOf(r);
    const slot = `${r.transactionKey}|${r.role}`;
    if (seen.has(id)) {
      const other = `${r.transactionKey}|${r.role === 'CONSUMER' ? 'PROVIDER' : 'CONSUMER'}`;
      // The item sees a flip in place only while it holds the first copy (not once it expired).
      const inItem = i < cut || seenAt.get(id)! >= cut;
      if (slots.get(slot) === id || (slots.get(other) === id && inItem)) continue; // again, or flipped in place
      if (slots.has(slot) || held.has(slot)) return null; // a copy that meets another report as a conflict
      held.add(slot); // a copy that holds a free role of another transaction until a roll rules it out
      continue;
    }
    if (held.has(slot)) return null;
    seen.set(id, r.transactionKey);
    seenAt.set(id, i);
    if (slots.has(slot)) continue;
    slots.set(slot, id);
    const t = txs.get(r.transactionKey) ?? ['', ''];
    t[r.role === 'CONSUMER' ? 0 : 1] = id;
    txs.set(r.transactionKey, t);
  }
  return txs;
}

/** Ingest into the hot store: the item's own conditions (rules 1, 2, 6 within one item), conflicts noted on the winner. */
function ingest(hot: Map<string, TransactionState>, r: Report): void {
  const tx = hot.get(r.transactionKey) ?? { key: r.transactionKey };
  if (applyReport(tx, r) === 'conflict') {
    const slot = r.role === 'CONSUMER' ? 'consumer' : 'provider';
    const winner = tx[slot]!;
    tx[slot] = { ...winner, conflicts: [...new Set([...(winner.conflicts ?? []), reportIdOf(r)])] };
  }
  hot.set(r.transactionKey, tx);
}

/** A final roll: archive ∪ hot, merged and deduplicated; the archive is rewritten (through its line format) and items restored. */
function roll(archive: Map<string, TransactionState>, hot: Map<string, TransactionState>): Map<string, TransactionState> {
  const conflicts: MergeConflict[] = [];
  const merged = new Map<string, TransactionState>();
  for (const k of new Set([...archive.keys(), ...hot.keys()])) merged.set(k, mergeArchived(archive.get(k), hot.get(k), conflicts)!);
  const resolved = dedupeReports(merged);
  const lines = [...resolved.values()].map((tx) => JSON.stringify(toArchiveLine(tx)));
  return new Map(lines.map((l) => fromArchiveLine(JSON.parse(l) as ArchiveLine)).map((tx) => [tx.key, tx]));
}

const idsOf = (txs: Map<string, TransactionState>): Map<string, [string, string]> =>
  new Map(
    [...txs].map(([k, tx]) => [
      k,
      [tx.consumer ? reportIdOf(tx.consumer) : '', tx.provider ? reportIdOf(tx.provider) : ''] as [string, string],
    ]),
  );

describe('rule 8: the archive merged with what arrives after expiry', () => {
  it('given any reports and any moment at which every hot item expires, then archive ∪ hot gives the transactions of the rules applied in order', () => {
    fc.assert(
      fc.property(fc.array(reportArb, { minLength: 1, maxLength: 14 }), fc.nat(), fc.boolean(), (raw, cut, rollBeforeExpiry) => {
        const reports = toReports(raw);
        const k = cut % (reports.length + 1);
        const expected = oracle(reports, k);
        fc.pre(expected !== null);
        // Before expiry: ingest, (maybe) a roll in between, the final roll that archives.
        let hot = new Map<string, TransactionState>();
        let archive = new Map<string, TransactionState>();
        for (const [i, r] of reports.slice(0, k).entries()) {
          ingest(hot, r);
          if (rollBeforeExpiry && i === Math.floor(k / 2))
            hot = new Map([...(archive = roll(archive, hot))].map(([key, tx]) => [key, structuredClone(tx)]));
        }
        archive = roll(archive, hot);
        // Every hot item expires; the rest arrives; the re-roll merges.
        hot = new Map();
        for (const r of reports.slice(k)) ingest(hot, r);
        const after = roll(archive, hot);
        expect(idsOf(after)).toEqual(expected);
        // And with the hot store empty again, the archive alone gives the same.
        expect(idsOf(roll(after, new Map()))).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('given a transaction, when written to the archive and read back, then every fact the rules and analysts use is kept', () => {
    const [a, b] = toReports([
      { tx: 't1', platformId: 'LGSP-01', eventId: 'e1', role: 'CONSUMER', second: 12, ok: false, ms: 1234 },
      { tx: 't1', platformId: 'LGSP-BYT', eventId: 'e2', role: 'PROVIDER', second: 13, ok: true, ms: 999 },
    ]) as [Report, Report];
    const { role: _r1, transactionKey: _k1, ...consumer } = a;
    const { role: _r2, transactionKey: _k2, ...provider } = b;
    const tx: TransactionState = { key: 'T#t1', consumer: { ...consumer, conflicts: ['LGSP-01#e9'] }, provider };
    const line = toArchiveLine(tx);
    expect(line.consumer).toMatchObject({
      eventId: 'e1',
      transactionId: 't1',
      reporter: { platformId: 'LGSP-01', role: 'CONSUMER' },
      errorCategory: 'TIMEOUT',
      httpStatus: 504,
      consumer: { orgCode: 'SOTP', systemCode: 'MOTCUA', provinceCode: '01' },
      provider: { orgCode: 'BTP', systemCode: 'HOTICH' },
    });
    expect(line.consumer?.requestAt).toBe('2020-11-18T10:22:12.000+07:00');
    expect(fromArchiveLine(JSON.parse(JSON.stringify(line)) as ArchiveLine)).toEqual(tx);
  });

  it('given a report sent again with its role flipped after its item expired, then it is the same report, not a conflict', () => {
    const [c, p] = toReports([
      { tx: 't1', platformId: 'LGSP-01', eventId: 'e1', role: 'CONSUMER', second: 1, ok: true, ms: 5 },
      { tx: 't1', platformId: 'LGSP-BYT', eventId: 'e2', role: 'PROVIDER', second: 2, ok: true, ms: 5 },
    ]) as [Report, Report];
    const archived: TransactionState = { key: 'T#t1' };
    applyReport(archived, c);
    applyReport(archived, p);
    const hot: TransactionState = { key: 'T#t1' };
    applyReport(hot, { ...c, role: 'PROVIDER', receivedAtMs: c.receivedAtMs! + 10 });
    const conflicts: MergeConflict[] = [];
    const merged = mergeArchived(archived, hot, conflicts)!;
    expect(conflicts).toEqual([]);
    expect([merged.consumer?.eventId, merged.provider?.eventId]).toEqual(['e1', 'e2']);
  });
});
