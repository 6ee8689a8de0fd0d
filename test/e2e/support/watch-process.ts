/**
 * The real `bin/forcedown.js watch` process, for the watch and coordination e2e suites and the
 * always-on bench (one copy): a config file of its own (a fresh state dir, a free loopback port),
 * its JSON log lines collected as they come, stopped by its PID (SIGTERM, or SIGKILL for the crash
 * suites); the testbed's compute processes frozen (SIGSTOP) and thawed (SIGCONT) the way a hung
 * host looks to Nova; BMC logs, journals, runs.json, and a testbed daemon stopped and restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { cloudEnv, root, testbed, until } from './testbed.js';

/** One JSON log line of the watcher. */
export type WatchLog = { readonly ts: string; readonly msg: string } & Record<string, unknown>;

/** A free TCP port on 127.0.0.1 (bound and released). */
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

/**
 * The testbed's watch settings, `extra` on top: its admin cloud and inventory, act mode, a 2 s
 * interval, staleAfter 30 s (at least 2 x the testbed's report_interval 10 s + 2 s), 2 samples.
 */
export function testbedWatchConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cloud: 'testbed-admin',
    interval: '2s',
    staleAfter: '30s',
    confirmSamples: 2,
    mode: 'act',
    inventory: testbed().inventory,
    ...extra,
  };
}

/** Writes `dir/watch.json`: `config` with a state dir of its own and `port` (default: a free one) on 127.0.0.1. */
export async function writeWatchConfig(dir: string, config: Record<string, unknown>, port?: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'watch.json');
  const listen = `127.0.0.1:${port ?? (await freePort())}`;
  await writeFile(file, JSON.stringify({ stateDir: join(dir, 'state'), listen, ...config }, null, 2));
  return file;
}

/** A running watcher. */
export class WatcherProcess {
  readonly logs: WatchLog[] = [];
  stdout = '';
  stderr = '';
  exitCode: number | null | undefined;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  /** `env`: the whole environment (default: the testbed's cloudEnv(); a double's OS_* variables for the bench). */
  constructor(configFile: string, env: Readonly<Record<string, string>> = cloudEnv()) {
    this.#child = spawn(process.execPath, [join(root, 'bin/forcedown.js'), 'watch', '--config', configFile], {
      cwd: root,
      env: { ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      partial += chunk.toString();
      const lines = partial.split('\n');
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

  get pid(): number {
    return this.#child.pid!;
  }

  /** The first log line matching `predicate`, waited for. */
  waitForLog(predicate: (log: WatchLog) => boolean, what: string, timeoutMs = 60_000): Promise<WatchLog> {
    return until(
      () => {
        if (this.exitCode !== undefined)
          throw new Error(`watcher exited (${this.exitCode}) before ${what}:\n${this.stderr}\n${this.tail()}`);
        return Promise.resolve(this.logs.find(predicate));
      },
      what,
      timeoutMs,
      100,
    );
  }

  /** The last lines of its output (for assertion messages). */
  tail(lines = 40): string {
    return this.stdout.trim().split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM (or SIGKILL) by PID, then waits until it has exited; a no-op once it has. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM', timeoutMs = 150_000): Promise<number | null> {
    if (this.exitCode === undefined) {
      try {
        process.kill(this.pid, signal);
      } catch {
        /* gone already */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, timeoutMs);
      await this.#exited;
      clearTimeout(timer);
    }
    return this.exitCode ?? null;
  }
}

/** PID of a host's nova-compute, from the PID file the testbed's BMC helper keeps. */
export function computePid(host: string): number {
  const compute = testbed().computes.find((c) => c.host === host);
  if (!compute) throw new Error(`no compute ${host} in the testbed`);
  return Number(readFileSync(compute.pidFile, 'utf8').trim());
}

/** Freezes a host's nova-compute (a hung host: the process is there, its heartbeats stop). */
export function freezeCompute(host: string): number {
  const pid = computePid(host);
  process.kill(pid, 'SIGSTOP');
  return pid;
}

/** Thaws a frozen nova-compute; a no-op when the process is gone (the fence killed it). */
export function thaw(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    /* gone */
  }
}

/** Lines of a host's BMC log written since `offset` (its length when the test started). */
export async function bmcLogSince(host: string, offset: number): Promise<string[]> {
  return (await bmcLog(host)).slice(offset).split('\n').filter(Boolean);
}

/** A host's BMC log (every power call ipmi_sim received). */
export async function bmcLog(host: string): Promise<string> {
  return readFile(join(testbed().logDir, `bmc-${host}.log`), 'utf8').catch(() => '');
}

/** Current length of a host's BMC log. */
export async function bmcLogLength(host: string): Promise<number> {
  return (await bmcLog(host)).length;
}

/** GET a path of the watcher's HTTP server. */
export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/** Journal events of one run in a state dir (a torn last line, as after a kill -9, is skipped). */
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

/** The runs the watcher recorded in `<state dir>/watch/runs.json`. */
export async function watchedRuns(
  stateDir: string,
): Promise<{ runId: string; host: string; finished: boolean; status?: string }[]> {
  const text = await readFile(join(stateDir, 'watch', 'runs.json'), 'utf8').catch(() => '{"runs":[]}');
  try {
    return (JSON.parse(text) as { runs: { runId: string; host: string; finished: boolean; status?: string }[] }).runs;
  } catch {
    return [];
  }
}

/**
 * Stops a testbed daemon (SIGTERM by its saved PID, as up.sh's start_bg saved it) and returns a
 * function that starts it again the way start_bg does: same command line, own session, output
 * appended to log/NAME.log, new PID saved.
 */
export async function stopDaemon(name: string): Promise<() => Promise<void>> {
  const tb = testbed();
  const { openSync, writeFileSync } = await import('node:fs');
  const pidFile = join(tb.dir, 'run', `${name}.pid`);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  process.kill(pid, 'SIGTERM');
  const gone = (): boolean => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z';
    } catch {
      return true;
    }
  };
  await until(() => Promise.resolve(gone() || undefined), `${name} to stop`, 60_000, 100);
  let started = false;
  return () => {
    if (started) return Promise.resolve();
    started = true;
    const log = openSync(join(tb.logDir, `${name}.log`), 'a');
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    writeFileSync(pidFile, `${child.pid}\n`);
    return Promise.resolve();
  };
}
