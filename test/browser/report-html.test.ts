/**
 * `forcedown report --html` of a fixture journal rendered in real headless Chromium (Debian's
 * chromium package, driven by playwright-core; no browser download): the page loads with no
 * request beyond its own file, shows the outcome and the safety record, and its timeline has a
 * bar per evacuated server (longer for the slower one), the fence and down markers in order, the
 * failed attempt, the failure and the retried step marked. A screenshot is kept as an artifact.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { artifactsDir, launchChromium, type Browser } from '../support/chromium.js';
import { cliIn } from '../support/captured-output.js';

const root = join(import.meta.dirname, '../..');
const RUN_ID = '20261125T114710Z-host-failure-3f9a1c';

interface Context {
  dir: string;
  browser: Browser;
}
const test = suite<Context>('report --html in headless Chromium');

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'fd-browser-'));
  ctx.browser = await launchChromium();
});

test.after(async (ctx) => {
  await ctx.browser?.close();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

test('the fixture run as a page: outcome, safety, timeline bars and marks', async (ctx) => {
  const html = join(ctx.dir, 'report.html');
  const result = await cliIn(ctx.dir, [
    'report',
    RUN_ID,
    '--html',
    html,
    '--state-dir',
    join(root, 'test/fixtures/journals/state'),
  ]);
  assert.is(result.code, 0, result.err);
  assert.is(result.out, `report: ${html}\n`);
  const page = await ctx.browser.context.newPage();
  await page.goto(`file://${html}`);
  assert.match(await page.title(), RUN_ID);
  assert.is(await page.locator('#status').innerText(), 'failed after changes (exit 1) in 17.9 s');
  assert.match(
    await page.locator('#safety').innerText(),
    'read back off at 2026-11-25T11:47:13.290Z from its BMC ipmi://10.20.3.107:623 (ipmi)',
  );
  assert.is(await page.locator('script').count(), 0);

  const bars = page.locator('svg.timeline rect[data-server-id]');
  const results: string[] = [];
  for (const element of await bars.all()) results.push((await element.getAttribute('data-result')) ?? '');
  assert.equal(results, ['evacuated', 'evacuated', 'failed']);
  const web1 = await page.locator('rect[data-server-id$="000000000001"]').boundingBox();
  const web2 = await page.locator('rect[data-server-id$="000000000002"]').boundingBox();
  assert.ok(web1 && web2);
  const ratio = web2.width / web1.width;
  assert.ok(ratio > 2 && ratio < 2.5, `web-2 took 14.0 s, web-1 6.2 s: bar widths ${web2.width} / ${web1.width}`);
  assert.is(await page.locator('svg .mark.failed-attempt').count(), 1);
  assert.is(await page.locator('svg .mark.failure').count(), 2, 'the failed server and the failed evacuate step');
  assert.is(await page.locator('svg .mark.retry').count(), 1, 'the fence was retried once');
  const fence = await page.locator('svg .marker.fence line').boundingBox();
  const down = await page.locator('svg .marker.down line').boundingBox();
  assert.ok(fence && down && fence.x < down.x, 'fenced before down');
  assert.ok(web1.x >= down.x, 'evacuations start after the host is down');
  assert.match(await page.locator('#servers').innerText(), 'db-1 <primary>');
  assert.match(await page.locator('#servers').innerText(), 'cmp-07.example.net → cmp-09.example.net');

  mkdirSync(artifactsDir, { recursive: true });
  const shot = join(artifactsDir, 'report-timeline.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
  assert.equal(
    ctx.browser.requests.filter((url) => !url.startsWith('file:')),
    [],
    'a self-contained page asks for nothing',
  );
});

test.run();
