/** A small HTTP client for the intake's tests: raw bodies, any headers, tolerant of an early close. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  readonly json: unknown;
}

export interface SendOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The whole body, or chunks written one by one (chunked transfer encoding). */
  readonly body?: string | Buffer | readonly Buffer[];
  readonly ca?: Buffer;
}

export function send(url: string, options: SendOptions = {}): Promise<Reply> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      { method: options.method ?? 'POST', headers: options.headers, agent: false, ca: options.ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    // the server may answer and close before the whole body is written (413, 401): the answer counts
    req.on('error', reject);
    const body = options.body;
    if (Array.isArray(body)) for (const chunk of body as readonly Buffer[]) req.write(chunk);
    else if (body !== undefined) req.write(body);
    req.end();
  });
}

export const json = (value: unknown): string => JSON.stringify(value);
