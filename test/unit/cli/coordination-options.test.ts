import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommandContext, ParsedArgs } from '../../../src/cli/command.interface.js';
import { coordinationSettingsFor } from '../../../src/cli/coordination-options.js';

/**
 * The etcd key region of a command line: the cloud's region name (clouds.yaml `region_name`,
 * --os-region-name) by default, FORCEDOWN_ETCD_REGION over it, `default` without either.
 */
let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fd-coord-options-'));
  await writeFile(
    join(dir, 'clouds.yaml'),
    [
      'clouds:',
      '  east:',
      '    auth: { auth_url: "http://127.0.0.1:1/v3", username: u, password: p, project_name: x, user_domain_name: Default, project_domain_name: Default }',
      '    region_name: RegionEast',
      '  plain:',
      '    auth: { auth_url: "http://127.0.0.1:1/v3", username: u, password: p, project_name: x, user_domain_name: Default, project_domain_name: Default }',
      '',
    ].join('\n'),
  );
});
test.after(() => rm(dir, { recursive: true, force: true }));

const args = (values: ParsedArgs['values'] = {}): ParsedArgs => ({ values, positionals: [] });
const context = (env: Record<string, string>): CommandContext =>
  ({
    env: { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'), HOME: dir, ...env },
    cwd: dir,
  }) as unknown as CommandContext;

test('no --etcd, no FORCEDOWN_ETCD_ENDPOINTS, no section: no coordination', async () => {
  assert.is(await coordinationSettingsFor(args(), context({ OS_CLOUD: 'east' })), undefined);
});

test("the cloud's region_name is the default region in the keys", async () => {
  const settings = await coordinationSettingsFor(
    args({ etcd: 'http://127.0.0.1:2379' }),
    context({ OS_CLOUD: 'east' }),
  );
  assert.is(settings?.region, 'RegionEast');
});

test('--os-region-name selects the region too; FORCEDOWN_ETCD_REGION overrides the cloud', async () => {
  const flagged = await coordinationSettingsFor(
    args({ etcd: 'http://127.0.0.1:2379', 'os-cloud': 'plain', 'os-region-name': 'RegionWest' }),
    context({}),
  );
  assert.is(flagged?.region, 'RegionWest');
  const env = await coordinationSettingsFor(
    args(),
    context({ OS_CLOUD: 'east', FORCEDOWN_ETCD_ENDPOINTS: 'http://127.0.0.1:2379', FORCEDOWN_ETCD_REGION: 'r9' }),
  );
  assert.is(env?.region, 'r9');
});

test('a cloud without region_name, or no cloud configuration at all: region `default`', async () => {
  const plain = await coordinationSettingsFor(args({ etcd: 'http://127.0.0.1:2379' }), context({ OS_CLOUD: 'plain' }));
  assert.is(plain?.region, 'default');
  const none = await coordinationSettingsFor(args({ etcd: 'http://127.0.0.1:2379' }), {
    env: { HOME: dir, OS_CLIENT_CONFIG_FILE: join(dir, 'missing.yaml') },
    cwd: dir,
  } as unknown as CommandContext);
  assert.is(none?.region, 'default');
});

test.run();
