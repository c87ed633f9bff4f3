/**
 * A seeded month for the monthly report tests, with no emulator: transactions are generated
 * (provinces, ministries' systems, both routes, failures of every cause, paired and single
 * reports), counted into minute payloads by the real counting code (PeriodStats), and each day is
 * rolled by the real `rollDay` into an in-memory bucket — so the report reads exactly the
 * rollup.jsonl and summary.json the rollup publishes. The transactions are returned as the oracle.
 */
import { rollDay } from '#shared/rollup.ts';
import type { ReportFacts, TransactionState } from '#shared/report.ts';
import { FAILURE_CAUSES, PeriodStats } from '#shared/stats/period.ts';
import { SystemsStats } from '#shared/stats/systems.ts';
import type { StoredPeriod } from '#shared/store/stats.ts';
import { mulberry32 } from '#shared/traffic/prng.ts';
import { minuteKeyOf } from '#shared/time.ts';

/** A bucket in memory: the members the rollup and the report use. */
export class MemoryBucket {
  readonly objects = new Map<string, Uint8Array>();
  async put(key: string, body: string | Uint8Array): Promise<void> {
    this.objects.set(key, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  }
  async get(key: string): Promise<string | undefined> {
    const b = this.objects.get(key);
    return b === undefined ? undefined : Buffer.from(b).toString('utf8');
  }
  async getBytes(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

export const SEED_PLATFORMS = ['NGSP', 'LGSP-01', 'LGSP-79', 'LGSP-48', 'LGSP-BYT'];
const PROVINCES = ['01', '79', '48', '92', ''];
const SERVICES = ['DVC.HoTich.TraCuu', 'CSDLQG.DanCu.XacThuc', 'BHXH.TheBHYT', 'DATDAI.ThuaDat', 'TUPHAP.LyLich'];
const SYSTEMS = ['000.00.00.H57/DVCQG', 'BYT/HIS', 'SOTP-01/HOTICH', 'SOTNMT-79/DATDAI', 'BCA/CSDLDC', 'UBND-48/MOTCUA'];

/** Generates `perDay` transactions on each day (ICT office hours), reproducible from the seed. */
export function seedTransactions(
  days: string[],
  perDay: number,
  seed: number,
  platforms: readonly string[] = SEED_PLATFORMS,
): TransactionState[] {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: TransactionState[] = [];
  for (const day of days) {
    const start = Date.parse(`${day}T07:00:00+07:00`);
    for (let i = 0; i < perDay; i++) {
      const at = start + Math.floor(r() * 10 * 3600_000);
      const succeeded = r() > 0.2;
      const cause = r();
      const facts: Omit<ReportFacts, 'platformId' | 'eventId'> = {
        requestAtMs: at,
        durationMs: 20 + Math.floor(r() * 900),
        route: r() < 0.7 ? 'NGSP' : 'LGSP',
        serviceCode: pick(SERVICES),
        consumerSystem: pick(SYSTEMS),
        consumerProvince: pick(PROVINCES),
        providerSystem: pick(SYSTEMS),
        providerProvince: pick(PROVINCES),
        succeeded,
        requestBytes: 100 + Math.floor(r() * 1000),
        responseBytes: 200 + Math.floor(r() * 5000),
        // A sixth of the failures carry no category (failedUnspecified).
        ...(succeeded || cause < 1 / 7 ? {} : { errorCategory: FAILURE_CAUSES[Math.floor(r() * FAILURE_CAUSES.length)]! }),
      };
      const key = `T#${day}-${i}`;
      const shape = r();
      const consumer = { ...facts, platformId: pick(platforms), eventId: `c-${day}-${i}` };
      const provider = { ...facts, platformId: pick(platforms), eventId: `p-${day}-${i}` };
      out.push(shape < 0.4 ? { key, consumer, provider } : shape < 0.8 ? { key, consumer } : { key, provider });
    }
  }
  return out;
}

/** Rolls the days of `txs` with the real rollDay into `bucket` (minute payloads counted by PeriodStats). */
export async function rollSeededDays(
  txs: TransactionState[],
  bucket: MemoryBucket,
  now = Date.parse('2021-01-05T00:00:00+07:00'),
): Promise<string[]> {
  const minutes = new Map<string, PeriodStats>();
  const minuteSystems = new Map<string, SystemsStats>();
  for (const tx of txs) {
    const m = minuteKeyOf((tx.consumer ?? tx.provider)!.requestAtMs);
    const s = minutes.get(m) ?? new PeriodStats();
    s.addTransaction(tx);
    minutes.set(m, s);
    const y = minuteSystems.get(m) ?? new SystemsStats();
    y.addTransaction(tx);
    minuteSystems.set(m, y);
  }
  const days = [...new Set([...minutes.keys()].map((m) => m.slice(0, 10)))].sort();
  const stats = {
    minutesOf: async (day: string): Promise<StoredPeriod[]> =>
      [...minutes.entries()]
        .filter(([m]) => m.startsWith(day))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([period, s]) => {
          const t = s.totals();
          return {
            period,
            transactions: t.transactions,
            succeeded: t.succeeded,
            durationMsP95: null,
            summary: undefined,
            payload: () => s.toPayload(),
          };
        }),
    rejectedOn: async () => 0,
    minuteSystemsOf: async (day: string, from = '00:00', to = '23:59') =>
      new Map(
        [...minuteSystems.entries()]
          .filter(([m]) => m.startsWith(day) && m.slice(11) >= from && m.slice(11) <= to)
          .map(([m, y]) => [m, () => y.toPayload()]),
      ),
    putDaySystemsRows: async () => undefined,
    putDay: async () => undefined,
    deleteDaySoFar: async () => undefined,
  };
  const events = { conflictsOn: async () => 0 };
  for (const day of days) await rollDay(day, { stats, events, bucket, now: () => now } as unknown as Parameters<typeof rollDay>[1]);
  return days;
}
