/**
 * The provider and the etcd host locks (a `coordination` block): plan and apply of a host a run
 * holds in etcd fail naming the run, Nova unchanged; apply holds the host's lock while it writes
 * Nova; break_lock takes the lock over, recorded; a lock lost between the two Nova writes stops
 * the apply before the second. With a fake lock provider.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AcquireLocksOptions, HeldLocks, HostLockProvider, LockHolder } from '../../../src/coordination/index.js';
import { refused } from '../../../src/errors/index.js';
import { ForcedownProvider } from '../../../src/provider/provider.js';
import { PROVIDER_TABLE } from '../../../src/provider/resources/index.js';
import { UNKNOWN, type TfObject, type TfValue } from '../../../src/provider/values.js';
import { FakeCompute } from './support/fake-compute.js';

const TYPE = 'forcedown_compute_service';
const RUN: LockHolder = { runId: 'r-20261202-fake3', pid: 4242, machine: 'ops1', since: '2026-12-02T10:00:00Z' };

/** Host locks in memory; logs acquire/release into Nova's call list, so the order shows. */
class FakeLocks implements HostLockProvider {
  readonly kind = 'etcd';
  readonly holders = new Map<string, LockHolder>();
  readonly acquired: AcquireLocksOptions[] = [];
  /** Aborting it is what the etcd lease guard / key watch does when the lock is lost. */
  lost = new AbortController();
  constructor(private readonly log: string[]) {}

  async holder(host: string): Promise<LockHolder | undefined> {
    return this.holders.get(host);
  }

  async acquire(options: AcquireLocksOptions): Promise<HeldLocks> {
    const broken = [];
    for (const host of options.hosts) {
      const holder = this.holders.get(host);
      if (holder === undefined) continue;
      if (options.breakLock === undefined)
        throw refused('HOST_LOCKED', `host ${host} is locked in etcd by run ${holder.runId}`, 'wait', { host, holder });
      broken.push({ host, previousHolder: holder });
    }
    this.acquired.push(options);
    const me: LockHolder = { runId: options.runId, pid: process.pid, machine: 'here', since: 'now' };
    for (const host of options.hosts) this.holders.set(host, me);
    this.log.push(`lock ${options.hosts.join(',')}`);
    return {
      hosts: options.hosts,
      broken,
      lost: this.lost.signal,
      release: async () => {
        for (const host of options.hosts) this.holders.delete(host);
        this.log.push(`unlock ${options.hosts.join(',')}`);
      },
    };
  }
}

const COORDINATION_NULLS = {
  prefix: null,
  region: null,
  lease_ttl: null,
  timeout: null,
  ca_file: null,
  cert_file: null,
  key_file: null,
  username: null,
  password_env: null,
  password_file: null,
};
const EMPTY = {
  id: null,
  host: null,
  binary: null,
  forced_down: null,
  fenced_reason: null,
  disabled: null,
  disabled_reason: null,
  break_lock: null,
  state: null,
  zone: null,
};
const cfg = (values: Record<string, TfValue>): TfObject => ({ ...EMPTY, ...values });
const unset = (config: TfObject): TfObject =>
  Object.fromEntries(
    Object.entries(config).map(([k, v]) => [
      k,
      v === null && k !== 'fenced_reason' && k !== 'break_lock' ? UNKNOWN : v,
    ]),
  );

function setup(coordination: TfValue = { endpoints: ['http://127.0.0.1:2379'], ...COORDINATION_NULLS }) {
  const nova = new FakeCompute();
  const locks = new FakeLocks(nova.state.calls);
  let opened = 0;
  const provider = new ForcedownProvider({
    connect: async () => ({ compute: nova, close: async () => undefined }),
    table: PROVIDER_TABLE,
    env: {},
    openLocks: async () => {
      opened += 1;
      return { locks, close: () => undefined };
    },
  });
  const diagnostics = provider.configure({ coordination });
  return { provider, nova, locks, diagnostics, opened: () => opened };
}

const down = cfg({ host: 'fake3', forced_down: true, fenced_reason: 'INC-7: BMC off', disabled: true });

test('a host a run holds in etcd: plan fails naming the run; a stale apply is refused, Nova unchanged', async () => {
  const { provider, nova, locks, diagnostics } = setup();
  assert.equal(diagnostics, []);
  const planned = await provider.planResourceChange(TYPE, null, unset(down), down);
  assert.equal(planned.diagnostics, [], 'free: plans');
  locks.holders.set('fake3', RUN);
  const refusedPlan = await provider.planResourceChange(TYPE, null, unset(down), down);
  assert.is(refusedPlan.planned, null);
  assert.match(refusedPlan.diagnostics[0]?.summary ?? '', 'locked in etcd by forcedown run r-20261202-fake3');
  assert.match(refusedPlan.diagnostics[0]?.detail ?? '', 'What to do');
  const applied = await provider.applyResourceChange(TYPE, null, planned.planned);
  assert.is(applied.state, null);
  assert.match(applied.diagnostics[0]?.summary ?? '', 'r-20261202-fake3');
  assert.equal(nova.state.calls, [], 'Nova unchanged');
  assert.is(locks.holders.get('fake3'), RUN, 'the run keeps its lock');
});

test('apply holds the etcd lock of the host while it writes Nova, then releases it', async () => {
  const { provider, nova, locks, opened } = setup();
  const plan = await provider.planResourceChange(TYPE, null, unset(down), down);
  const applied = await provider.applyResourceChange(TYPE, null, plan.planned);
  assert.equal(applied.diagnostics, []);
  assert.equal(nova.state.calls, [
    'lock fake3',
    'setForcedDown fake3 true',
    'disable fake3 forcedown: fenced: INC-7: BMC off',
    'unlock fake3',
  ]);
  assert.match(locks.acquired[0]?.runId ?? '', /^terraform-provider-/);
  assert.is(locks.holders.size, 0);
  assert.is(opened(), 1, 'opened once, on first use');
});

test('break_lock: plan warns, apply takes the lock over with the reason, recorded', async () => {
  const { provider, nova, locks } = setup();
  locks.holders.set('fake3', RUN);
  const config = { ...down, break_lock: 'run r-20261202-fake3 died with ops1' };
  const plan = await provider.planResourceChange(TYPE, null, unset(config), config);
  assert.is(plan.diagnostics[0]?.severity, 'warning');
  assert.match(plan.diagnostics[0]?.summary ?? '', 'Breaking the etcd lock of forcedown run r-20261202-fake3');
  const applied = await provider.applyResourceChange(TYPE, null, plan.planned);
  assert.is(locks.acquired[0]?.breakLock, 'run r-20261202-fake3 died with ops1');
  assert.match(applied.diagnostics[0]?.summary ?? '', 'Breaking the etcd lock');
  assert.ok(nova.state.calls.includes('setForcedDown fake3 true'));
});

/** Runs `between` after Nova's first write (forced_down set or cleared), before the second. */
function afterFirstWrite(nova: FakeCompute, between: () => void): void {
  const setForcedDown = nova.setForcedDown.bind(nova);
  nova.setForcedDown = async (...call) => {
    const service = await setForcedDown(...call);
    between();
    return service;
  };
}

const lostWays: [string, (locks: FakeLocks) => void, string][] = [
  [
    'the lease is lost',
    (locks) =>
      locks.lost.abort(
        refused('COORDINATION_LEASE_LOST', 'the etcd lease of run terraform-provider-1 is lost: expired', 'stop'),
      ),
    'COORDINATION_LEASE_LOST',
  ],
  ['a run took the key over', (locks) => locks.holders.set('fake3', RUN), 'taken over by r-20261202-fake3'],
  ['the key was deleted', (locks) => locks.holders.delete('fake3'), 'is gone'],
];
for (const [how, lose, says] of lostWays) {
  test(`apply: ${how} between the two Nova writes: it stops before the second, says so`, async () => {
    const { provider, nova, locks } = setup();
    const prior = await provider.applyResourceChange(
      TYPE,
      null,
      (await provider.planResourceChange(TYPE, null, unset(down), down)).planned,
    );
    assert.equal(prior.diagnostics, []);
    // the reverse change: clear forced_down, then enable
    const up = cfg({ host: 'fake3', forced_down: false, disabled: false });
    const plan = await provider.planResourceChange(TYPE, prior.state, unset(up), up);
    nova.state.calls.length = 0;
    afterFirstWrite(nova, () => lose(locks));
    const applied = await provider.applyResourceChange(TYPE, prior.state, plan.planned);
    assert.equal(nova.state.calls, ['lock fake3', 'setForcedDown fake3 false', 'unlock fake3'], 'no enable');
    const error = applied.diagnostics.find((d) => d.severity === 'error');
    assert.match(error?.summary ?? '', 'Stopped: the etcd lock of fake3 was lost');
    assert.match(error?.detail ?? '', says);
    assert.match(error?.detail ?? '', 'What to do');
    assert.match(error?.detail ?? '', 'forcedown runs --all-machines');
    const state = applied.state as TfObject;
    assert.is(state.forced_down, false, 'the state records what Nova shows: forced up');
    assert.is(state.disabled, true, '... and still disabled');
  });
}

test('apply: a lock still held is checked before each write and the change completes', async () => {
  const { provider, nova } = setup();
  let checked = 0;
  afterFirstWrite(nova, () => (checked += 1));
  const plan = await provider.planResourceChange(TYPE, null, unset(down), down);
  const applied = await provider.applyResourceChange(TYPE, null, plan.planned);
  assert.equal(applied.diagnostics, []);
  assert.is(checked, 1);
  assert.ok(nova.state.calls.includes('disable fake3 forcedown: fenced: INC-7: BMC off'));
});

test('no coordination: no lock is opened; an invalid block is a configure error naming the field', async () => {
  const none = setup(null);
  const plan = await none.provider.planResourceChange(TYPE, null, unset(down), down);
  await none.provider.applyResourceChange(TYPE, null, plan.planned);
  assert.is(none.opened(), 0);
  const bad = setup({ endpoints: ['ftp://etcd1:2379'], ...COORDINATION_NULLS });
  assert.match(bad.diagnostics[0]?.summary ?? '', 'Invalid coordination configuration');
  assert.match(bad.diagnostics[0]?.detail ?? '', 'coordination.endpoints');
});

test.run();
