import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostLockProvider, LockHolder, MirroredEvent } from '../../../src/coordination/index.js';
import { formatLockStates } from '../../../src/cli/format/plan-format.js';
import { refused } from '../../../src/errors/index.js';
import type { Step } from '../../../src/generated/runbook.types.js';
import type { RunEvent, StepCatalog, StepModule } from '../../../src/runner/index.js';
import { MirrorFeed, lockHolders, runbookHosts } from '../../../src/runner/index.js';
import { loadRunbookText } from '../../../src/runbook/index.js';
import { cleanup, offlineServices, runRunbook } from '../../support/run-harness.js';

/** A lock provider whose `lost` signal the test aborts; records what was asked. */
function fakeLocks(options: { refuse?: boolean; held?: Record<string, LockHolder> } = {}) {
  const lost = new AbortController();
  const calls: string[] = [];
  const provider: HostLockProvider = {
    kind: 'etcd',
    holder: (host) => {
      calls.push(`holder ${host}`);
      if (host === 'down') return Promise.reject(refused('COORDINATION_UNAVAILABLE', 'etcd did not answer', 'wait'));
      return Promise.resolve(options.held?.[host]);
    },
    acquire: (request) => {
      calls.push(`acquire ${request.hosts.join(',')}`);
      if (options.refuse)
        return Promise.reject(refused('HOST_LOCKED', 'host h1 is locked in etcd by run other-run', 'wait'));
      return Promise.resolve({
        hosts: request.hosts,
        broken: [],
        lost: lost.signal,
        release: (why) => {
          calls.push(`release ${why}`);
          return Promise.resolve();
        },
      });
    },
  };
  const loseLease = () =>
    lost.abort(refused('COORDINATION_LEASE_LOST', 'the etcd lease of run r was lost', 'resume later'));
  return { provider, calls, loseLease };
}

/**
 * Steps named like the real ones (the schema knows those types) with test behaviour: fence
 * confirms the power-off, force-down reports `forcedDown: true`, command records its apply.
 */
function catalogWith(applied: string[], onApply: (id: string) => void = () => undefined): StepCatalog {
  const module = (type: string, outputs: (step: Step) => Record<string, unknown>): StepModule => ({
    type: type as Step['type'],
    defaultTimeoutMs: 5000,
    title: (step) => step.id,
    hosts: (step) => ('host' in step && typeof step.host === 'string' ? [step.host] : []),
    check: () => Promise.resolve({ needed: true, summary: 'needed' }),
    apply: async (step, context) => {
      applied.push(step.id);
      onApply(step.id);
      if (type === 'fence' && 'host' in step)
        await context.confirmFence({ host: String(step.host), driver: 'test', target: 't', confirmedAt: 'now' });
      return { summary: 'done', outputs: outputs(step) };
    },
  });
  const modules: Record<string, StepModule> = {
    fence: module('fence', () => ({ power: 'off' })),
    'force-down': module('force-down', () => ({ forcedDown: true })),
    command: module('command', () => ({})),
  };
  return {
    types: Object.keys(modules),
    load: (type) => Promise.resolve(modules[type]),
    validateResolved: () => undefined,
  };
}

const runbook = {
  name: 'coord',
  steps: [
    { id: 'fence', type: 'fence', host: 'h1' },
    { id: 'force', type: 'force-down', host: 'h1' },
    { id: 'after', type: 'command', command: ['true'] },
  ],
};

const mirrorInto = (events: RunEvent[]) => () =>
  Promise.resolve({
    append: (event: MirroredEvent) => {
      events.push(event as unknown as RunEvent);
      return Promise.resolve();
    },
  });

test('etcd locks are taken before the first step and released at the end; the journal is mirrored', async () => {
  const applied: string[] = [];
  const mirrored: RunEvent[] = [];
  const locks = fakeLocks();
  const run = await runRunbook(runbook, {
    catalog: catalogWith(applied, (id) => {
      if (id === 'fence') assert.equal(locks.calls, ['acquire h1']);
    }),
    coordination: { locks: locks.provider, mirror: mirrorInto(mirrored) },
  });
  assert.is(run.exitCode, 0);
  assert.equal(applied, ['fence', 'force', 'after']);
  assert.equal(locks.calls, ['acquire h1', 'release finished']);
  assert.equal(
    mirrored.map((event) => event.seq),
    run.events.map((event) => event.seq),
  );
  await cleanup(run);
});

test('the mirror starts once the etcd locks are held: earlier events are written then, in order', async () => {
  const locks = fakeLocks();
  const locksAtFirstWrite: string[][] = [];
  const mirrored: RunEvent[] = [];
  const run = await runRunbook(runbook, {
    catalog: catalogWith([]),
    coordination: {
      locks: locks.provider,
      mirror: () => {
        locksAtFirstWrite.push([...locks.calls]);
        return mirrorInto(mirrored)();
      },
    },
  });
  assert.is(run.exitCode, 0);
  assert.equal(locksAtFirstWrite, [['acquire h1']]);
  assert.is(mirrored[0]?.event, 'run.started');
  assert.equal(
    mirrored.map((event) => event.seq),
    run.events.map((event) => event.seq),
  );
  await cleanup(run);
});

test('a run refused its etcd lock mirrors nothing and says nothing about the mirror', async () => {
  const warnings: string[] = [];
  let opened = 0;
  const run = await runRunbook(runbook, {
    catalog: catalogWith([]),
    services: offlineServices({ warn: (message) => warnings.push(message) }),
    coordination: {
      locks: fakeLocks({ refuse: true }).provider,
      mirror: () => {
        opened += 1;
        return Promise.reject(new Error('etcd is down'));
      },
    },
  });
  assert.is(run.exitCode, 3);
  assert.is(opened, 0);
  assert.equal(warnings, []);
  await cleanup(run);
});

test('a run refused its etcd lock does nothing (exit 3) and frees its local lock', async () => {
  const applied: string[] = [];
  const locks = fakeLocks({ refuse: true });
  const run = await runRunbook(runbook, {
    catalog: catalogWith(applied),
    coordination: { locks: locks.provider, mirror: mirrorInto([]) },
  });
  assert.is(run.exitCode, 3);
  assert.equal(applied, []);
  assert.match(JSON.stringify(run.summary), 'other-run');
  const again = await runRunbook(runbook, { catalog: catalogWith(applied), stateDir: run.stateDir });
  assert.is(again.exitCode, 0);
  await cleanup(run);
});

test('lease lost between fence and force-down: no force-down, exit 3, journaled', async () => {
  const applied: string[] = [];
  const locks = fakeLocks();
  const run = await runRunbook(runbook, {
    catalog: catalogWith(applied, (id) => {
      if (id === 'fence') locks.loseLease();
    }),
    coordination: { locks: locks.provider, mirror: mirrorInto([]) },
  });
  assert.is(run.exitCode, 3);
  assert.equal(applied, ['fence']);
  const journal = JSON.stringify(run.events);
  assert.match(journal, 'COORDINATION_LEASE_LOST');
  assert.match(journal, 'stops before its next write');
  await cleanup(run);
});

test('lease lost after force-down: the run finishes its remaining steps', async () => {
  const applied: string[] = [];
  const locks = fakeLocks();
  const run = await runRunbook(runbook, {
    catalog: catalogWith(applied, (id) => {
      if (id === 'force') locks.loseLease();
    }),
    coordination: { locks: locks.provider, mirror: mirrorInto([]) },
  });
  // the loss happened during force-down's apply: its outputs are noted after it finished
  assert.equal(applied, ['fence', 'force', 'after']);
  assert.is(run.exitCode, 0);
  await cleanup(run);
});

test('MirrorFeed keeps order and retries what etcd did not take', async () => {
  const taken: number[] = [];
  let failing = true;
  const warnings: string[] = [];
  const feed = new MirrorFeed(
    () =>
      Promise.resolve({
        append: (event: MirroredEvent) => {
          if (failing) return Promise.reject(new Error('no quorum'));
          taken.push(event.seq);
          return Promise.resolve();
        },
      }),
    (message) => warnings.push(message),
  );
  const event = (seq: number) => ({ seq, event: 'step.output' }) as unknown as RunEvent;
  feed.push(event(1));
  feed.push(event(2));
  await feed.drain();
  assert.equal(warnings, [], 'nothing is written before start()');
  feed.start();
  await feed.drain();
  assert.is(feed.pending, 2);
  assert.is(warnings.length, 1);
  failing = false;
  feed.push(event(3));
  await feed.drain();
  assert.equal(taken, [1, 2, 3]);
  assert.is(feed.pending, 0);
});

const other: LockHolder = { runId: 'other-run', pid: 4242, machine: 'm2', since: '2025-01-01T00:00:00Z' };

test('a dry run says who holds each host etcd lock and takes none', async () => {
  const applied: string[] = [];
  const locks = fakeLocks({ held: { h1: other } });
  const mirrored: RunEvent[] = [];
  const run = await runRunbook(runbook, {
    catalog: catalogWith(applied),
    run: { dryRun: true },
    coordination: { locks: locks.provider, mirror: mirrorInto(mirrored) },
  });
  assert.equal(locks.calls, ['holder h1'], 'read only: no acquire');
  assert.equal(mirrored, []);
  const notes = run.events.filter((event) => event.event === 'step.output' && event.stepId === '(coordination)');
  assert.equal(
    notes.map((event) => (event as { message?: string }).message),
    ['host h1: etcd lock held by run other-run (pid 4242 on m2, since 2025-01-01T00:00:00Z)'],
  );
  await cleanup(run);
});

test('plan lock states: the runbook hosts, free / held / unknown, read only', async () => {
  const loaded = loadRunbookText(
    JSON.stringify({
      name: 'p',
      params: { host: { type: 'string', description: 'the host' } },
      steps: [
        { id: 'a', type: 'fence', host: '${params.host}' },
        { id: 'b', type: 'force-down', host: 'h2' },
        { id: 'c', type: 'fence', host: 'down' },
      ],
    }),
    'p.json',
    '/tmp/p.json',
  );
  const hosts = await runbookHosts({ loaded, params: { host: 'h1' }, env: {}, catalog: catalogWith([]) });
  assert.equal(hosts, ['h1', 'h2', 'down']);
  const locks = fakeLocks({ held: { h2: other } });
  const states = await lockHolders(hosts, locks.provider);
  assert.equal(locks.calls, ['holder h1', 'holder h2', 'holder down']);
  assert.equal(states[0], { host: 'h1', holder: null });
  assert.equal(states[1], { host: 'h2', holder: other });
  assert.is(states[2]?.error?.code, 'COORDINATION_UNAVAILABLE');
  const text = formatLockStates(states);
  assert.match(text, 'host h1: etcd lock free');
  assert.match(text, 'host h2: etcd lock held by run other-run (pid 4242 on m2, since 2025-01-01T00:00:00Z)');
  assert.match(text, 'host down: etcd lock unknown (etcd did not answer)');
});

test.run();
