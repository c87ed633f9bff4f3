/**
 * `GET /v1/alerts` (CONTRACT.md 1.1): the exchange-health alerts overlapping a range, as the
 * caller may see them (shared/alerts.ts `visibleTo`).
 */
import { visibleTo, type Alert, type AlertStore } from '#shared/alerts.ts';
import type { Principal } from '#shared/auth/keys.ts';

export class AlertReader {
  constructor(private readonly store: Pick<AlertStore, 'alertsBetween'>) {}

  /** Analyst and ops: every alert; an LGSP key: those about its platform or its province. */
  async list(q: { fromMs: number; toMs: number }, principal: Principal): Promise<{ alerts: Alert[] }> {
    const all = await this.store.alertsBetween(q.fromMs, q.toMs);
    if (principal.role !== 'lgsp') return { alerts: all };
    const platformId = principal.platformId;
    return { alerts: platformId ? all.filter((a) => visibleTo(a, platformId)) : [] };
  }
}
