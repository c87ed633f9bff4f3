/** Shared set-up of the API tests: a test stack with the api function, keys of every principal, a fetch wrapper. */
import { KeyStore } from '#shared/store/api-keys.ts';
import type { ExchangeEvent } from '#shared/contract/validate.ts';
import { rollDay, rollMinute } from '#shared/rollup.ts';
import { pool } from '#shared/pool.ts';
import { dayOf, minuteKeyOf } from '#shared/time.ts';
import { toBodies } from '../helpers/messages.ts';
import { sendBodies, startTestStack, waitForEmptyQueue, type TestStack } from '../helpers/stack.ts';
import { oracleTransactions } from '../helpers/stream.ts';

export interface ApiKeys {
  analyst: string;
  ops: string;
  /** LGSP keys by platform. */
  lgsp: Record<string, string>;
  /** A key that existed and was revoked. */
  revoked: string;
}

export interface ApiStack extends TestStack {
  url: string;
  keys: ApiKeys;
}

/** A test stack running ingest and api, with keys for analyst, ops and the given LGSP platforms. */
export async function startApiStack(
  platforms: string[],
  workerEnv: Record<string, string> = {},
  functions: ('ingest' | 'api')[] = ['ingest', 'api'],
): Promise<ApiStack> {
  const t = await startTestStack({ functions, workerEnv });
  try {
    const store = new KeyStore(t.stack.clients.ddb, t.stack.resources.names.tables.Keys);
    const lgsp: Record<string, string> = {};
    for (const p of platforms) lgsp[p] = (await store.create('lgsp', p)).key;
    const revoked = await store.create('analyst');
    await store.revoke(revoked.record.keyId);
    const keys: ApiKeys = {
      analyst: (await store.create('analyst')).key,
      ops: (await store.create('ops')).key,
      lgsp,
      revoked: revoked.key,
    };
    return { ...t, url: t.stack.apiUrl, keys };
  } catch (err) {
    await t.stop();
    throw err;
  }
}

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

/** One real HTTP request to the local API. */
export async function call<T = any>(
  url: string,
  method: string,
  path: string,
  opts: { key?: string; query?: Record<string, string>; body?: string } = {},
): Promise<Answer<T>> {
  const u = new URL(path, url);
  for (const [k, v] of Object.entries(opts.query ?? {})) u.searchParams.set(k, v);
  const res = await fetch(u, {
    method,
    headers: { ...(opts.key ? { 'x-api-key': opts.key } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json: json as T, text };
}

export { sampleEvent } from '../helpers/sample-event.ts';

/**
 * Sends events through SQS, waits for ingestion, then rolls exactly the minutes that hold
 * transactions and their days (rolling every empty minute of weeks would take minutes).
 */
export async function ingestAndRollTouched(t: TestStack, events: ExchangeEvent[], seed: number): Promise<void> {
  await sendBodies(t.stack.clients.sqs, t.stack.resources.queueUrl, toBodies(events, seed));
  await waitForEmptyQueue(t.stack.clients.sqs, t.stack.resources.queueUrl);
  const minutes = new Set<string>();
  for (const tx of oracleTransactions(events).values()) minutes.add(minuteKeyOf(Date.parse((tx.consumer ?? tx.provider)!.requestAt)));
  const deps = t;
  await pool([...minutes], 8, async (m) => {
    await rollMinute(m, deps);
  });
  for (const d of new Set([...minutes].map((m) => dayOf(Date.parse(`${m}:00+07:00`))))) await rollDay(d, deps);
}
