// The provider honours the one-run-per-host lock, with the real `terraform` against the testbed:
// while a CLI run holds fake3 (fenced, forced down, disabled with its `[forcedown:<run-id>]`
// marker, then in a long `wait` step), `terraform apply` of forcedown_compute_service with
// forced_down = false fails naming the run, and Nova is unchanged. Then the run is stopped
// (SIGINT: it releases its marker) and fake3 is put back: powered on, up, enabled.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loudSkip, terraform, terraformAvailable } from './harness.js';
import { heldRunHooks, holdHost, releaseHold, show, type HeldRunContext } from './held-run.js';

const HOST = 'fake3';

const test = suite<HeldRunContext>('terraform refuses a host a run holds');

if (!terraformAvailable()) {
  loudSkip('test/e2e/provider/held-host.test.ts');
  test.skip('terraform apply of a held host fails naming the run', () => undefined);
} else {
  heldRunHooks(test, HOST);

  test('while a run holds fake3, terraform apply with forced_down = false fails naming the run; Nova unchanged', async (ctx) => {
    const { ws, client } = ctx;
    const { runId, before } = await holdHost(ctx, HOST, 'e2e: held-host');

    const dir = join(ws.dir, 'tf');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({
        terraform: { required_providers: { forcedown: { source: 'registry.forcedown.dev/forcedown/forcedown' } } },
        provider: { forcedown: [{ cloud: 'testbed-admin' }] },
        resource: { forcedown_compute_service: { held: { host: HOST, forced_down: false } } },
      }),
    );
    const init = terraform(ws, dir, 'init');
    assert.is(init.status, 0, show(init));
    const apply = terraform(ws, dir, 'apply', '-auto-approve');
    assert.is(apply.status, 1, show(apply));
    assert.match(apply.stderr, `held by forcedown run ${runId}`);
    assert.match(apply.stderr, 'What to do');
    const after = await client.compute.findComputeService(HOST);
    assert.equal(
      [after.forcedDown, after.status, after.disabledReason],
      [before.forcedDown, before.status, before.disabledReason],
      'Nova unchanged',
    );

    // the run still holds the host; stopping it releases its marker
    await releaseHold(ctx, HOST, runId);
  });
}

test.run();
