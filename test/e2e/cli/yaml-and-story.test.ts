import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import type { OpenStackClient, Server } from '../../../src/openstack/index.js';
import type { RunStory } from '../../../src/report/index.js';
import { artifactsDir, launchChromium } from '../../support/chromium.js';
import {
  adminClient,
  bootServers,
  computeAlive,
  deleteServers,
  ensureHealthy,
  events,
  forcedown,
  testbed,
} from '../support/testbed.js';

/**
 * Issue 17 on the real testbed: the shipped YAML runbook (runbooks/host-failure.example.yaml) with
 * the testbed's inventory written as YAML and the parameters in a YAML --var-file fences fake3
 * through its ipmi_sim BMC, forces it down and evacuates its servers; then `forcedown show`
 * (text, json, markdown, junit) and `report --html` tell that real run's story, and the page is
 * rendered in headless Chromium. The host is put back (powered on, force-down cleared, enabled)
 * and the servers deleted afterwards.
 */
const test = suite('YAML runbook and inventory, show and report, on the real testbed');
const HOST = 'fake3';
const PREFIX = 'e2e-yaml';
let client: OpenStackClient;
let dir = '';
let servers: Server[] = [];
let runId = '';

test.before(async () => {
  client = await adminClient();
  dir = await mkdtemp(join(tmpdir(), 'fd-e2e-yaml-'));
  await deleteServers(client, PREFIX);
  await ensureHealthy(client, HOST);
  servers = await bootServers(client, HOST, 3, { prefix: PREFIX });
});

test.after(async () => {
  try {
    await ensureHealthy(client, HOST);
    await deleteServers(client, PREFIX);
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('host-failure from a YAML runbook, YAML inventory and YAML --var-file: fenced, down, evacuated', async () => {
  const tb = testbed();
  const inventory = JSON.parse(await readFile(tb.inventory, 'utf8')) as unknown;
  await writeFile(join(dir, 'inventory.yaml'), `# the testbed's BMCs\n${stringify(inventory)}`);
  await writeFile(join(dir, 'vars.yml'), `host: ${HOST}\nreason: INC-e2e-yaml\nconcurrency: 3\n`);
  const result = await forcedown([
    'run',
    'runbooks/host-failure.example.yaml',
    '--var-file',
    join(dir, 'vars.yml'),
    '--inventory',
    join(dir, 'inventory.yaml'),
    '--yes',
    '--output',
    'json',
    '--state-dir',
    join(dir, 'state'),
  ]);
  assert.is(result.code, 0, result.stderr + result.stdout.slice(-3000));
  const evs = events(result.stdout);
  runId = String(evs[0].runId);
  assert.equal(
    evs.filter((e) => e.event === 'step.finished').map((e) => [e.stepId, e.status]),
    [
      ['fence', 'changed'],
      ['force-down', 'changed'],
      ['evacuate', 'changed'],
      ['reset-failed', 'unchanged'],
    ],
  );
  assert.not.ok(computeAlive(HOST), 'the fence really killed nova-compute');
  const service = await client.compute.findComputeService(HOST);
  assert.equal([service.forcedDown, service.status], [true, 'disabled']);
  assert.match(service.disabledReason ?? '', 'INC-e2e-yaml');
  for (const before of servers) {
    const after = await client.compute.getServer(before.id);
    assert.ok(after.host !== null && after.host !== HOST, `${before.name} moved (now on ${after.host})`);
  }
});

test('show tells the real run: the fence read back by ipmi_sim, down, every server from -> to', async () => {
  assert.ok(runId !== '', 'the run above produced a run id');
  const state = join(dir, 'state');
  const json = await forcedown(['show', runId, '--state-dir', state, '--output', 'json']);
  assert.is(json.code, 0, json.stderr);
  const story = JSON.parse(json.stdout) as RunStory;
  assert.is(story.status, 'succeeded');
  assert.is(story.runbook.file, 'runbooks/host-failure.example.yaml');
  const fence = story.safety.find((r) => r.kind === 'fence-confirmed');
  assert.ok(fence, JSON.stringify(story.safety));
  assert.equal([fence.host, fence.driver], [HOST, 'ipmi']);
  assert.match(fence.target ?? '', '127.0.0.1');
  assert.ok(story.downAt !== undefined && story.downAt >= fence.at, 'down after the fence was read back');
  const nova = new Map<string, string | null>();
  for (const s of servers) nova.set(s.id, (await client.compute.getServer(s.id)).host);
  assert.is(story.servers.length, servers.length);
  for (const server of story.servers) {
    assert.is(server.result, 'evacuated', JSON.stringify(server));
    assert.is(server.fromHost, HOST);
    assert.is(server.toHost, nova.get(server.id), `${server.name}: the story's destination is Nova's`);
    assert.ok(server.attempts >= 1 && server.seconds !== undefined && server.seconds > 0, JSON.stringify(server));
  }
  const text = await forcedown(['show', runId, '--state-dir', state]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, `${HOST} powered off, read back off at`);
  const markdown = await forcedown(['show', runId, '--state-dir', state, '--output', 'markdown']);
  assert.match(markdown.stdout, /^### ✅ forcedown host-failure on fake3: succeeded \(exit 0\)/);
  const junit = await forcedown(['show', runId, '--state-dir', state, '--output', 'junit']);
  assert.match(junit.stdout, `tests="${4 + servers.length}" failures="0"`);
});

test('report --html of the real run renders in headless Chromium with a bar per server', async () => {
  const html = join(dir, 'report.html');
  const result = await forcedown(['report', runId, '--state-dir', join(dir, 'state'), '--html', html]);
  assert.is(result.code, 0, result.stderr);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(`file://${html}`);
    assert.match(await page.locator('#status').innerText(), /^succeeded \(exit 0\)/);
    assert.is(await page.locator('svg.timeline rect[data-result="evacuated"]').count(), servers.length);
    assert.is(await page.locator('svg .marker.fence').count(), 1);
    assert.is(await page.locator('svg .marker.down').count(), 1);
    mkdirSync(artifactsDir, { recursive: true });
    const shot = join(artifactsDir, 'e2e-host-failure-report.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    assert.equal(
      browser.requests.filter((url) => !url.startsWith('file:')),
      [],
    );
  } finally {
    await browser.close();
  }
});

test.run();
