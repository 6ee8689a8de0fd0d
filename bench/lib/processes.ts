/**
 * Child processes as benchmarks see them: the forcedown CLI run as a real process (its spawn time,
 * its `--output json` events as they arrive, its peak RSS from /proc/<pid>/status VmHWM), and
 * whole-command timing from outside (warm-up, then N runs, wall time from spawn to exit).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, stats, type Stats } from './results.js';

export const cliEntry = join(repoRoot, 'bin', 'forcedown.js');

/** One `--output json` event with the time (epoch ms, this machine's clock) it was read from the pipe. */
export interface TimedEvent {
  readonly receivedAt: number;
  /** The event's own `ts` in epoch ms (written by the CLI just before it printed it). */
  readonly at: number;
  readonly event: Record<string, unknown> & { readonly event: string; readonly ts: string };
}

export interface CliRun {
  readonly code: number | null;
  /** Date.now() right before spawn(). */
  readonly spawnedAt: number;
  /** When the child exited. */
  readonly exitedAt: number;
  readonly events: readonly TimedEvent[];
  readonly stderr: string;
  /** Peak resident set (kB) from /proc/<pid>/status VmHWM, sampled every `rssSampleMs` while it ran; null if never read. */
  readonly peakRssKb: number | null;
}

function vmHwmKb(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Runs `forcedown <args>` (the built CLI, bin/forcedown.js) and collects its JSON events. */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: { readonly rssSampleMs?: number; readonly onEvent?: (event: TimedEvent) => void } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, [cliEntry, ...args], {
      cwd: repoRoot,
      env: { ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: TimedEvent[] = [];
    let buffer = '';
    let stderr = '';
    let peak: number | null = null;
    const sample = (): void => {
      if (child.pid === undefined) return;
      const value = vmHwmKb(child.pid);
      if (value !== null && (peak === null || value > peak)) peak = value;
    };
    const sampler = setInterval(sample, options.rssSampleMs ?? 20);
    child.stdout.on('data', (chunk: Buffer) => {
      sample();
      const receivedAt = Date.now();
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line.startsWith('{')) continue;
        try {
          const event = JSON.parse(line) as TimedEvent['event'];
          const timed = { receivedAt, at: Date.parse(event.ts), event };
          events.push(timed);
          options.onEvent?.(timed);
        } catch {
          // not an event line
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => {
      clearInterval(sampler);
      reject(error);
    });
    child.on('exit', () => sample());
    child.on('close', (code) => {
      clearInterval(sampler);
      resolve({ code, spawnedAt, exitedAt: Date.now(), events, stderr, peakRssKb: peak });
    });
  });
}

/** Events of one kind (and optionally one step / progress kind). */
export function pick(
  run: CliRun,
  event: string,
  filter: { readonly stepId?: string; readonly kind?: string } = {},
): TimedEvent[] {
  return run.events.filter(
    (e) =>
      e.event.event === event &&
      (filter.stepId === undefined || e.event.stepId === filter.stepId) &&
      (filter.kind === undefined || e.event.kind === filter.kind),
  );
}

export interface CommandTiming {
  readonly command: string;
  readonly runs: number;
  readonly warmup: number;
  /** Wall milliseconds from spawn() to the child's exit, per run. */
  readonly wallMs: Stats;
  readonly exitCodes: readonly (number | null)[];
}

function timeOnce(command: string, args: readonly string[]): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ms: performance.now() - started, code }));
  });
}

/**
 * Times a whole command from outside, as a user waits for it: `warmup` runs not counted (file
 * system and compile caches), then `runs` runs, each from spawn() to exit.
 */
export async function timeCommand(
  command: string,
  args: readonly string[],
  runs: number,
  warmup = 1,
): Promise<CommandTiming> {
  for (let i = 0; i < warmup; i += 1) await timeOnce(command, args);
  const samples: number[] = [];
  const codes: (number | null)[] = [];
  for (let i = 0; i < runs; i += 1) {
    const { ms, code } = await timeOnce(command, args);
    samples.push(ms);
    codes.push(code);
  }
  return {
    command: [command, ...args].join(' ').replace(repoRoot + '/', ''),
    runs,
    warmup,
    wallMs: stats(samples),
    exitCodes: codes,
  };
}
