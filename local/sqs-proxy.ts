/**
 * The local stack's SQS front: a small SQS-aware HTTP proxy in front of whichever SQS emulator
 * runs (fauxqs, or one given by AWS_ENDPOINT_URL_SQS), so the local stack knows who sent each
 * message as SQS does in AWS (`SenderId`), whatever the emulator reports (fauxqs 1.x: always
 * "000000000000").
 *
 * - The sender is the access key a request is signed with (SigV4 `Authorization` header). A key
 *   the proxy holds the secret of (the operator's, each platform's: `.local/stack.json`) must be
 *   signed with that secret, else 403 `SignatureDoesNotMatch`; any other key is accepted, as the
 *   emulators accept any credentials, and is a principal of its own (unregistered unless an
 *   operator registers it). Each key's principal id is {@link localSenderId}.
 * - SendMessage / SendMessageBatch: the proxy stamps the principal id on every message as a
 *   message attribute {@link SENDER_ATTRIBUTE}, removing any the client set (no forging).
 * - ReceiveMessage: the stamp becomes `Attributes.SenderId` (when asked for) and leaves the
 *   message attributes; MD5s of message attributes are those of the client's own attributes.
 * The query protocol (form-encoded `Action=SendMessage&...`, AWS CLI 2.9 – 2.12 and older tools)
 * may send too: its messages are stamped the same way ({@link stampQuerySend}). Receiving is for
 * the workers, in the JSON protocol: a query ReceiveMessage is refused with a sentence.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

/** Message attribute that carries the stamp through the emulator (never shown to clients). */
export const SENDER_ATTRIBUTE = 'ngsp-local.SenderId';

/** The principal id of a local access key: `AIDA` + 17 upper-case hex digits (IAM user ids look alike). */
export function localSenderId(accessKeyId: string): string {
  return `AIDA${createHash('sha256').update(accessKeyId, 'utf8').digest('hex').slice(0, 17).toUpperCase()}`;
}

/** The principal of an unsigned request. */
export const ANONYMOUS = 'ANONYMOUS';

function toBytes(d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof d === 'string') return d;
  return d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** SHA-256 / HMAC-SHA-256 in the shape SignatureV4 asks for. */
class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

type Attr = { DataType: string; StringValue?: string; BinaryValue?: string };

/** SQS' MD5 of message attributes (the algorithm SQS documents), so clients see their own. */
export function md5OfAttributes(attrs: Record<string, Attr>): string | undefined {
  const names = Object.keys(attrs).sort();
  if (!names.length) return undefined;
  const hash = createHash('md5');
  const field = (b: Buffer): void => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    hash.update(len);
    hash.update(b);
  };
  for (const name of names) {
    const a = attrs[name]!;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(a.DataType, 'utf8'));
    if (a.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      field(Buffer.from(a.BinaryValue, 'base64'));
    } else {
      hash.update(Buffer.from([1]));
      field(Buffer.from(a.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

export interface SqsSenderProxy {
  url: string;
  /** Lets a key's holder send as its principal; requests with that key must be signed with `secret`. */
  addCredential(accessKeyId: string, secretAccessKey: string): void;
  close(): Promise<void>;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function jsonError(status: number, code: string, message: string): { status: number; headers: Record<string, string>; body: string } {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${code};Sender` },
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message }),
  };
}

/** Checks a SigV4 signature against the key's secret: true when it matches. */
async function signatureMatches(req: IncomingMessage, body: Buffer, secret: string): Promise<boolean> {
  const auth = req.headers.authorization ?? '';
  const m = CREDENTIAL.exec(auth);
  const signed = /SignedHeaders=([^,\s]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const given = /Signature=([0-9a-f]+)/.exec(auth)?.[1];
  const amzDate = req.headers['x-amz-date'];
  if (!m || !given || typeof amzDate !== 'string') return false;
  const headers: Record<string, string> = {};
  for (const h of signed) {
    const v = req.headers[h];
    if (v === undefined) return false;
    headers[h] = Array.isArray(v) ? v.join(',') : v;
  }
  const url = new URL(req.url ?? '/', 'http://local');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signer = new SignatureV4({
    credentials: { accessKeyId: m[1]!, secretAccessKey: secret },
    region: m[3]!,
    service: m[4]!,
    sha256: Sha256,
    applyChecksum: false,
  });
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const out = await signer.sign(
    { method: req.method ?? 'POST', protocol: 'http:', hostname: 'local', path: url.pathname, query, headers, body: body.toString('utf8') },
    { signingDate: date },
  );
  const mine = /Signature=([0-9a-f]+)/.exec(String(out.headers.authorization ?? out.headers.Authorization ?? ''))?.[1];
  return mine === given;
}

type Rewrite = (response: Record<string, unknown>) => Record<string, unknown>;

/** Stamps a send's messages; returns the rewritten request and how to rewrite the answer. */
function stampSend(action: string, req: Record<string, unknown>, senderId: string): Rewrite {
  const stamp = (entry: Record<string, unknown>): Record<string, Attr> => {
    const own = { ...((entry.MessageAttributes as Record<string, Attr> | undefined) ?? {}) };
    delete own[SENDER_ATTRIBUTE];
    entry.MessageAttributes = { ...own, [SENDER_ATTRIBUTE]: { DataType: 'String', StringValue: senderId } };
    // Only AWSTraceHeader is a settable system attribute: nobody sets SenderId.
    const sys = entry.MessageSystemAttributes as Record<string, unknown> | undefined;
    if (sys) delete sys.SenderId;
    return own;
  };
  if (action === 'SendMessage') {
    const own = stamp(req);
    return (res) => {
      const md5 = md5OfAttributes(own);
      const { MD5OfMessageAttributes: _drop, ...rest } = res;
      return md5 ? { ...rest, MD5OfMessageAttributes: md5 } : rest;
    };
  }
  const owns = new Map<string, Record<string, Attr>>();
  for (const e of (req.Entries as Record<string, unknown>[] | undefined) ?? []) owns.set(String(e.Id), stamp(e));
  return (res) => ({
    ...res,
    Successful: ((res.Successful as Record<string, unknown>[] | undefined) ?? []).map((s) => {
      const md5 = md5OfAttributes(owns.get(String(s.Id)) ?? {});
      const { MD5OfMessageAttributes: _drop, ...rest } = s;
      return md5 ? { ...rest, MD5OfMessageAttributes: md5 } : rest;
    }),
  });
}

/**
 * Stamps a query-protocol send (`MessageAttribute.N.Name=...`, per entry for a batch): any
 * attribute named {@link SENDER_ATTRIBUTE} the client set is dropped, the stamp is added under
 * the next free number. Returns the new form and the XML answer's rewrite (the MD5 of message
 * attributes must be that of the client's own, or none).
 */
export function stampQuerySend(form: URLSearchParams, senderId: string): { form: URLSearchParams; rewrite: (xml: string) => string } {
  const action = form.get('Action');
  const prefixes =
    action === 'SendMessageBatch'
      ? [
          ...new Set(
            [...form.keys()].map((k) => /^SendMessageBatchRequestEntry\.(\d+)\./.exec(k)?.[1]).filter((n): n is string => n !== undefined),
          ),
        ].map((n) => `SendMessageBatchRequestEntry.${n}.`)
      : [''];
  const out = new URLSearchParams();
  const forged = new Set<string>();
  for (const [k, v] of form) {
    const m = /^(.*)MessageAttribute\.(\d+)\.Name$/.exec(k);
    if (m && v === SENDER_ATTRIBUTE) forged.add(`${m[1]}MessageAttribute.${m[2]}.`);
  }
  for (const [k, v] of form) if (![...forged].some((f) => k.startsWith(f))) out.append(k, v);
  for (const prefix of prefixes) {
    const used = [...out.keys()].map((k) =>
      k.startsWith(`${prefix}MessageAttribute.`) ? Number(k.slice(prefix.length).split('.')[1]) : 0,
    );
    const n = Math.max(0, ...used) + 1;
    out.append(`${prefix}MessageAttribute.${n}.Name`, SENDER_ATTRIBUTE);
    out.append(`${prefix}MessageAttribute.${n}.Value.DataType`, 'String');
    out.append(`${prefix}MessageAttribute.${n}.Value.StringValue`, senderId);
  }
  // The answer's MD5OfMessageAttributes now covers the stamp: drop it where the client set none.
  // (A query client that sets attributes of its own gets no MD5 for them: few do, none check.)
  const rewrite = (xml: string): string => xml.replace(/<MD5OfMessageAttributes>[^<]*<\/MD5OfMessageAttributes>/g, '');
  return { form: out, rewrite };
}

/** Asks the emulator for the stamp too; turns it into `Attributes.SenderId` in the answer. */
function unstampReceive(req: Record<string, unknown>): Rewrite {
  const names = (req.MessageAttributeNames as string[] | undefined) ?? [];
  const wantsOwn = (n: string): boolean =>
    names.some((w) => w === 'All' || w === '.*' || w === n || (w.endsWith('.*') && n.startsWith(w.slice(0, -1))));
  req.MessageAttributeNames = [...names, SENDER_ATTRIBUTE];
  const system = [
    ...((req.MessageSystemAttributeNames as string[] | undefined) ?? []),
    ...((req.AttributeNames as string[] | undefined) ?? []),
  ];
  const wantsSender = system.includes('All') || system.includes('SenderId');
  return (res) => ({
    ...res,
    ...(res.Messages
      ? {
          Messages: (res.Messages as Record<string, unknown>[]).map((m) => {
            const attrs = { ...((m.MessageAttributes as Record<string, Attr> | undefined) ?? {}) };
            const stamp = attrs[SENDER_ATTRIBUTE]?.StringValue;
            delete attrs[SENDER_ATTRIBUTE];
            const own = Object.fromEntries(Object.entries(attrs).filter(([n]) => wantsOwn(n)));
            const { MessageAttributes: _a, MD5OfMessageAttributes: _m, ...rest } = m;
            const md5 = md5OfAttributes(own);
            const attributes = { ...((m.Attributes as Record<string, string> | undefined) ?? {}) };
            if (wantsSender) {
              // A message that did not come through this proxy keeps what the emulator says.
              if (stamp) attributes.SenderId = stamp;
            } else delete attributes.SenderId;
            return {
              ...rest,
              ...(Object.keys(attributes).length ? { Attributes: attributes } : {}),
              ...(md5 ? { MessageAttributes: own, MD5OfMessageAttributes: md5 } : {}),
            };
          }),
        }
      : {}),
  });
}

/** Starts the proxy on 127.0.0.1 in front of `upstream` (an SQS endpoint URL). */
export async function startSqsSenderProxy(opts: { upstream: string; port?: number }): Promise<SqsSenderProxy> {
  const upstream = new URL(opts.upstream);
  const secrets = new Map<string, string>();

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const out = httpRequest({ hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (res) => {
        readAll(res).then(
          (b) => resolve({ status: res.statusCode ?? 502, headers: res.headers as Record<string, string | string[]>, body: b }),
          reject,
        );
      });
      out.on('error', reject);
      out.end(body);
    });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const send = (r: { status: number; headers: Record<string, string | string[]>; body: Buffer | string }): void => {
        const headers = { ...r.headers };
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        res.writeHead(r.status, headers).end(r.body);
      };
      const auth = req.headers.authorization;
      const accessKeyId = auth ? CREDENTIAL.exec(auth)?.[1] : undefined;
      const secret = accessKeyId ? secrets.get(accessKeyId) : undefined;
      if (secret !== undefined && !(await signatureMatches(req, body, secret))) {
        send(jsonError(403, 'SignatureDoesNotMatch', `the request signature does not match the secret of access key ${accessKeyId}`));
        return;
      }
      const senderId = accessKeyId ? localSenderId(accessKeyId) : ANONYMOUS;
      const target = req.headers['x-amz-target'];
      const action = typeof target === 'string' ? target.replace(/^AmazonSQS\./, '') : undefined;
      if (!action) {
        const form = new URLSearchParams(body.toString('utf8'));
        const queryAction = form.get('Action') ?? new URL(req.url ?? '/', 'http://local').searchParams.get('Action');
        if (queryAction === 'ReceiveMessage') {
          send({
            status: 400,
            headers: { 'content-type': 'text/xml' },
            body: `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>the local SQS takes ReceiveMessage only in the JSON protocol (AWS SDK v3, AWS CLI 2.13 and later): the query protocol would show the sender stamp</Message></Error></ErrorResponse>`,
          });
          return;
        }
        if ((queryAction === 'SendMessage' || queryAction === 'SendMessageBatch') && form.get('Action')) {
          const stamped = stampQuerySend(form, senderId);
          const answer = await forward(req, Buffer.from(stamped.form.toString(), 'utf8'));
          send(answer.status === 200 ? { ...answer, body: stamped.rewrite(answer.body.toString('utf8')) } : answer);
          return;
        }
        send(await forward(req, body));
        return;
      }
      let rewrite: Rewrite | undefined;
      let outBody = body;
      if (action === 'SendMessage' || action === 'SendMessageBatch' || action === 'ReceiveMessage') {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        } catch {
          send(jsonError(400, 'InvalidParameterValue', 'the request body is not JSON'));
          return;
        }
        rewrite = action === 'ReceiveMessage' ? unstampReceive(parsed) : stampSend(action, parsed, senderId);
        outBody = Buffer.from(JSON.stringify(parsed), 'utf8');
      }
      const answer = await forward(req, outBody);
      if (rewrite && answer.status === 200) {
        const text = JSON.stringify(rewrite(JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>));
        send({ ...answer, body: text });
      } else send(answer);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#InternalError', message: `local SQS proxy: ${String(err)}` }));
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    addCredential: (id, secret) => void secrets.set(id, secret),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
