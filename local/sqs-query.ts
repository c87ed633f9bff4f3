/**
 * The SQS *query* protocol (form-encoded `Action=SendMessage&...`, XML answers) in front of fauxqs,
 * which speaks only the JSON protocol the SDKs use since 2023. The AWS CLI before 2.13 — Debian's
 * awscli 2.9 among them — and other older tools send query requests; without this they get
 * `Unknown action`. Each query request is turned into the JSON request of the same action,
 * answered by fauxqs itself (`inject`), and its JSON answer written back as the query XML.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

const ACTIONS = new Set([
  'CreateQueue',
  'DeleteQueue',
  'GetQueueUrl',
  'ListQueues',
  'GetQueueAttributes',
  'SetQueueAttributes',
  'PurgeQueue',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
]);

const NUMBERS = new Set(['DelaySeconds', 'MaxNumberOfMessages', 'VisibilityTimeout', 'WaitTimeSeconds', 'MaxResults']);

/** Query list members (`X.N...`) and the JSON member each becomes. */
const LISTS: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  TagKey: 'TagKeys',
  SendMessageBatchRequestEntry: 'Entries',
  DeleteMessageBatchRequestEntry: 'Entries',
  ChangeMessageVisibilityBatchRequestEntry: 'Entries',
};

/** Query name/value lists that JSON carries as maps. */
const MAPS: Record<string, { json: string; key: string; value: string }> = {
  Attribute: { json: 'Attributes', key: 'Name', value: 'Value' },
  MessageAttribute: { json: 'MessageAttributes', key: 'Name', value: 'Value' },
  MessageSystemAttribute: { json: 'MessageSystemAttributes', key: 'Name', value: 'Value' },
  Tag: { json: 'Tags', key: 'Key', value: 'Value' },
};

type Tree = { [k: string]: Tree | string };

/** `A.1.B.Value.C=v` → nested objects keyed by name and index. */
function unflatten(params: Record<string, string>): Tree {
  const root: Tree = {};
  for (const [name, value] of Object.entries(params)) {
    if (name === 'Action' || name === 'Version') continue;
    const parts = name.split('.');
    let node = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Tree;
    });
  }
  return root;
}

const byIndex = (t: Tree): Tree[] =>
  Object.keys(t)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => t[k] as Tree);

function toJson(t: Tree, action: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'string') {
      out[k] = NUMBERS.has(k) ? Number(v) : v;
    } else if (MAPS[k]) {
      const m = MAPS[k];
      const map: Record<string, unknown> = {};
      for (const e of byIndex(v)) {
        const value = e[m.value];
        map[String(e[m.key])] = typeof value === 'string' ? value : toJson(value ?? {}, action);
      }
      // CreateQueue names its tags `tags` in the JSON protocol; TagQueue says `Tags`.
      out[k === 'Tag' && action === 'CreateQueue' ? 'tags' : m.json] = map;
    } else if (LISTS[k]) {
      out[LISTS[k]] = byIndex(v).map((e) => (typeof e === 'string' ? e : toJson(e, action)));
    } else {
      out[k] = toJson(v, action);
    }
  }
  return out;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r/g, '&#xD;');

/** JSON answer members → query XML elements (maps become Name/Value lists again). */
function toXml(v: unknown, name: string, action: string): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) {
    const item =
      name === 'Messages'
        ? 'Message'
        : name === 'QueueUrls'
          ? 'QueueUrl'
          : name === 'Successful'
            ? `${action}ResultEntry`
            : name === 'Failed'
              ? 'BatchResultErrorEntry'
              : name;
    return v.map((e) => toXml(e, item, action)).join('');
  }
  if (typeof v === 'object') {
    const map = Object.entries(MAPS).find(([, m]) => m.json === name || (name === 'tags' && m.json === 'Tags'));
    if (map) {
      const [el, m] = map;
      return Object.entries(v as Record<string, unknown>)
        .map(([k, val]) => `<${el}><${m.key}>${esc(k)}</${m.key}>${toXml(val, m.value, action)}</${el}>`)
        .join('');
    }
    const inner = Object.entries(v as Record<string, unknown>)
      .map(([k, val]) => toXml(val, k, action))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${esc(String(v))}</${name}>`;
}

const NS = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** Registers the translation on a fauxqs app (before it listens). */
export function addSqsQueryProtocol(app: FastifyInstance): void {
  app.addHook('preHandler', async (request, reply) => {
    const type = request.headers['content-type'] ?? '';
    const body = request.body as Record<string, string> | undefined;
    if (request.method !== 'POST' || !type.includes('x-www-form-urlencoded') || !body || !ACTIONS.has(body.Action ?? '')) return;
    const action = body.Action!;
    const answer = await app.inject({
      method: 'POST',
      url: '/',
      headers: {
        host: request.headers.host ?? '127.0.0.1',
        ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `AmazonSQS.${action}`,
      },
      payload: JSON.stringify(toJson(unflatten(body), action)),
    });
    const requestId = randomUUID();
    reply.header('content-type', 'text/xml');
    if (answer.statusCode >= 300) {
      const err = JSON.parse(answer.body || '{}') as { __type?: string; message?: string };
      const [code, fault] = String(answer.headers['x-amzn-query-error'] ?? '').split(';');
      return reply
        .status(answer.statusCode)
        .send(
          `<?xml version="1.0"?><ErrorResponse xmlns="${NS}"><Error><Type>${fault || 'Sender'}</Type><Code>${esc(code || (err.__type ?? 'InternalError').split('#').pop()!)}</Code><Message>${esc(err.message ?? '')}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
    }
    const result = JSON.parse(answer.body || '{}') as Record<string, unknown>;
    const members = Object.entries(result)
      .map(([k, v]) => toXml(v, k, action))
      .join('');
    return reply.send(
      `<?xml version="1.0"?><${action}Response xmlns="${NS}"><${action}Result>${members}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
    );
  });
}
