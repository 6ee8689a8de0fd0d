/**
 * The real `forcedown watch` process for the always-on figures (modelled on the watch e2e's
 * helper in test/e2e/watch/watcher-process.ts, branch watch-e2e): its own config file and state
 * dir, a free loopback port, its JSON log lines as they come, stopped by its PID; and the hung
 * host: a testbed compute's nova-compute frozen (SIGSTOP) and thawed (SIGCONT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { cliEntry } from './processes.js';
import { repoRoot } from './results.js';
import { testbed } from '../../test/e2e/support/testbed.js';

export type WatchLog = { readonly ts: string; readonly msg: string } & Record<string, unknown>;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The testbed's part of a watch config: act mode, its admin cloud and inventory. */
export function testbedWatchConfig(): Record<string, unknown> {
  return { cloud: 'testbed-admin', mode: 'act', inventory: testbed().inventory };
}

/** A watch config (JSON) in `dir`: the shipped defaults spelled out (5 s, 30 s, 2 samples), its own state dir and port. */
export async function writeWatchConfig(dir: string, extra: Record<string, unknown>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'watch.json');
  const config = {
    interval: '5s',
    staleAfter: '30s',
    confirmSamples: 2,
    stateDir: join(dir, 'state'),
    listen: `127.0.0.1:${await freePort()}`,
    ...extra,
  };
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

export class WatchProcess {
  readonly logs: WatchLog[] = [];
  stderr = '';
  exitCode: number | null | undefined;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  /** `env`: the cloud's (the testbed's cloudEnv(), or the double's OS_* variables). */
  constructor(configFile: string, env: Readonly<Record<string, string>>) {
    this.#child = spawn(process.execPath, [cliEntry, 'watch', '--config', configFile], {
      cwd: repoRoot,
      env: { ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines)
        if (line.startsWith('{'))
          try {
            this.logs.push(JSON.parse(line) as WatchLog);
          } catch {
            /* not a log record */
          }
    });
    this.#child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.#exited = new Promise((resolve) =>
      this.#child.on('close', (code) => {
        this.exitCode = code;
        resolve();
      }),
    );
  }

  /** The first log line matching `predicate`, polled every 100 ms. */
  async waitForLog(predicate: (log: WatchLog) => boolean, what: string, timeoutMs: number): Promise<WatchLog> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(predicate);
      if (found) return found;
      if (this.exitCode !== undefined)
        throw new Error(`forcedown watch exited (${this.exitCode}) before ${what}: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${what} after ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGTERM by PID (SIGKILL after `timeoutMs`), then waits for the exit. */
  async stop(timeoutMs = 150_000): Promise<number | null> {
    if (this.exitCode === undefined && this.#child.pid !== undefined) {
      const pid = this.#child.pid;
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
      await this.#exited;
      clearTimeout(timer);
    }
    return this.exitCode ?? null;
  }
}

/** Freezes a host's nova-compute: the process is there, its heartbeats stop (a hung host). */
export function freezeCompute(host: string): number {
  const compute = testbed().computes.find((c) => c.host === host);
  if (!compute) throw new Error(`no compute ${host} in the testbed`);
  const pid = Number(readFileSync(compute.pidFile, 'utf8').trim());
  process.kill(pid, 'SIGSTOP');
  return pid;
}

/** Thaws a frozen nova-compute; a no-op when the fence already killed it. */
export function thaw(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    /* gone */
  }
}

/** Journal events of one run (a torn last line is skipped). */
export async function journal(stateDir: string, runId: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(stateDir, 'runs', `${runId}.jsonl`), 'utf8').catch(() => '');
  const events: Record<string, unknown>[] = [];
  for (const line of text.split('\n').filter(Boolean))
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* torn line */
    }
  return events;
}
