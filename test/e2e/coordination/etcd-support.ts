/**
 * The testbed's etcd cluster as the coordination suites see it: its endpoints (testbed.json),
 * settings with a key prefix of their own per test (so suites never see each other's keys),
 * stopping and starting members (etcd-member.sh), and child processes that hold locks or
 * campaign (child.ts), so contention and kill -9 are between real processes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { coordinationSettings, type CoordinationSettings } from '../../../src/coordination/index.js';
import { root, testbed } from '../support/testbed.js';

interface TestbedEtcd {
  readonly endpoints: readonly string[];
  readonly members: readonly { readonly name: string; readonly endpoint: string; readonly pidFile: string }[];
}

/**
 * The cluster's description from testbed.json, else (a testbed.json written by an up.sh that
 * predates etcd) from this checkout's lib/common.sh, which computes the same endpoints.
 */
export function testbedEtcd(): TestbedEtcd {
  const tb = testbed() as unknown as { etcd?: TestbedEtcd };
  if (tb.etcd) return tb.etcd;
  const common = join(root, 'test/e2e/testbed/lib/common.sh');
  const out = spawnSync('bash', ['-c', `. "${common}" && etcd_endpoints`], { encoding: 'utf8' });
  const endpoints = out.stdout.trim().split(',').filter(Boolean);
  if (out.status !== 0 || endpoints.length !== 3) throw new Error(`cannot tell the etcd endpoints: ${out.stderr}`);
  return { endpoints, members: endpoints.map((endpoint, i) => ({ name: `etcd${i + 1}`, endpoint, pidFile: '' })) };
}

/** A key prefix no other test uses. */
export function uniquePrefix(name: string): string {
  return `/forcedown-e2e/${name}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Settings for the testbed cluster (through the real parser, as FORCEDOWN_ETCD_* would give them). */
export function settingsFor(prefix: string, extra: Record<string, string> = {}): CoordinationSettings {
  const settings = coordinationSettings({
    env: {
      FORCEDOWN_ETCD_ENDPOINTS: testbedEtcd().endpoints.join(','),
      FORCEDOWN_ETCD_PREFIX: prefix,
      FORCEDOWN_ETCD_REGION: 'RegionOne',
      FORCEDOWN_ETCD_TIMEOUT: '3',
      ...extra,
    },
    cwd: root,
  });
  if (!settings) throw new Error('no settings');
  return settings;
}

/** A raw etcd3 client for checks (what is really in etcd), independent of the code under test. */
export function rawClient(): Etcd3 {
  return new Etcd3({ hosts: [...testbedEtcd().endpoints], dialTimeout: 3000 });
}

/** Deletes every key under `prefix` (cleanup). */
export async function dropPrefix(prefix: string): Promise<void> {
  const client = rawClient();
  try {
    await client.delete().prefix(`${prefix}/`);
  } finally {
    client.close();
  }
}

/** etcd-member.sh stop|kill|start N (throws on failure). */
export function member(action: 'stop' | 'kill' | 'start', n: number): void {
  const result = spawnSync('bash', [join(root, 'test/e2e/testbed/etcd-member.sh'), action, String(n)], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`etcd-member.sh ${action} ${n}: ${result.stderr}${result.stdout}`);
}

/** Starts every member that is not running and waits until all three report healthy. */
export async function allMembersUp(): Promise<void> {
  for (let n = 1; n <= 3; n += 1) member('start', n);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = spawnSync('bash', [join(root, 'test/e2e/testbed/etcd-member.sh'), 'status'], { encoding: 'utf8' });
    if ((status.stdout.match(/ healthy$/gm) ?? []).length === 3) return;
    if (Date.now() > deadline) throw new Error(`etcd members not healthy after 60 s:\n${status.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A child process (child.ts) and the JSON lines it prints. */
export class Child {
  readonly process: ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  #waiters: (() => void)[] = [];

  constructor(args: readonly string[], env: Record<string, string>) {
    this.process = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'child.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ event: 'text', line });
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** The first line whose `event` is one of `events`, waiting up to `timeoutMs`. */
  async next(events: readonly string[], timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => events.includes(line.event as string));
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no ${events.join('/')} within ${timeoutMs} ms; got ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** SIGKILL, and wait until it is gone. */
  async kill9(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const gone = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGKILL');
    await gone;
  }

  /** Ends it politely (stdin closed: it releases and exits), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const gone = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.stdin?.end();
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}

/** Environment that makes child.ts use the testbed cluster under `prefix`. */
export function childEnv(prefix: string, ttl: number): Record<string, string> {
  return {
    FORCEDOWN_ETCD_ENDPOINTS: testbedEtcd().endpoints.join(','),
    FORCEDOWN_ETCD_PREFIX: prefix,
    FORCEDOWN_ETCD_REGION: 'RegionOne',
    FORCEDOWN_ETCD_LEASE_TTL: String(ttl),
    FORCEDOWN_ETCD_TIMEOUT: '3',
  };
}
