/**
 * The local lock file (src/runner/locks.ts) satisfies coordination's HostLockProvider as it is,
 * so the runner can pick the local or the etcd provider by configuration. Compile-time (the
 * assignment below is type-checked by `npm test`) and at run time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';
import type { HeldLocks, HostLockProvider } from '../../../src/coordination/index.js';
import { acquireRunLocks, readLock } from '../../../src/runner/index.js';

function localProvider(stateDir: string): HostLockProvider {
  return {
    kind: 'local',
    acquire: (options): Promise<HeldLocks> => acquireRunLocks({ stateDir, ...options }),
    holder: (host) => readLock(stateDir, host),
  };
}

test('the local lock file behaves as a HostLockProvider: refusal names the holder, no lost signal', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-provider-'));
  try {
    const provider = localProvider(dir);
    const held = await provider.acquire({ runId: 'run-a', hosts: ['cmp-1'] });
    assert.is(held.lost, undefined);
    assert.is((await provider.holder('cmp-1'))?.runId, 'run-a');
    const refused = await provider.acquire({ runId: 'run-b', hosts: ['cmp-1'] }).catch((e: unknown) => e);
    assert.is((refused as { code: string }).code, 'HOST_LOCKED');
    assert.is(exitCodeOf(refused), 3);
    await held.release('finished');
    assert.is(await provider.holder('cmp-1'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
