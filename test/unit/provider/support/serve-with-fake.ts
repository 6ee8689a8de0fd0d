/**
 * Test fixture: the real provider server (handshake, mTLS, gRPC, msgpack, provider logic) with
 * a fake Nova instead of the OpenStack client. FORCEDOWN_FAKE_NOVA names the fake's JSON state
 * file; the connect options the provider derived are written (redacted) next to it.
 */
import { writeFileSync } from 'node:fs';
import { serve } from '../../../../src/provider/serve.js';
import { redactDeep } from '../../../../src/secrets/index.js';
import { FakeCompute } from './fake-compute.js';

const path = process.env.FORCEDOWN_FAKE_NOVA;
if (path === undefined) throw new Error('FORCEDOWN_FAKE_NOVA is not set');

process.exitCode = await serve({
  connect: async (options) => {
    writeFileSync(`${path}.connect.json`, JSON.stringify(redactDeep(options)));
    return { compute: FakeCompute.file(path), close: async () => undefined };
  },
});
