/**
 * The route table of the API (CONTRACT.md section 3): method, path, the roles allowed (empty =
 * public, no key) and the OpenAPI operation. The router (functions/api/app.ts) and the OpenAPI
 * document (shared/api/openapi.ts) are both built from it, so they cannot disagree.
 */
import type { Role } from '#shared/auth/keys.ts';

export interface RouteDecl {
  method: 'GET' | 'POST';
  path: string;
  operationId: string;
  /** Principals allowed; empty: anyone, no key. */
  roles: readonly Role[];
}

export const ROUTES = [
  { method: 'POST', path: '/v1/events', operationId: 'postEvents', roles: ['lgsp'] },
  { method: 'GET', path: '/v1/metrics/minutes', operationId: 'getMinuteMetrics', roles: ['analyst', 'ops'] },
  { method: 'GET', path: '/v1/metrics/days', operationId: 'getDayMetrics', roles: ['analyst', 'ops'] },
  { method: 'GET', path: '/v1/metrics/summary', operationId: 'getSummary', roles: ['analyst', 'ops'] },
  // *1.1* lgsp only with by=system|org (its platform's rows); without `by`, 403 as before.
  { method: 'GET', path: '/v1/metrics/breakdown', operationId: 'getBreakdown', roles: ['analyst', 'ops', 'lgsp'] },
  { method: 'GET', path: '/v1/rejections', operationId: 'getRejections', roles: ['lgsp', 'ops'] },
  { method: 'GET', path: '/v1/reports', operationId: 'getReports', roles: ['analyst', 'ops', 'lgsp'] },
  { method: 'GET', path: '/v1/alerts', operationId: 'getAlerts', roles: ['analyst', 'ops', 'lgsp'] },
  { method: 'GET', path: '/v1/health', operationId: 'getHealth', roles: [] },
  { method: 'GET', path: '/v1/openapi.json', operationId: 'getOpenApi', roles: [] },
  { method: 'GET', path: '/', operationId: 'getDashboard', roles: [] },
] as const satisfies readonly RouteDecl[];

export type OperationId = (typeof ROUTES)[number]['operationId'];

/** The methods each path answers (405 with `Allow` for the others). */
export function methodsByPath(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of ROUTES) out.set(r.path, [...(out.get(r.path) ?? []), r.method]);
  return out;
}
