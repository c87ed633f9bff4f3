/** The one envelope packer (shared/envelope.ts) as the API's relay uses it (shared/store/queue.ts). */
import { describe, expect, it } from 'vitest';
import { EventTooLargeError, Packer, SQS_LIMITS } from '#shared/envelope.ts';
import { RELAY_LIMITS } from '#shared/store/queue.ts';

const event = (i: number, pad = 0) => JSON.stringify({ eventId: `e${i}`, pad: 'x'.repeat(pad) });
const pack = (limits: typeof RELAY_LIMITS, events: string[]) => {
  const p = new Packer(limits);
  return [...events.flatMap((e) => p.add(e)), ...p.flush()];
};

describe('envelope packing for the relay', () => {
  it('given events, then 60 KiB envelopes, 10 to a batch, every event once and in order', () => {
    const events = Array.from({ length: 400 }, (_, i) => event(i, 2000));
    const batches = pack(RELAY_LIMITS, events);
    const bodies = batches.flatMap((b) => b.bodies);
    for (const b of bodies) expect(Buffer.byteLength(b)).toBeLessThanOrEqual(RELAY_LIMITS.maxMessageBytes);
    for (const b of batches) expect(b.bodies.length).toBeLessThanOrEqual(10);
    expect(bodies.flatMap((b) => (JSON.parse(b) as { events: { eventId: string }[] }).events.map((e) => e.eventId))).toEqual(
      events.map((_, i) => `e${i}`),
    );
    expect(batches.reduce((n, b) => n + b.events, 0)).toBe(400);
  });

  it('given an event larger than a message, then the relay sends it alone; the SQS sender refuses it', () => {
    const big = event(1, 70 * 1024);
    const bodies = pack(RELAY_LIMITS, [event(0), big, event(2)]).flatMap((b) => b.bodies);
    expect(bodies.map((b) => (JSON.parse(b) as { events: unknown[] }).events.length)).toEqual([1, 1, 1]);
    expect(() => new Packer({ ...SQS_LIMITS, maxMessageBytes: 1024 }).add(big)).toThrow(EventTooLargeError);
  });
});
