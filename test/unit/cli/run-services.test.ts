import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRunServices } from '../../../src/cli/run-services.js';
import { doubleEnv, startOpenStackDouble } from '../../support/openstack-double/index.js';

/**
 * The services bag shares one OpenStack client per run, but not a failed sign-in: once Keystone
 * answers again, the next step (or a retry) connects.
 */
test('a sign-in that failed is not cached: the next call connects once Keystone is back', async () => {
  const double = await startOpenStackDouble();
  const services = createRunServices({
    env: doubleEnv(double),
    cwd: process.cwd(),
    warn: () => undefined,
    retry: { retries: 0 },
  });
  try {
    double.failNext({ status: 503, times: 1, route: 'POST /v3/auth/tokens' });
    const first = await services.openstack().then(
      () => undefined,
      (error: unknown) => error as { code?: string },
    );
    assert.ok(first, 'the first sign-in failed (Keystone answered 503)');
    const client = await services.openstack();
    const service = await client.compute.findComputeService('fake1');
    assert.is(service.host, 'fake1');
    assert.is(await services.openstack(), client, 'a client that connected is shared');
  } finally {
    await services.close();
    await double.close();
  }
});

test.run();
