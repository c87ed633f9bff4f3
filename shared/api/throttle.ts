/**
 * Per-tenant throttling of the API: each authenticated request draws one from its principal's
 * budget (the counters: shared/store/throttle.ts); a spent budget is 429 with `Retry-After`.
 */
import type { Principal } from '#shared/auth/keys.ts';
import { throttleSubject } from '#shared/store/throttle.ts';
import { ThrottledError } from './errors.ts';

/** What the throttle needs of its counters (the keys table's, or a test's). */
export interface Counters {
  /** undefined within the budget, else the seconds until the window resets. */
  take(subject: string): Promise<number | undefined>;
}

export class Throttle {
  constructor(private readonly counters: Counters) {}

  /**
   * Counts one request of the principal.
   * @throws ThrottledError when its window's budget is spent (with the seconds until it resets)
   */
  async take(principal: Principal): Promise<void> {
    const retryAfter = await this.counters.take(throttleSubject(principal));
    if (retryAfter !== undefined) throw new ThrottledError(retryAfter);
  }
}
