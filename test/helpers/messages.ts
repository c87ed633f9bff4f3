import { rng } from './stream.ts';

/** Splits events into message bodies: singles and envelopes of random size, shuffled. */
export function toBodies(events: unknown[], seed: number, maxEnvelope = 20): string[] {
  const r = rng(seed);
  const shuffled = [...events];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const bodies: string[] = [];
  for (let i = 0; i < shuffled.length; ) {
    if (r() < 0.5) {
      bodies.push(JSON.stringify(shuffled[i++]));
    } else {
      const n = 1 + Math.floor(r() * maxEnvelope);
      bodies.push(JSON.stringify({ events: shuffled.slice(i, i + n) }));
      i += n;
    }
  }
  return bodies;
}
