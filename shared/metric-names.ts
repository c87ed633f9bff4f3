/**
 * Every custom metric the functions emit (CloudWatch EMF, namespace {@link NAMESPACE}, dimension
 * `service` = the function), in one place: the functions emit them by these names, the stack's
 * alarms and dashboard read them by these names, and the cost budget counts them from here.
 */

export const NAMESPACE = 'NgspStats';

const names = <T extends string>(...list: T[]): { readonly [K in T]: K } => Object.fromEntries(list.map((n) => [n, n])) as { [K in T]: K };

export const METRICS = {
  ingest: names('ReportsStored', 'ReportsDuplicate', 'ReportsConflict', 'EventsRejected', 'MessagesRetried', 'StoreErrors'),
  rollup: names('MinutesRolled', 'DaysRolled', 'RollupLagSeconds', 'RollupLeaseBusy', 'PeriodsQuarantined', 'AlertsRaised'),
  api: names('Requests', 'RequestsThrottled', 'EventsAccepted', 'EventsRejected', 'ApiErrors'),
} as const;

export type Service = keyof typeof METRICS;

/** Each (service, metric name) pair is one CloudWatch custom metric (what is billed). */
export const CUSTOM_METRICS: readonly { service: Service; name: string }[] = (Object.keys(METRICS) as Service[]).flatMap((service) =>
  Object.keys(METRICS[service]).map((name) => ({ service, name })),
);
