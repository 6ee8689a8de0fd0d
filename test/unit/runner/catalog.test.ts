import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { invalidInput, operationFailed } from '../../../src/errors/index.js';
import type { Runbook, Step } from '../../../src/generated/runbook.types.js';
import type { LoadedRunbook } from '../../../src/runbook/index.js';
import {
  executeRun,
  type RunEvent,
  type RunOutcome,
  type RunServices,
  type StepCatalog,
  type StepFinishedEvent,
  type StepModule,
} from '../../../src/runner/index.js';
import { catalog as shipped } from '../../../src/steps/catalog.js';
import { parseJsonDocument } from '../../../src/validation/index.js';
import { FakePowerController } from '../../support/fake-power.js';
import { offlineServices } from '../../support/run-harness.js';

/**
 * The runner knows no step kinds: a step type it has never heard of, registered through a catalog
 * (the way src/steps/catalog.ts registers the shipped ones), runs with everything a declaration
 * can ask for: pre-flight of the services it needs for its hosts, the prime hook once pre-flight
 * passed, per-server outcomes that fail the run, and its own validation of resolved values.
 */
interface ProbeStep {
  readonly id: string;
  readonly type: 'probe';
  readonly host: string;
  readonly servers?: number;
}

const log: string[] = [];
/** The runbook schema's Step union does not know `probe`: the test's own view of one. */
const probeOf = (step: Step): ProbeStep => step as unknown as ProbeStep;

const probe: StepModule<Step> = {
  type: 'probe' as Step['type'],
  defaultTimeoutMs: 5000,
  needs: ['power'],
  title: (s) => `probe ${probeOf(s).host}`,
  hosts: (s) => [probeOf(s).host],
  prime: (s) => void log.push(`prime ${probeOf(s).host}`),
  async check(s) {
    log.push('check');
    return { needed: true, summary: `would probe ${probeOf(s).host}` };
  },
  async apply(s) {
    log.push('apply');
    const count = probeOf(s).servers ?? 0;
    const results = Array.from({ length: count }, (_, i) => ({ id: `vm-${i}`, name: `vm ${i}`, result: 'failed' }));
    return { summary: 'probed', outputs: { results } };
  },
  outcomes: (_s, outputs) => {
    const results = (outputs.results ?? []) as { id: string; name: string; result: 'failed' }[];
    return {
      servers: results,
      ...(results.length > 0
        ? { failure: operationFailed('PROBE_FOUND_FAILURES', `${results.length} servers failed the probe`, 'look') }
        : {}),
    };
  },
};

/** The shipped catalog plus `probe`, with its own check of resolved values. */
const withProbe: StepCatalog = {
  types: [...shipped.types, 'probe'],
  load: (type) => (type === 'probe' ? Promise.resolve(probe) : shipped.load(type)),
  validateResolved(step, file) {
    if (step.type !== ('probe' as Step['type'])) return shipped.validateResolved(step, file);
    const servers = probeOf(step).servers;
    if (servers !== undefined && !Number.isInteger(servers))
      throw invalidInput('RESOLVED_STEP_INVALID', `step "${step.id}": servers must be an integer`, 'fix it');
  },
};

function loadedOf(runbook: unknown): LoadedRunbook {
  const text = JSON.stringify(runbook);
  return {
    file: 'probe.json',
    absolutePath: '/tmp/probe.json',
    text,
    sha256: createHash('sha256').update(text).digest('hex'),
    runbook: runbook as Runbook,
    document: parseJsonDocument(text),
  };
}

async function run(
  steps: unknown[],
  params: Record<string, unknown> = {},
  catalog: StepCatalog = withProbe,
): Promise<RunOutcome & { events: RunEvent[] }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'fd-catalog-'));
  const events: RunEvent[] = [];
  const services: RunServices = offlineServices({
    power: async (host) => {
      log.push(`power ${host} (${events.length} events)`);
      return new FakePowerController(host);
    },
  });
  try {
    const outcome = await executeRun({
      loaded: loadedOf({ name: 'probe', params: {}, steps }),
      params,
      secretParams: [],
      options: { dryRun: false, yes: true, approve: new Set(), assumeFenced: undefined, interactive: false },
      stateDir,
      catalog,
      services,
      exitCodes: exitCodeFor,
      signal: new AbortController().signal,
      renderer: 'silent',
      progressStream: new PassThrough(),
      onEvent: (event) => events.push(event),
      env: {},
    });
    return { ...outcome, events };
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

test.before.each(() => {
  log.length = 0;
});

test('a made-up step type runs through the catalog: pre-flight, prime, check, apply, outcomes', async () => {
  const outcome = await run(
    [
      { id: 'p', type: 'probe', host: '${params.host}', servers: 2 },
      { id: 'w', type: 'wait', duration: '10ms' },
    ],
    { host: 'h1' },
  );
  assert.equal(log, ['power h1 (0 events)', 'prime h1', 'check', 'apply'], 'pre-flight, then prime, before any event');
  assert.is(outcome.exitCode, 1, JSON.stringify(outcome.summary.error));
  assert.is(outcome.summary.error?.code, 'PROBE_FOUND_FAILURES', 'the outcomes hook failed the run');
  assert.equal(
    outcome.summary.servers.map((s) => [s.id, s.stepId]),
    [
      ['vm-0', 'p'],
      ['vm-1', 'p'],
    ],
  );
  assert.equal(outcome.summary.changed, ['p']);
  assert.equal(
    outcome.events.filter((e): e is StepFinishedEvent => e.event === 'step.finished').map((e) => [e.stepId, e.status]),
    [
      ['p', 'changed'],
      ['w', 'changed'],
    ],
  );
  const started = outcome.events.find((e) => e.event === 'run.started') as { hosts: string[] } | undefined;
  assert.equal(started?.hosts, ['h1'], 'the declared hosts are the run hosts');
});

test("the catalog's own validation of resolved values runs in pre-flight: nothing is primed or applied", async () => {
  const outcome = await run([{ id: 'p', type: 'probe', host: 'h1', servers: '${params.n}' }], { n: 'two' });
  assert.is(outcome.exitCode, 2);
  assert.is(outcome.summary.error?.code, 'RESOLVED_STEP_INVALID');
  assert.ok(outcome.summary.preflightFailed);
  assert.equal(log, ['power h1 (0 events)'], 'pre-flight loaded what it needs, and went no further');
});

test('a step type the catalog does not have stops the run in pre-flight (exit 2)', async () => {
  const outcome = await run([{ id: 'p', type: 'probe', host: 'h1' }], {}, shipped);
  assert.is(outcome.exitCode, 2);
  assert.is(outcome.summary.error?.code, 'STEP_TYPE_UNAVAILABLE');
  assert.equal(log, []);
});

test.run();
