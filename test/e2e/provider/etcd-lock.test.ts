// The provider honours the etcd host lock (issue 14), with the real `terraform` and the testbed's
// 3-member etcd: while a CLI run with --etcd holds fake3 (its key <prefix>/<region>/hosts/fake3;
// fenced, forced down, then a long `wait` step), `terraform apply` with the provider's
// `coordination` block fails naming the run, and Nova and the key are unchanged. Then the run is
// stopped (SIGINT) and fake3 is put back: powered on, up, enabled; the suite's keys are dropped.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dropPrefix, rawClient, testbedEtcd, uniquePrefix } from '../coordination/etcd-support.js';
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
const PREFIX = uniquePrefix('provider-lock');
const REGION = 'RegionOne';

const test = suite<HeldRunContext>('terraform refuses a host a run holds in etcd');

if (!terraformAvailable()) {
  loudSkip('test/e2e/provider/etcd-lock.test.ts');
  test.skip('terraform apply of a host locked in etcd fails naming the run', () => undefined);
} else {
  heldRunHooks(test, HOST, () => dropPrefix(PREFIX));

  test('while a run holds fake3 in etcd, terraform apply with a coordination block fails naming the run', async (ctx) => {
    const { runId, before } = await holdHost(
      ctx,
      HOST,
      'e2e: etcd-lock',
      ['--etcd', testbedEtcd().endpoints.join(',')],
      { FORCEDOWN_ETCD_PREFIX: PREFIX, FORCEDOWN_ETCD_REGION: REGION, FORCEDOWN_ETCD_TIMEOUT: '3' },
    );
    const key = `${PREFIX}/${REGION}/hosts/${HOST}`;
    const etcd = rawClient();
    const lockValue = async (): Promise<string | null> => etcd.get(key).string();
    const locked = await lockValue();
    assert.match(locked ?? '', `"runId":"${runId}"`, `the run holds ${key}`);

    const apply = applyOnHeldHost(ctx, HOST, {
      cloud: 'testbed-admin',
      coordination: { endpoints: [...testbedEtcd().endpoints], prefix: PREFIX, region: REGION, timeout: 3 },
    });
    assert.match(apply.stderr, `locked in etcd by forcedown run ${runId}`);
    assert.match(apply.stderr, 'What to do');
    try {
      assert.is(await lockValue(), locked, 'the etcd key is unchanged');
    } finally {
      etcd.close();
    }
    await assertNovaUnchanged(ctx, HOST, before);

    // the run still holds the host; stopping it releases its marker
    await releaseHold(ctx, HOST, runId);
    const etcdAfter = rawClient();
    try {
      assert.is(await etcdAfter.get(key).string(), null, 'the run released its etcd lock');
    } finally {
      etcdAfter.close();
    }
  });
}

test.run();
