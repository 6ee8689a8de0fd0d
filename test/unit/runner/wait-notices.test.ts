import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Step } from '../../../src/generated/runbook.types.js';
import type { OpenStackClient, WaitNotice } from '../../../src/openstack/openstack.interface.js';
import { loadRunbookText } from '../../../src/runbook/index.js';
import {
  executeRun,
  type RendererChoice,
  type RunEvent,
  type RunServices,
  type StepCatalog,
  type StepModule,
} from '../../../src/runner/index.js';
import { catalog as shipped } from '../../../src/steps/catalog.js';
import { engineParts, offlineServices } from '../../support/run-harness.js';

/**
 * A call that keeps waiting (the services announce it through the route the runner sets) is
 * said on the waiting step's behalf: a step.output event of that step (journal, JSON stdout) and,
 * when no renderer shows step output (JSON mode), a line on stderr. Pre-flight's sign-in too.
 */
const notice = (message: string): WaitNotice => ({
  service: 'keystone',
  method: 'POST',
  target: 'http://127.0.0.1:5000/v3/auth/tokens',
  attempt: 1,
  waitedMs: 4000,
  budgetMs: 30_000,
  message,
});

const ping: StepModule<Step> = {
  type: 'ping' as Step['type'],
  defaultTimeoutMs: 5000,
  needs: ['openstack'],
  title: () => 'ping',
  hosts: (s) => [(s as unknown as { host: string }).host],
  async check(_s, context) {
    await context.services.openstack();
    return { needed: false, summary: 'pong' };
  },
  apply: () => Promise.reject(new Error('not needed')),
};
const withPing: StepCatalog = {
  ...shipped,
  types: [...shipped.types, 'ping'],
  load: (type) => (type === 'ping' ? Promise.resolve(ping) : shipped.load(type)),
  validateResolved: (step, file) =>
    step.type === ('ping' as Step['type']) ? undefined : shipped.validateResolved(step, file),
};

async function runWith(renderer: RendererChoice): Promise<{ events: RunEvent[]; stderr: string; exitCode: number }> {
  let route: ((n: WaitNotice) => void) | undefined;
  let calls = 0;
  const client = {
    compute: {
      findComputeService: () => {
        route?.(notice('waiting for Nova (GET os-services): no answer yet after 4 s; gives up after 30 s'));
        return Promise.resolve({ id: 'svc', host: 'h1' });
      },
    },
  } as unknown as OpenStackClient;
  const services: RunServices = offlineServices({
    checkOpenStackConfig: () => Promise.resolve(),
    openstack: () => {
      calls += 1;
      route?.(notice(`waiting for Keystone (call ${calls}): no answer yet after 4 s; gives up after 30 s`));
      return Promise.resolve(client);
    },
    routeWaits: (listener) => {
      route = listener;
    },
  });
  const stateDir = await mkdtemp(join(tmpdir(), 'fd-waits-'));
  const progress = new PassThrough();
  let stderr = '';
  progress.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const events: RunEvent[] = [];
  const text = JSON.stringify({ name: 'w', steps: [{ id: 'p', type: 'ping', host: 'h1' }] });
  try {
    // the runbook schema does not know `ping`: load a valid runbook, then swap its steps
    const loaded = loadRunbookText(
      JSON.stringify({ name: 'w', steps: [{ id: 'p', type: 'wait', duration: '1s' }] }),
      'w.json',
      '/tmp/w.json',
    );
    const outcome = await executeRun({
      loaded: { ...loaded, text, runbook: JSON.parse(text) as typeof loaded.runbook },
      params: {},
      secretParams: [],
      options: { dryRun: false, yes: true, approve: new Set(), assumeFenced: undefined, interactive: false },
      stateDir,
      ...engineParts,
      catalog: withPing,
      services,
      signal: new AbortController().signal,
      renderer,
      progressStream: progress,
      onEvent: (event) => events.push(event),
      env: {},
    });
    return { events, stderr, exitCode: outcome.exitCode };
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

const outputs = (events: RunEvent[]): [string | undefined, string][] =>
  events
    .filter((e): e is Extract<RunEvent, { event: 'step.output' }> => e.event === 'step.output')
    .map((e) => [e.stepId, e.message.split(':')[0]]);

test('JSON mode: pre-flight and step waits are events of the step, and lines on stderr', async () => {
  const { events, stderr, exitCode } = await runWith('silent');
  assert.is(exitCode, 0);
  assert.equal(outputs(events), [
    ['p', 'waiting for Keystone (call 1)'],
    ['p', 'waiting for Nova (GET os-services)'],
    ['p', 'waiting for Keystone (call 2)'],
  ]);
  assert.is(events[0].event, 'run.started', 'the journal opened for the first notice, with run.started first');
  assert.match(stderr, /forcedown: waiting for Keystone \(call 1\)/);
  assert.match(stderr, /forcedown: waiting for Nova/);
  assert.match(stderr, /forcedown: waiting for Keystone \(call 2\)/, 'a step wait reaches stderr in JSON mode');
});

test('text mode: a step wait is the step output (shown by the renderer), not a second stderr line', async () => {
  const { events, stderr } = await runWith('simple');
  assert.equal(outputs(events).length, 3);
  assert.match(stderr, /forcedown: waiting for Keystone \(call 1\)/, 'pre-flight has no task yet: a line');
  assert.not.match(stderr, /forcedown: waiting for Keystone \(call 2\)/);
  assert.match(stderr, /waiting for Keystone \(call 2\)/, 'the renderer shows it as the step output');
});

test.run();
