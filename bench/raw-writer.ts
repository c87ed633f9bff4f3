/**
 * Child process of the ingest benchmark: the local ceiling. Issues the same store writes as the
 * ingest function (a journal entry per 100 reports, then EventStore.writeReport: one conditional
 * UpdateItem per report) straight to the emulator, from its own process as the worker does, with `concurrency` in flight.
 */
import { EventStore } from '#shared/store/events.ts';
import type { Report } from '#shared/report.ts';
import { makeLocalClients } from '../local/stack.ts';
import type { Endpoints } from '../local/emulators.ts';
import { childMain, pool } from './lib.ts';

export interface RawWriterInput {
  endpoints: Endpoints;
  region: string;
  table: string;
  /** The minute journal's table (the stats table). */
  journalTable: string;
  shards: number;
  concurrency: number;
  reports: Report[];
}

export interface RawWriterOutput {
  writes: number;
  ms: number;
}

childMain<RawWriterInput, RawWriterOutput>(async (input) => {
  const { ddb } = makeLocalClients(input.endpoints, input.region);
  const store = new EventStore(ddb, { tableName: input.table, journalTableName: input.journalTable, shards: input.shards, hotDays: 0 });
  // One warm-up write: connection set-up is not part of the rate.
  await store.writeReport({ ...input.reports[0]!, transactionKey: `${input.reports[0]!.transactionKey}-warmup`, eventId: 'warmup' });
  const t0 = performance.now();
  // As ingest does: each envelope's minutes are journaled, then its reports written.
  for (let i = 0; i < input.reports.length; i += 100) {
    const envelope = input.reports.slice(i, i + 100);
    await store.journalReports(`ceiling-${i}`, envelope);
    await pool(envelope, input.concurrency, async (r) => {
      await store.writeReport(r);
    });
  }
  const ms = performance.now() - t0;
  ddb.destroy();
  return { writes: input.reports.length, ms };
});
