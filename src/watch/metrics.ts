/**
 * The watcher's Prometheus metrics (prom-client, on a registry of its own) and its one HTTP
 * server: /metrics, /healthz (the process answers), /readyz (the last poll of Nova succeeded),
 * and any further routes (the alert intake) mounted beside them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TripReason } from './guards.js';
import type { LeadershipObserver } from './leadership.js';
import type { WatchObserver } from './watcher.js';

/** Buckets of seconds from first stale to forced down / evacuated: 10 s up to an hour. */
const SECONDS_BUCKETS = [10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 3600];

export class WatchMetrics implements WatchObserver, LeadershipObserver {
  readonly registry = new Registry();
  readonly #polls = new Counter({
    name: 'forcedown_watch_polls_total',
    help: 'Polls of Nova os-services, by result (ok or error)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly #candidates = new Gauge({
    name: 'forcedown_watch_candidates',
    help: 'Hosts that were recovery candidates (stale, down or alerted) at the last poll',
    registers: [this.registry],
  });
  readonly #coolingDown = new Gauge({
    name: 'forcedown_watch_hosts_cooling_down',
    help: 'Candidates held back at the last poll because their last recovery run failed (recovery.failedCooldown)',
    registers: [this.registry],
  });
  readonly #trips = new Counter({
    name: 'forcedown_watch_guard_trips_total',
    help: 'Guard trips, by reason (a breaker trip stops every recovery of that cycle)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly #runs = new Counter({
    name: 'forcedown_watch_runs_total',
    help: 'Recovery runs finished, by outcome (succeeded, failed, interrupted, refused, error...)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly #forcedDown = new Histogram({
    name: 'forcedown_watch_forced_down_seconds',
    help: 'Seconds from the first stale sample of a host to its nova-compute forced down',
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });
  readonly #evacuated = new Histogram({
    name: 'forcedown_watch_evacuated_seconds',
    help: 'Seconds from the first stale sample of a host to the end of its evacuation',
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });

  readonly #leader = new Gauge({
    name: 'forcedown_watch_leader',
    help: '1 while this watcher leads its region (polls and acts), 0 while it follows or cannot coordinate',
    registers: [this.registry],
  });
  readonly #takeovers = new Counter({
    name: 'forcedown_watch_takeovers_total',
    help: 'Times this watcher was elected after another leader (and resumed its unfinished runs)',
    registers: [this.registry],
  });
  readonly #takeoverSeconds = new Gauge({
    name: 'forcedown_watch_takeover_seconds',
    help: "Seconds from this watcher's last election after another leader to that leader's runs resumed",
    registers: [this.registry],
  });
  readonly #coordinating = new Gauge({
    name: 'forcedown_watch_coordination_ok',
    help: '1 while etcd answers (coordination configured), 0 while the watcher cannot coordinate (acts on nothing)',
    registers: [this.registry],
  });

  leader(isLeader: boolean): void {
    this.#leader.set(isLeader ? 1 : 0);
  }
  takeover(seconds: number): void {
    this.#takeovers.inc();
    this.#takeoverSeconds.set(seconds);
  }
  coordinating(ok: boolean): void {
    this.#coordinating.set(ok ? 1 : 0);
  }
  poll(ok: boolean): void {
    this.#polls.inc({ result: ok ? 'ok' : 'error' });
  }
  candidates(count: number): void {
    this.#candidates.set(count);
  }
  coolingDown(count: number): void {
    this.#coolingDown.set(count);
  }
  trip(reason: TripReason): void {
    this.#trips.inc({ reason });
  }
  runFinished(status: string): void {
    this.#runs.inc({ outcome: status });
  }
  forcedDown(seconds: number): void {
    this.#forcedDown.observe(seconds);
  }
  evacuated(seconds: number): void {
    this.#evacuated.observe(seconds);
  }
}

/** A route beside the built-in ones; returns false when it does not handle the request. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;

export interface WatchServerOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: WatchMetrics;
  /** True while the last poll of Nova succeeded (/readyz). */
  readonly ready: () => boolean;
  /** Why this replica is not ready besides the poll (a follower, cannot coordinate); undefined: no reason. */
  readonly notReady?: () => string | undefined;
  readonly routes?: readonly RouteHandler[];
  readonly log?: (record: { msg: string; level?: 'warn' | 'error' } & Record<string, unknown>) => void;
}

export interface WatchServer {
  readonly url: string;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

async function handle(options: WatchServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  const get = request.method === 'GET' || request.method === 'HEAD';
  if (get && path === '/metrics') {
    send(response, 200, options.metrics.registry.contentType, await options.metrics.registry.metrics());
  } else if (get && path === '/healthz') {
    send(response, 200, 'text/plain; charset=utf-8', 'ok\n');
  } else if (get && path === '/readyz') {
    const why = options.notReady?.() ?? (options.ready() ? undefined : 'the last poll of Nova failed');
    send(
      response,
      why === undefined ? 200 : 503,
      'text/plain; charset=utf-8',
      why === undefined ? 'ready\n' : `not ready: ${why}\n`,
    );
  } else {
    for (const route of options.routes ?? []) if (await route(request, response)) return;
    send(response, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz or /readyz\n');
  }
}

/** Starts the HTTP server; rejects when the address cannot be bound (in use, not local...). */
export async function startWatchServer(options: WatchServerOptions): Promise<WatchServer> {
  const server: Server = createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      options.log?.({ msg: 'HTTP request failed', level: 'error', error: (error as Error).message });
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  });
  // it also takes POSTs (the alert intake): a slow client does not hold a socket for minutes
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
