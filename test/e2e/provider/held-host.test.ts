// The provider honours the one-run-per-host lock, with the real `terraform` against the testbed:
// while a CLI run holds fake3 (fenced, forced down, disabled with its `[forcedown:<run-id>]`
// marker, then in a long `wait` step), `terraform apply` of forcedown_compute_service with
// forced_down = false fails naming the run, and Nova is unchanged. Then the run is stopped
// (SIGINT: it releases its marker) and fake3 is put back: powered on, up, enabled.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loudSkip, terraformAvailable } from './harness.js';
import {
  applyOnHeldHost,
  assertNovaUnchanged,
  heldRunHooks,
  holdHost,
  releaseHold,
  type HeldRunContext,
} from './held-run.js';

const HOST = 'fake3';

const test = suite<HeldRunContext>('terraform refuses a host a run holds');

if (!terraformAvailable()) {
  loudSkip('test/e2e/provider/held-host.test.ts');
  test.skip('terraform apply of a held host fails naming the run', () => undefined);
} else {
  heldRunHooks(test, HOST);

  test('while a run holds fake3, terraform apply with forced_down = false fails naming the run; Nova unchanged', async (ctx) => {
    const { runId, before } = await holdHost(ctx, HOST, 'e2e: held-host');

    const apply = applyOnHeldHost(ctx, HOST, { cloud: 'testbed-admin' });
    assert.match(apply.stderr, `held by forcedown run ${runId}`);
    assert.match(apply.stderr, 'What to do');
    await assertNovaUnchanged(ctx, HOST, before);

    // the run still holds the host; stopping it releases its marker
    await releaseHold(ctx, HOST, runId);
  });
}

test.run();
