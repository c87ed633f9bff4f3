/**
 * The local API Gateway: an HTTP server on 127.0.0.1 that turns each request into a REST API
 * (v1) proxy event for the function and writes its proxy result back.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { FunctionDecl } from '#infra/wiring.ts';
import { readConfig } from '#shared/config.ts';
import { lambdaContext, type AnyHandler } from './lambda.ts';

/** API Gateway's own payload limit (10 MB); the function enforces the contract's smaller limit. */
const GATEWAY_BODY_LIMIT = 10 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_BODY_LIMIT) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function toProxyEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    headers[k.toLowerCase()] = values.join(',');
    multiValueHeaders[k.toLowerCase()] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: { proxy: url.pathname.slice(1) },
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? null,
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
    },
  };
}

/** Serves the function on `NGSP_API_PORT` (127.0.0.1) until the process ends. */
export async function serveHttp(decl: FunctionDecl, handler: AnyHandler, onListening: (url: string) => void): Promise<void> {
  const cfg = readConfig({ NGSP_API_PORT: { type: 'int', default: 3000, min: 0 } });
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (body === 'too-large') {
      res
        .writeHead(413, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' } }));
      return;
    }
    try {
      const out = (await handler(toProxyEvent(req, body), lambdaContext(decl))) as APIGatewayProxyResult;
      const headers: Record<string, string | number | boolean> = { ...(out.headers ?? {}) };
      res.writeHead(out.statusCode, headers as Record<string, string>);
      res.end(out.isBase64Encoded ? Buffer.from(out.body, 'base64') : out.body);
    } catch (err) {
      console.error(`[${decl.name}] invocation failed: ${String(err)}`);
      res
        .writeHead(502, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'BAD_GATEWAY', message: 'internal error' } }));
    }
  });
  // Keep idle connections longer than clients do (API Gateway keeps them open too): a server that
  // closes first races the client reusing the socket ("other side closed").
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve) => server.listen(cfg.NGSP_API_PORT, '127.0.0.1', () => resolve()));
  onListening(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => server.close(() => resolve())));
}
