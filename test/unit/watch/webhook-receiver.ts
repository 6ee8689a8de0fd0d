/** A webhook receiver on 127.0.0.1 for the watcher's tests: answers `status`, keeps every request. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Received {
  readonly body: Record<string, unknown>;
  readonly authorization: string | undefined;
}

export async function receiver(status = 200) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({ body: JSON.parse(text) as Record<string, unknown>, authorization: req.headers.authorization });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/forcedown`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
