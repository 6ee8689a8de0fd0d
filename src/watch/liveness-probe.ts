/**
 * The watcher's second opinion before it fences: is the host itself alive although its
 * nova-compute is silent? Per host, from the inventory's optional `probe`: a TCP connect to a
 * management address, or a program (through src/exec: no shell, redacted, deadline-bound).
 * 'answers' vetoes the fence (restart the service instead of killing the host's servers).
 */
import { connect } from 'node:net';
import { interrupted } from '../errors/index.js';
import { run } from '../exec/index.js';
import type { InventoryHost, LivenessProbeConfig } from '../generated/inventory.types.js';
import type { LivenessProbe, ProbeVerdict } from './ports.js';

/** Seconds a probe may take when its entry sets no `timeoutSec` (the schema's default). */
export const DEFAULT_PROBE_TIMEOUT_SEC = 2;

/** Options of {@link createLivenessProbe}. */
export interface LivenessProbeOptions {
  /** The inventory's hosts (Nova service host name -> entry). */
  readonly hosts: Readonly<Record<string, InventoryHost>>;
  /** Working directory of command probes (the inventory file's directory). */
  readonly cwd?: string;
}

/** Splits `host:port` or `[v6]:port`; undefined when the port is not 1-65535. */
export function parseTcpTarget(target: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s/:[\]]+)):(\d{1,5})$/.exec(target);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2], port };
}

function abortError(host: string, signal: AbortSignal): Error {
  return interrupted(
    'PROBE_INTERRUPTED',
    `the liveness probe of ${host} was cancelled`,
    'nothing to do: the watcher stopped or gave up on this host',
    { host },
    signal.reason,
  );
}

/** 'answers' when a TCP connection to `target` is accepted within `timeoutMs`. */
export function probeTcp(target: string, timeoutMs: number, signal: AbortSignal): Promise<'answers' | 'silent'> {
  const address = parseTcpTarget(target);
  if (!address) return Promise.resolve('silent');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port });
    const finish = (verdict: 'answers' | 'silent' | Error): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (verdict instanceof Error) reject(verdict);
      else resolve(verdict);
    };
    const onAbort = (): void => finish(abortError(target, signal));
    const timer = setTimeout(() => finish('silent'), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish('answers'));
    socket.once('error', () => finish('silent'));
  });
}

async function probeCommand(
  host: string,
  command: readonly string[],
  timeoutMs: number,
  signal: AbortSignal,
  cwd: string | undefined,
): Promise<'answers' | 'silent'> {
  const [file, ...args] = command;
  try {
    const result = await run(file, args, {
      env: { FORCEDOWN_HOST: host },
      timeoutMs,
      signal,
      cwd,
      allowNonZeroExit: true,
      purpose: `liveness probe of ${host}`,
    });
    return result.exitCode === 0 ? 'answers' : 'silent';
  } catch (error) {
    if (signal.aborted) throw abortError(host, signal);
    // out of time, a missing program, killed: no answer from the host
    void error;
    return 'silent';
  }
}

function runProbe(host: string, config: LivenessProbeConfig, signal: AbortSignal, cwd?: string) {
  const timeoutMs = (config.timeoutSec ?? DEFAULT_PROBE_TIMEOUT_SEC) * 1000;
  if ('tcp' in config) return probeTcp(config.tcp, timeoutMs, signal);
  return probeCommand(host, config.command, timeoutMs, signal, cwd);
}

/**
 * A {@link LivenessProbe} over the inventory. A host without a `probe` (or not in the inventory)
 * is 'not-configured'; a cancelled probe rejects with an `interrupted` error.
 */
export function createLivenessProbe(options: LivenessProbeOptions): LivenessProbe {
  return {
    probe(host: string, signal: AbortSignal): Promise<ProbeVerdict> {
      if (signal.aborted) return Promise.reject(abortError(host, signal));
      const entry = Object.hasOwn(options.hosts, host) ? options.hosts[host] : undefined;
      if (entry?.probe === undefined) return Promise.resolve('not-configured');
      return runProbe(host, entry.probe, signal, options.cwd);
    },
  };
}

/** The longest `timeoutSec` of the inventory's probes in milliseconds (0 without probes). */
export function longestProbeMs(hosts: Readonly<Record<string, InventoryHost>>): number {
  let longest = 0;
  for (const entry of Object.values(hosts))
    if (entry.probe) longest = Math.max(longest, (entry.probe.timeoutSec ?? DEFAULT_PROBE_TIMEOUT_SEC) * 1000);
  return longest;
}

/**
 * The probe over a loaded inventory, finding a Nova host's entry as operators type host names
 * (`cmp-07` finds `cmp-07.example.net`); a host the inventory does not list is 'not-configured'.
 */
export function createInventoryProbe(
  hosts: Readonly<Record<string, InventoryHost>>,
  lookup: (host: string) => InventoryHost,
  cwd?: string,
): LivenessProbe {
  const exact = createLivenessProbe({ hosts, cwd });
  return {
    probe(host: string, signal: AbortSignal): Promise<ProbeVerdict> {
      let entry: InventoryHost | undefined;
      try {
        entry = lookup(host);
      } catch {
        entry = undefined;
      }
      const name = entry === undefined ? undefined : Object.keys(hosts).find((key) => hosts[key] === entry);
      return exact.probe(name ?? host, signal);
    },
  };
}
