/**
 * The provider's etcd key region is resolved exactly as a run's: the coordination block's
 * `region` / FORCEDOWN_ETCD_REGION, else the provider's `region` / OS_REGION_NAME, else the
 * configured cloud's clouds.yaml `region_name`, else `default`. Each case builds the provider's
 * settings and a run's (src/cli's coordinationSettingsFor; a watcher's too) from the same inputs
 * and compares the lock key of one host.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommandContext, ParsedArgs } from '../../../src/cli/command.interface.js';
import { coordinationSettingsFor } from '../../../src/cli/coordination-options.js';
import { watchCoordinationSettings } from '../../../src/cli/watch-coordination.js';
import type { ResolvedWatchConfig } from '../../../src/watch/config.js';
import { KeyLayout, type CoordinationSettings, type HostLockProvider } from '../../../src/coordination/index.js';
import { ForcedownProvider } from '../../../src/provider/provider.js';
import { PROVIDER_TABLE } from '../../../src/provider/resources/index.js';
import type { TfObject } from '../../../src/provider/values.js';
import { FakeCompute } from './support/fake-compute.js';

const ETCD = 'http://127.0.0.1:2379';
const AUTH =
  '    auth: { auth_url: "http://127.0.0.1:1/v3", username: u, password: p, project_name: x, user_domain_name: Default, project_domain_name: Default }';
let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-provider-region-'));
  await writeFile(
    join(dir, 'clouds.yaml'),
    ['clouds:', '  two:', AUTH, '    region_name: RegionTwo', '  plain:', AUTH, ''].join('\n'),
  );
  await writeFile(join(dir, 'broken.yaml'), 'clouds: [unclosed\n');
});
test.after(() => rm(dir, { recursive: true, force: true }));

const noLocks: HostLockProvider = {
  kind: 'etcd',
  holder: async () => undefined,
  acquire: async (options) => ({ hosts: options.hosts, broken: [], release: async () => undefined }),
};

/** The settings the provider opens its locks with, after a plan that reads the lock. */
async function providerSettings(
  config: TfObject,
  env: Record<string, string>,
): Promise<{ settings: CoordinationSettings | undefined; summaries: string[] }> {
  let settings: CoordinationSettings | undefined;
  const provider = new ForcedownProvider({
    connect: async () => ({ compute: new FakeCompute(), close: async () => undefined }),
    table: PROVIDER_TABLE,
    env,
    openLocks: async (opened) => {
      settings = opened;
      return { locks: noLocks, close: () => undefined };
    },
  });
  const diagnostics = provider.configure(config);
  if (diagnostics.length === 0) {
    const desired = { id: null, host: 'fake3', binary: null, forced_down: true, fenced_reason: 'INC-1' };
    await provider.planResourceChange('forcedown_compute_service', null, desired, desired);
  }
  return { settings, summaries: diagnostics.map((d) => `${d.summary}: ${d.detail}`) };
}

const runArgs = (values: ParsedArgs['values']): ParsedArgs => ({ values, positionals: [] });
const context = (env: Record<string, string>): CommandContext => ({ env, cwd: dir }) as unknown as CommandContext;
const lockKey = (settings: CoordinationSettings | undefined): string | undefined =>
  settings === undefined ? undefined : new KeyLayout(settings.prefix, settings.region).host('fake3');
const envOf = (more: Record<string, string> = {}): Record<string, string> => ({
  OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
  HOME: dir,
  ...more,
});

test("a clouds.yaml cloud's region_name: the provider locks the key a run locks", async () => {
  const env = envOf();
  const provider = await providerSettings({ cloud: 'two', coordination: { endpoints: [ETCD] } }, env);
  assert.equal(provider.summaries, []);
  const run = await coordinationSettingsFor(runArgs({ etcd: ETCD, 'os-cloud': 'two' }), context(env));
  assert.is(lockKey(provider.settings), '/forcedown/RegionTwo/hosts/fake3');
  assert.is(lockKey(provider.settings), lockKey(run));
});

test('a watcher of that cloud (watch.json without region) locks the same key', async () => {
  const env = envOf();
  const watchConfig = { file: join(dir, 'watch.json'), config: { cloud: 'two' } } as unknown as ResolvedWatchConfig;
  const watcher = await watchCoordinationSettings(runArgs({ etcd: ETCD }), context(env), watchConfig);
  const provider = await providerSettings({ cloud: 'two', coordination: { endpoints: [ETCD] } }, env);
  assert.is(lockKey(watcher), '/forcedown/RegionTwo/hosts/fake3');
  assert.is(lockKey(watcher), lockKey(provider.settings));
  const pinned = { file: join(dir, 'watch.json'), config: { cloud: 'two', region: 'RegionThree' } };
  const watcherPinned = await watchCoordinationSettings(
    runArgs({ etcd: ETCD }),
    context(env),
    pinned as unknown as ResolvedWatchConfig,
  );
  assert.is(watcherPinned?.region, 'RegionThree', "watch.json's region wins over region_name");
});

test('OS_CLOUD selects the cloud for both, as does FORCEDOWN_ETCD_ENDPOINTS without a block', async () => {
  const env = envOf({ OS_CLOUD: 'two', FORCEDOWN_ETCD_ENDPOINTS: ETCD });
  const provider = await providerSettings({}, env);
  const run = await coordinationSettingsFor(runArgs({}), context(env));
  assert.is(lockKey(provider.settings), '/forcedown/RegionTwo/hosts/fake3');
  assert.is(lockKey(provider.settings), lockKey(run));
});

test("the provider's region (as --os-region-name) and OS_REGION_NAME win over region_name", async () => {
  const env = envOf();
  const attribute = await providerSettings(
    { cloud: 'two', region: 'RegionThree', coordination: { endpoints: [ETCD] } },
    env,
  );
  const flag = await coordinationSettingsFor(
    runArgs({ etcd: ETCD, 'os-cloud': 'two', 'os-region-name': 'RegionThree' }),
    context(env),
  );
  assert.is(attribute.settings?.region, 'RegionThree');
  assert.is(lockKey(attribute.settings), lockKey(flag));
  const regionEnv = envOf({ OS_REGION_NAME: 'RegionFour' });
  const fromEnv = await providerSettings({ cloud: 'two', coordination: { endpoints: [ETCD] } }, regionEnv);
  const run = await coordinationSettingsFor(runArgs({ etcd: ETCD, 'os-cloud': 'two' }), context(regionEnv));
  assert.is(fromEnv.settings?.region, 'RegionFour');
  assert.is(lockKey(fromEnv.settings), lockKey(run));
});

test('the coordination region (block, else FORCEDOWN_ETCD_REGION) wins over the cloud', async () => {
  const block = await providerSettings(
    { cloud: 'two', region: 'RegionThree', coordination: { endpoints: [ETCD], region: 'r7' } },
    envOf(),
  );
  assert.is(block.settings?.region, 'r7');
  const env = envOf({ FORCEDOWN_ETCD_REGION: 'r9' });
  const fromEnv = await providerSettings(
    { cloud: 'two', region: 'RegionThree', coordination: { endpoints: [ETCD] } },
    env,
  );
  const run = await coordinationSettingsFor(
    runArgs({ etcd: ETCD, 'os-cloud': 'two', 'os-region-name': 'RegionThree' }),
    context(env),
  );
  assert.is(fromEnv.settings?.region, 'r9');
  assert.is(lockKey(fromEnv.settings), lockKey(run));
});

test('a cloud without region_name: `default` for both', async () => {
  const env = envOf();
  const provider = await providerSettings({ cloud: 'plain', coordination: { endpoints: [ETCD] } }, env);
  const run = await coordinationSettingsFor(runArgs({ etcd: ETCD, 'os-cloud': 'plain' }), context(env));
  assert.is(provider.settings?.region, 'default');
  assert.is(lockKey(provider.settings), lockKey(run));
});

test('a cloud configuration that does not load never fails configure; an explicit region still counts', async () => {
  const env = envOf({ OS_CLIENT_CONFIG_FILE: join(dir, 'broken.yaml') });
  const without = new ForcedownProvider({
    connect: async () => ({ compute: new FakeCompute(), close: async () => undefined }),
    table: PROVIDER_TABLE,
    env,
  });
  assert.equal(without.configure({ cloud: 'two' }), [], 'no coordination: configure succeeds');
  const unknownCloud = await providerSettings({ cloud: 'nosuch', coordination: { endpoints: [ETCD] } }, envOf());
  assert.equal(unknownCloud.summaries, []);
  assert.is(unknownCloud.settings?.region, 'default');
  const explicit = await providerSettings(
    { cloud: 'two', region: 'RegionThree', coordination: { endpoints: [ETCD] } },
    env,
  );
  const run = await coordinationSettingsFor(
    runArgs({ etcd: ETCD, 'os-cloud': 'two', 'os-region-name': 'RegionThree' }),
    context(env),
  );
  assert.equal(explicit.summaries, []);
  assert.is(explicit.settings?.region, 'RegionThree');
  assert.is(lockKey(explicit.settings), lockKey(run));
});

test.run();
