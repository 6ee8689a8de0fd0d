// Lower layers on a hand-made HTTP server: version documents, pagination loops, error bodies.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ForcedownError } from '../../../src/errors/index.js';
import { NovaComputeApi } from '../../../src/openstack/compute/compute-api.js';
import { negotiateMicroversions } from '../../../src/openstack/compute/microversion.js';
import { discoverComputeVersions } from '../../../src/openstack/compute/version-document.js';
import { errorMessageOf } from '../../../src/openstack/http/api-error-body.js';
import { OpenStackHttp, type MutableStats } from '../../../src/openstack/http/http-client.js';
import { HttpTransport } from '../../../src/openstack/http/transport.js';
import { rejection } from './helpers.js';

let server: HttpServer;
let base = '';
let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
const transport = new HttpTransport();
const stats: MutableStats = { requests: 0, retries: 0, reauthentications: 0 };
const http = new OpenStackHttp({ transport, stats, retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
http.useTokens({
  token: () => Promise.resolve('test-token-1234'),
  renewAfterUnauthorized: () => Promise.resolve('test-token-5678'),
});

test.before(async () => {
  server = createServer((req, res) => handler(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(async () => {
  transport.close();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

test('version document: {"version":…} at /v2.1/ of an endpoint with a project id', async () => {
  let path = '';
  handler = (req, res) => {
    path = req.url ?? '';
    json(res, 200, { version: { id: 'v2.1', status: 'CURRENT', version: '2.79', min_version: '2.1' } });
  };
  assert.equal(await discoverComputeVersions(http, `${base}/compute/v2.1/8f3e9c`), { min: '2.1', max: '2.79' });
  assert.is(path, '/compute/v2.1/');
});

test('version document: a {"versions":[…]} list picks v2.1; an empty version means legacy v2.0 (refused)', async () => {
  handler = (_req, res) =>
    json(res, 200, {
      versions: [
        { id: 'v2.0', status: 'DEPRECATED', version: '', min_version: '' },
        { id: 'v2.1', status: 'CURRENT', version: '2.60', min_version: '2.1' },
      ],
    });
  assert.equal(await discoverComputeVersions(http, `${base}/`), { min: '2.1', max: '2.60' });
  handler = (_req, res) =>
    json(res, 200, { version: { id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '' } });
  const range = await discoverComputeVersions(http, `${base}/v2`);
  const e = (() => {
    try {
      negotiateMicroversions(range);
    } catch (error) {
      return error as ForcedownError;
    }
    return undefined;
  })();
  assert.is(e?.code, 'NOVA_MICROVERSION_TOO_OLD');
});

test('a server listing whose next link repeats its marker stops with an error instead of looping', async () => {
  handler = (_req, res) =>
    json(res, 200, {
      servers: [
        {
          id: 's1',
          name: 'a',
          status: 'ACTIVE',
          'OS-EXT-SRV-ATTR:host': 'h1',
          'OS-EXT-STS:vm_state': 'active',
          'OS-EXT-STS:task_state': null,
        },
      ],
      servers_links: [{ rel: 'next', href: `${base}/v2.1/servers/detail?limit=1&marker=s1` }],
    });
  const api = new NovaComputeApi({
    http,
    endpoint: `${base}/v2.1`,
    range: { min: '2.1', max: '2.93' },
    microversions: negotiateMicroversions({ min: '2.1', max: '2.93' }),
  });
  const e = (await rejection(api.listServersOnHost('h1', { pageSize: 1 }))) as ForcedownError;
  assert.is(e.code, 'NOVA_PAGINATION_LOOP');
});

test('a non-JSON success answer is a clear error', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>login page of a proxy</html>');
  };
  const api = new NovaComputeApi({
    http,
    endpoint: `${base}/v2.1`,
    range: { min: '2.1', max: '2.93' },
    microversions: negotiateMicroversions({ min: '2.1', max: '2.93' }),
  });
  const e = (await rejection(api.listServices())) as ForcedownError;
  assert.is(e.code, 'OPENSTACK_BAD_RESPONSE');
  assert.match(e.hint, 'catalog');
});

test('error bodies: Nova faults, Keystone errors, Glance text/HTML', () => {
  assert.is(
    errorMessageOf('{"itemNotFound": {"code": 404, "message": "Instance x could not be found."}}'),
    'Instance x could not be found.',
  );
  assert.is(
    errorMessageOf(
      '{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}',
    ),
    'The request you have made requires authentication.',
  );
  assert.is(
    errorMessageOf('404 Not Found\n\nNo image found with ID abc\n\n   '),
    '404 Not Found No image found with ID abc',
  );
  assert.is(
    errorMessageOf('<html><body><h1>503 Service Unavailable</h1>No server</body></html>'),
    '503 Service Unavailable No server',
  );
  assert.is(errorMessageOf(''), '');
});

test.run();
