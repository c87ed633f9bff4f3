/** Shared bits of the reliability suite: the full/bounded switch and a reader of worker logs. */

/** `NGSP_RELIABILITY_FULL=1` (npm run test:reliability) runs the full sizes; CI runs bounded ones. */
export const FULL = process.env.NGSP_RELIABILITY_FULL === '1';

/**
 * Reads the workers' output (Powertools JSON lines at INFO): how many messages the ingest
 * handed back for redelivery, failed invocations and crashes.
 */
export class IngestLog {
  retried = 0;
  batches = 0;
  /** Lines that show a worker dying or an invocation throwing (ingestBatch must never throw). */
  crashes: string[] = [];
  text = '';
  private readonly partial = new Map<string, string>();

  feed(fn: string, chunk: string): void {
    this.text += chunk;
    const lines = ((this.partial.get(fn) ?? '') + chunk).split('\n');
    this.partial.set(fn, lines.pop() ?? '');
    for (const line of lines) {
      if (/^worker \w+ failed|invocation failed|Uncaught|FATAL ERROR|heap out of memory/.test(line)) this.crashes.push(line.slice(0, 300));
      if (!line.startsWith('{')) continue;
      try {
        const rec = JSON.parse(line) as { message?: string; retried?: number };
        if (rec.message === 'batch ingested') {
          this.batches++;
          this.retried += rec.retried ?? 0;
        }
      } catch {
        // Not a log record.
      }
    }
  }
}
