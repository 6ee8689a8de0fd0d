import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Candidate, Leadership, LeaderInfo } from '../../../src/coordination/index.js';
import { refused } from '../../../src/errors/index.js';
import { WatchLeadership, type ElectionPort, type LeadershipObserver } from '../../../src/watch/leadership.js';
import type { LogRecord } from '../../../src/watch/watcher.js';

/** An in-memory election: campaigns answer from a script (a leadership, or an error). */
class FakeElection implements ElectionPort {
  readonly campaigns: Candidate[] = [];
  readonly held: { lose: AbortController; resigned: boolean }[] = [];
  constructor(private readonly script: (Error | { previous?: LeaderInfo })[]) {}

  campaign(candidate: Candidate, options: { signal?: AbortSignal }): Promise<Leadership> {
    this.campaigns.push(candidate);
    const next = this.script.shift();
    if (next === undefined)
      return new Promise((_resolve, reject) =>
        options.signal?.addEventListener('abort', () =>
          reject(Object.assign(new Error('cancelled'), { code: 'INTERRUPTED' })),
        ),
      );
    if (next instanceof Error) return Promise.reject(next);
    const lose = new AbortController();
    const entry = { lose, resigned: false };
    this.held.push(entry);
    return Promise.resolve({
      candidate,
      key: `/fd/r/election/${this.held.length}`,
      lost: lose.signal,
      waitedMs: 5,
      ...(next.previous ? { previous: next.previous } : {}),
      resign: () => {
        entry.resigned = true;
        return Promise.resolve();
      },
    });
  }
}

class Figures implements LeadershipObserver {
  readonly leaderValues: boolean[] = [];
  readonly takeovers: number[] = [];
  readonly coordination: boolean[] = [];
  leader(isLeader: boolean): void {
    this.leaderValues.push(isLeader);
  }
  takeover(seconds: number): void {
    this.takeovers.push(seconds);
  }
  coordinating(ok: boolean): void {
    this.coordination.push(ok);
  }
}

const me: Candidate = { id: 'b:2', machine: 'b', pid: 2, since: '2024-01-01T00:00:00Z' };
const dead: LeaderInfo = { id: 'a:1', machine: 'a', pid: 1, since: '2024-01-01T00:00:00Z', key: '/fd/r/election/1' };
const leaseLost = () => refused('COORDINATION_LEASE_LOST', 'the etcd lease is lost', 'check etcd', {});
const noQuorum = () => refused('COORDINATION_UNAVAILABLE', 'etcd has no quorum', 'check etcd', {});

function setup(script: (Error | { previous?: LeaderInfo })[]) {
  const election = new FakeElection(script);
  const figures = new Figures();
  const logs: LogRecord[] = [];
  let clock = 1000;
  const leadership = new WatchLeadership({
    election,
    candidate: me,
    log: (r) => logs.push(r),
    observer: figures,
    retryMs: 1,
    now: () => clock,
  });
  return { election, figures, logs, leadership, tick: (ms: number) => (clock += ms) };
}

test('a follower waits (not ready: follower); once elected after a dead leader it takes over and reports it', async () => {
  const t = setup([{ previous: dead }]);
  assert.match(t.leadership.notReady() ?? '', /follower/);
  const stop = new AbortController();
  const states: string[] = [];
  await t.leadership.run(stop.signal, (held, leading, report) => {
    states.push(t.leadership.state);
    assert.is(t.leadership.notReady(), undefined);
    assert.equal(held.previous?.id, 'a:1');
    t.tick(2500);
    report(1);
    stop.abort();
    assert.ok(leading.aborted, 'the leader signal follows the stop');
    return Promise.resolve();
  });
  assert.equal(states, ['leader']);
  assert.equal(t.figures.takeovers, [2.5]);
  assert.equal(t.figures.leaderValues, [true, false]);
  assert.ok(t.election.held[0]?.resigned, 'a stop resigns, so the next candidate is elected at once');
  assert.ok(t.logs.some((l) => l.msg === 'elected leader: taking over' && l.previousLeader === 'a:1'));
  assert.is(t.leadership.state, 'stopped');
});

test('a first leader (no previous) counts no takeover', async () => {
  const t = setup([{}]);
  const stop = new AbortController();
  await t.leadership.run(stop.signal, (_held, _leading, report) => {
    report(0);
    stop.abort();
    return Promise.resolve();
  });
  assert.equal(t.figures.takeovers, []);
});

test('losing the lease stops the leading at once, reports cannot coordinate until a campaign succeeds again', async () => {
  const t = setup([{}, noQuorum(), noQuorum(), {}]);
  const stop = new AbortController();
  let rounds = 0;
  const seen: (string | undefined)[] = [];
  await t.leadership.run(stop.signal, async (_held, leading) => {
    rounds += 1;
    if (rounds === 1) {
      t.election.held[0]?.lose.abort(leaseLost());
      assert.ok(leading.aborted, 'the work is told to stop acting');
      return;
    }
    seen.push(t.leadership.state);
    stop.abort();
    await Promise.resolve();
  });
  assert.is(rounds, 2);
  assert.equal(seen, ['leader']);
  assert.equal(t.figures.coordination, [true, false, false, false, true]);
  const errors = t.logs.filter((l) => /cannot coordinate/.test(l.msg));
  assert.is(errors.length, 1, 'one line for the loss, none per failed retry');
  assert.ok(t.logs.some((l) => /coordination restored/.test(l.msg)));
  assert.not.ok(t.election.held[0]?.resigned, 'a lost leadership is not resigned');
});

test('while etcd has no quorum nobody leads: /readyz says cannot coordinate', async () => {
  const t = setup([noQuorum()]);
  const stop = new AbortController();
  const running = t.leadership.run(stop.signal, () => Promise.reject(new Error('must not lead')));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.match(t.leadership.notReady() ?? '', /^cannot coordinate: etcd has no quorum/);
  assert.is(t.leadership.state, 'cannot-coordinate');
  stop.abort();
  await running;
  assert.ok(t.election.campaigns.length >= 2, 'it retries the campaign');
});

test.run();
