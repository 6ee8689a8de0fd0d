/** Small HTTP helpers of the OpenStack double: responses, JSON bodies, request ids, microversions. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A parsed incoming request. */
export interface DoubleRequest {
  readonly method: string;
  readonly url: URL;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
  readonly rawBody: string;
}

/** What a route handler returns. */
export interface DoubleResponse {
  readonly status: number;
  readonly body?: unknown;
  /** Sent as is (text/plain) instead of JSON. */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Reads the request body. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Writes a DoubleResponse with a request id. */
export function send(res: ServerResponse, response: DoubleResponse, extraHeaders: Record<string, string> = {}): void {
  const requestId = `req-${randomUUID()}`;
  const headers: Record<string, string> = { 'x-openstack-request-id': requestId, ...extraHeaders, ...response.headers };
  let payload = '';
  if (response.text !== undefined) {
    headers['content-type'] = 'text/plain; charset=UTF-8';
    payload = response.text;
  } else if (response.body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(response.body);
  }
  headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(payload);
}

const FAULT_NAMES: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/** Nova's fault body: `{"badRequest":{"code":400,"message":"..."}}` (computeFault for other codes). */
export function novaFault(status: number, message: string): DoubleResponse {
  return { status, body: { [FAULT_NAMES[status] ?? 'computeFault']: { code: status, message } } };
}

/** keystonemiddleware's / Keystone's error body. */
export function keystoneError(status: number, title: string, message: string): DoubleResponse {
  return { status, body: { error: { code: status, title, message } } };
}

/** keystonemiddleware's 401. */
export function unauthorized(keystoneUrl: string): DoubleResponse {
  return {
    ...keystoneError(401, 'Unauthorized', 'The request you have made requires authentication.'),
    headers: { 'www-authenticate': `Keystone uri="${keystoneUrl}"` },
  };
}

/** Nova's "Policy doesn't allow X to be performed." 403. */
export function policyForbidden(rule: string): DoubleResponse {
  return novaFault(403, `Policy doesn't allow ${rule} to be performed.`);
}

/** Parses "2.53" into a comparable number pair. */
export function mv(text: string): [number, number] {
  const [a, b] = text.split('.');
  return [Number(a), Number(b)];
}

/** a >= b for microversions. */
export function mvAtLeast(a: string, b: string): boolean {
  const [am, an] = mv(a);
  const [bm, bn] = mv(b);
  return am === bm ? an >= bn : am > bm;
}

/** Nova's timestamp format: 2026-11-25T11:03:10.000000 */
export function novaTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('Z', '000')
    .replace(/\.(\d{3})000$/, '.$1000');
}

/** Keystone's timestamp format: 2026-11-25T12:03:10.000000Z */
export function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** "Additional properties are not allowed ('a', 'b' were unexpected)" as jsonschema words it. */
export function additionalProperties(keys: readonly string[]): string {
  const sorted = [...keys].sort().map((k) => `'${k}'`);
  return `Additional properties are not allowed (${sorted.join(', ')} ${sorted.length === 1 ? 'was' : 'were'} unexpected)`;
}
