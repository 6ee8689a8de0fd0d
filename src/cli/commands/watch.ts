import { resolve } from 'node:path';
import { dirname } from 'node:path';
import type { Coordinator } from '../../coordination/index.js';
import type { LoadedInventory } from '../../inventory/index.js';
import type { LoadedRunbook } from '../../runbook/index.js';
import type { RunServices } from '../../runner/index.js';
import type { StepCatalog } from '../../steps/step.interface.js';
import type { ResolvedWatchConfig } from '../../watch/config.js';
import type { AlertIntake } from '../../watch/alert-intake.js';
import type { TripNotifier } from '../../watch/trip-notifier.js';
import type { startWatchServer as StartWatchServer, WatchMetrics } from '../../watch/metrics.js';
import type { LivenessProbe } from '../../watch/ports.js';
import type { RunnerRecoveries } from '../../watch/recoveries.js';
import type { CycleReport, FinishedRun, LogRecord, Watcher } from '../../watch/watcher.js';
import type * as WatchEtcd from '../watch-coordination.js';
import type { CommandContext, CommandSpec, ParsedArgs } from '../command.interface.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { writeLine } from '../io.js';
import { watchEtcdOption } from '../coordination-options.js';
import { warnTo, waitsTo } from '../openstack-options.js';

/** A JSON log line (stdout, or stderr with --once); the watcher never logs a secret. */
function logTo(stream: CommandContext['stdout']): (record: LogRecord) => void {
  return (record) => writeLine(stream, JSON.stringify({ ts: new Date().toISOString(), level: 'info', ...record }));
}

/** What one cycle found, for humans. */
function formatReport(
  report: CycleReport,
  config: ResolvedWatchConfig,
  dryRun: boolean,
  runs: readonly FinishedRun[],
): string {
  if (!report.ok) {
    const failure = report.failure;
    return [
      `poll of Nova failed: ${report.error ?? 'unknown error'}; nothing would be done${failure ? ` [${failure.code}]` : ''}`,
      ...(failure ? [`what to do: ${failure.hint}`] : []),
    ].join('\n');
  }
  const lines = [`mode ${config.settings.mode}${dryRun ? ', dry run' : ''}: polled Nova's os-services once`];
  for (const c of report.candidates)
    lines.push(
      `  candidate ${c.host}: ${c.samples} of ${config.settings.confirmSamples} stale samples${c.confirmed ? ' (confirmed)' : ''}`,
    );
  for (const t of report.trips) lines.push(`  guard ${t.reason}${t.host ? ` (${t.host})` : ''}: ${t.message}`);
  for (const c of report.coolingDown)
    lines.push(
      `  held back ${c.host}: its last recovery ${c.runId ? `run ${c.runId} ` : ''}ended ${c.status}; no new run until ${c.until} (recovery.failedCooldown)${c.runId ? `: see \`forcedown show ${c.runId}\`` : ''}`,
    );
  const verb = report.acted ? 'recovering' : 'would recover';
  for (const host of report.recover)
    lines.push(`  ${verb} ${host} with ${config.runbook ?? 'runbooks/host-failure.json'}`);
  for (const run of runs)
    lines.push(`  run ${run.runId ?? '(not started)'} for ${run.host}: ${run.status} (exit ${run.exitCode})`);
  if (report.candidates.length === 0 && report.recover.length === 0)
    lines.push('  nothing to do: every enabled compute is up');
  return lines.join('\n');
}

/** Codes of a Keystone or Nova that could not be reached or answered that it is unavailable. */
const UNREACHABLE_CODES = new Set([
  'OPENSTACK_UNREACHABLE',
  'OPENSTACK_TIMEOUT',
  'KEYSTONE_UNAVAILABLE',
  'NOVA_UNAVAILABLE',
]);

/**
 * The exit code of a failed poll: 4 authentication failed (credentials, policy); 2 the cloud's
 * configuration is wrong (clouds.yaml, OS_*, TLS); 12 Keystone or Nova could not be reached or was
 * unavailable; 1 anything else.
 */
function pollFailedExitCode(failure: CycleReport['failure']): number {
  if (failure?.kind === 'auth') return ExitCode.Auth;
  if (failure?.kind === 'invalid-input') return ExitCode.InvalidInput;
  if (failure && UNREACHABLE_CODES.has(failure.code)) return ExitCode.WatchUnreachable;
  return ExitCode.StepFailed;
}

/**
 * The exit code of a `--once`, for scripts gating on it: a failed poll its own code (above); a
 * recovery run that did not succeed gives its own code (1 failed, 3 refused...); 11 a guard held
 * a host back, or a failed run's cooldown did; 10 hosts were recovered or would be; 0 nothing to do.
 */
function onceExitCode(report: CycleReport, runs: readonly FinishedRun[]): number {
  if (!report.ok) return pollFailedExitCode(report.failure);
  const failed = runs.find((r) => r.exitCode !== ExitCode.Ok);
  if (failed) return failed.exitCode;
  if (report.trips.length > 0 || report.coolingDown.length > 0) return ExitCode.WatchHeldBack;
  return report.recover.length > 0 ? ExitCode.WatchFoundWork : ExitCode.Ok;
}

async function runWatch(args: ParsedArgs, context: CommandContext): Promise<number> {
  const once = args.values.once === true;
  const dryRun = args.values['dry-run'] === true;
  const output = (args.values.output as string | undefined) ?? 'text';
  const { invalidInput } = await import('../../errors/index.js');
  if (output !== 'text' && output !== 'json')
    throw invalidInput('USAGE', `--output must be text or json, not "${output}"`, 'use --output text or --output json');
  const configFile = args.values.config as string | undefined;
  if (configFile === undefined)
    throw invalidInput(
      'USAGE',
      'forcedown watch needs --config FILE',
      'start from deploy/watch.example.yaml; check it with `forcedown validate FILE`',
    );
  const [{ loadWatchConfig }, { loadRunbook }, { loadInventory, resolveInventoryPath }, runner, { catalog }] =
    await Promise.all([
      import('../../watch/config.js'),
      import('../../runbook/index.js'),
      import('../../inventory/index.js'),
      import('../../runner/index.js'),
      import('../../steps/catalog.js'),
    ]);
  const config = await loadWatchConfig(resolve(context.cwd, configFile), configFile);
  const { packageRoot } = await import('../../validation/index.js');
  const loaded = await loadRunbook(config.runbook ?? resolve(packageRoot, 'runbooks/host-failure.json'), context.cwd);
  const inventoryPath =
    config.inventory ??
    resolveInventoryPath({
      flag: undefined,
      env: context.env,
      cwd: context.cwd,
      runbookInventory: loaded.runbook.inventory,
      runbookPath: loaded.absolutePath,
    });
  const inventory = inventoryPath === undefined ? undefined : await loadInventory(inventoryPath, context.env);
  const stateDir = runner.resolveStateDir(
    config.stateDir ?? (args.values['state-dir'] as string | undefined),
    context.env,
    context.cwd,
  );
  // the services' own signal: SIGTERM stops polling, but a run between fence and force-down must
  // still reach force-down, so its API calls are not cancelled with the command's signal
  const connection = new AbortController();
  const { createRunServices } = await import('../run-services.js');
  const services = createRunServices({
    ...(inventory ? { inventory } : {}),
    inventoryPath,
    cloud: config.config.cloud ?? (args.values['os-cloud'] as string | undefined),
    cloudOverrides: {
      ...(config.config.region === undefined ? {} : { regionName: config.config.region }),
      ...(config.config.interface === undefined ? {} : { interface: config.config.interface }),
      ...(config.config.cacert === undefined ? {} : { cacert: resolve(config.file, '..', config.config.cacert) }),
      ...(config.config.insecure === true ? { verify: false } : {}),
    },
    env: context.env,
    cwd: context.cwd,
    warn: warnTo(context),
    onWait: waitsTo(context),
    signal: connection.signal,
  });
  try {
    return await watchWith({
      args,
      context,
      config,
      services,
      loaded,
      catalog,
      stateDir,
      inventoryPath,
      inventory,
      once,
      dryRun,
      output,
    });
  } finally {
    connection.abort();
    await services.close();
  }
}

/**
 * The liveness probe from the inventory's `probe` entries, and how long the watcher lets it take:
 * the config's probeTimeout, else enough for the slowest entry's timeoutSec.
 */
async function probeFrom(
  w: WatchRun,
  log: (record: LogRecord) => void,
): Promise<{ probe?: LivenessProbe; timeoutMs: number | undefined }> {
  const configured = w.config.config.probeTimeout === undefined ? undefined : w.config.settings.probeTimeoutMs;
  if (!w.inventory) return { timeoutMs: configured };
  const { createInventoryProbe, longestProbeMs } = await import('../../watch/liveness-probe.js');
  const hosts = w.inventory.inventory.hosts;
  const longest = longestProbeMs(hosts);
  if (longest === 0) return { timeoutMs: configured };
  if (configured !== undefined && configured < longest)
    log({
      msg: `probeTimeout (${configured}ms) is shorter than an inventory probe's timeoutSec (${longest}ms): such a probe counts as silent when it runs out`,
      level: 'warn',
    });
  const lookup = (host: string) => w.inventory!.host(host);
  const probe = createInventoryProbe(hosts, lookup, dirname(w.inventory.absolutePath));
  return { probe, timeoutMs: configured ?? Math.max(2000, longest + 500) };
}

interface WatchRun {
  readonly args: ParsedArgs;
  readonly context: CommandContext;
  readonly config: ResolvedWatchConfig;
  readonly services: RunServices;
  readonly loaded: LoadedRunbook;
  readonly catalog: StepCatalog;
  readonly stateDir: string;
  readonly inventoryPath: string | undefined;
  readonly inventory: LoadedInventory | undefined;
  readonly once: boolean;
  readonly dryRun: boolean;
  readonly output: string;
}

async function watchWith(w: WatchRun): Promise<number> {
  const [{ Watcher }, { RunnerRecoveries }, { WatchMetrics, startWatchServer }, etcd] = await Promise.all([
    import('../../watch/watcher.js'),
    import('../../watch/recoveries.js'),
    import('../../watch/metrics.js'),
    import('../watch-coordination.js'),
  ]);
  const log = logTo(w.once ? w.context.stderr : w.context.stdout);
  const coordinator = await etcd.watchCoordinator(w.args, w.context, w.config);
  try {
    return await watchOn(w, coordinator, {
      Watcher,
      RunnerRecoveries,
      startWatchServer,
      log,
      metrics: new WatchMetrics(),
      etcd,
    });
  } finally {
    coordinator?.close();
  }
}

interface Loaded {
  readonly Watcher: typeof Watcher;
  readonly RunnerRecoveries: typeof RunnerRecoveries;
  readonly startWatchServer: typeof StartWatchServer;
  readonly log: (record: LogRecord) => void;
  readonly metrics: WatchMetrics;
  readonly etcd: typeof WatchEtcd;
}

/** The runs the watcher starts: ordinary runs, coordinated on etcd when it is configured. */
function recoveriesOf(w: WatchRun, coordinator: Coordinator | undefined, m: Loaded): RunnerRecoveries {
  const cloud = w.config.config.cloud ?? (w.args.values['os-cloud'] as string | undefined);
  return new m.RunnerRecoveries({
    loaded: w.loaded,
    vars: w.config.vars,
    catalog: w.catalog,
    exitCodes: exitCodeFor,
    services: w.services,
    stateDir: w.stateDir,
    env: w.context.env,
    meta: {
      ...(w.inventoryPath ? { inventory: w.inventoryPath } : {}),
      ...(cloud ? { cloud } : {}),
      startedBy: 'watch',
    },
    ...(coordinator ? { coordination: m.etcd.runCoordinationOf(coordinator) } : {}),
  });
}

async function watchOn(w: WatchRun, coordinator: Coordinator | undefined, m: Loaded): Promise<number> {
  const { log, metrics, etcd } = m;
  const recoveries = recoveriesOf(w, coordinator, m);
  const { probe, timeoutMs } = await probeFrom(w, log);
  // the intake serves on the watch server, so a --once (no server) does not read alerts
  const alerts = w.once ? undefined : await intakeFrom(w.config, w.context);
  const intake = alerts?.intake;
  const notifier = await notifierFrom(w.config, w.context, log);
  const watcher = new m.Watcher({
    settings: { ...w.config.settings, ...(timeoutMs === undefined ? {} : { probeTimeoutMs: timeoutMs }) },
    ...(probe ? { probe } : {}),
    ...(notifier ? { notifier } : {}),
    ...(intake ? { alerts: intake } : {}),
    // the one warm client: signed in once, reused by every poll and every run
    compute: async () => (await w.services.openstack()).compute,
    launcher: coordinator ? await etcd.takeoverLauncher(coordinator, recoveries, w.stateDir, log) : recoveries,
    power: (host) => w.services.power(host),
    log,
    observer: metrics,
    stateDir: w.stateDir,
    dryRun: w.dryRun,
  });
  try {
    if (w.once) return await once(w, watcher);
    return await serve(w, watcher, {
      metrics,
      log,
      startWatchServer: m.startWatchServer,
      ...(alerts ? { alerts } : {}),
      ...(coordinator ? { coordinator, etcd } : {}),
    });
  } finally {
    await intake?.close();
    await notifier?.settle();
  }
}

/** The guard-trip webhook from the config's `notify`, its token read now (an input error when absent). */
async function notifierFrom(
  config: ResolvedWatchConfig,
  context: CommandContext,
  log: (record: LogRecord) => void,
): Promise<TripNotifier | undefined> {
  if (!config.notify) return undefined;
  const { tokenEnv, ...notify } = config.notify;
  const token = tokenEnv === undefined ? undefined : context.env[tokenEnv];
  if (tokenEnv !== undefined && !token) {
    const { invalidInput } = await import('../../errors/index.js');
    throw invalidInput(
      'NOTIFY_TOKEN_MISSING',
      `the notify webhook's token variable ${tokenEnv} is not set`,
      `export ${tokenEnv} (the webhook's bearer token), or remove notify.tokenEnv from ${config.file}`,
    );
  }
  const { createTripNotifier } = await import('../../watch/trip-notifier.js');
  return createTripNotifier({ ...notify, ...(token ? { token } : {}), log });
}

/** --once: resume what it started, one cycle, report, exit with what a script gates on. */
async function once(w: WatchRun, watcher: Watcher): Promise<number> {
  await watcher.resumeUnfinished();
  const report = await watcher.cycle();
  await watcher.settle();
  if (w.output === 'json')
    writeLine(
      w.context.stdout,
      JSON.stringify(
        { ...report, runs: watcher.finishedRuns, mode: w.config.settings.mode, dryRun: w.dryRun },
        null,
        2,
      ),
    );
  else writeLine(w.context.stdout, formatReport(report, w.config, w.dryRun, watcher.finishedRuns));
  return onceExitCode(report, watcher.finishedRuns);
}

/** The alert intake from the config's `alerts`, its token read now (an input error when absent). */
async function intakeFrom(
  config: ResolvedWatchConfig,
  context: CommandContext,
): Promise<{ intake: AlertIntake; path: string } | undefined> {
  if (!config.alerts) return undefined;
  const { createAlertIntake, DEFAULT_ALERT_PATH } = await import('../../watch/alert-intake.js');
  const intake = createAlertIntake({ ...config.alerts, env: context.env });
  return { intake, path: config.alerts.path ?? DEFAULT_ALERT_PATH };
}

interface Serving {
  readonly metrics: WatchMetrics;
  readonly log: (record: LogRecord) => void;
  readonly startWatchServer: typeof StartWatchServer;
  readonly alerts?: { readonly intake: AlertIntake; readonly path: string };
  readonly coordinator?: Coordinator;
  readonly etcd?: typeof WatchEtcd;
}

/** Runs the watcher until SIGTERM/SIGINT with the HTTP server (metrics, health, alert intake). */
async function serve(w: WatchRun, watcher: Watcher, s: Serving): Promise<number> {
  const intake = s.alerts?.intake;
  const routes = intake ? [intake.handle.bind(intake)] : [];
  const { coordinator, etcd } = s;
  const leadership =
    coordinator && etcd
      ? await etcd.watchLeadership({ coordinator, watcher, metrics: s.metrics, log: s.log })
      : undefined;
  const server = await s.startWatchServer({
    ...w.config.listen,
    metrics: s.metrics,
    ready: () => watcher.lastPollOk,
    ...(leadership ? { notReady: () => leadership.notReady() } : {}),
    log: s.log,
    routes,
  });
  s.log({
    msg: 'watching',
    url: server.url,
    mode: w.config.settings.mode,
    dryRun: w.dryRun,
    intervalMs: w.config.settings.intervalMs,
    ...(s.alerts ? { alerts: `${server.url}${s.alerts.path}` } : {}),
    ...(coordinator ? { etcd: `${coordinator.settings.prefix}/${coordinator.settings.region}` } : {}),
  });
  try {
    if (leadership && etcd) await etcd.leadUntil(leadership, watcher, w.context.signal);
    else await watcher.run(w.context.signal);
  } finally {
    await server.close();
  }
  s.log({ msg: 'stopped: no run left between fence and force-down' });
  return ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'watch',
  summary: 'Always-on recovery: notice failed computes and recover them with a runbook',
  usage: '--config FILE [--once] [--dry-run] [--output text|json]',
  description: `
Watches Nova and recovers failed compute hosts by itself, each with an ordinary run of the
configured runbook (default runbooks/host-failure.json: fence, force down, evacuate), so
\`forcedown runs\`, \`show\` and \`resume\` see those runs like any other.

What it polls: one GET /os-services per interval (5s). A compute is a candidate when it is an
enabled nova-compute, not forced down, and Nova says "down" or its heartbeat (updated_at) is
older than staleAfter (30s) on Nova's clock (read from its Date header, never ours). It must stay
a candidate for confirmSamples polls (2). Firing Alertmanager alerts (config "alerts") join too.

Guards, every cycle, before any fence (each trip is logged, counted and, with "notify" in the
config, POSTed to that webhook once per repeatAfter):
  - breakers: maxStaleFraction of the enabled computes stale or aging at once (0.5; aging: the
    heartbeat is older than staleAfter - heartbeatInterval - 1s, heartbeatInterval = nova.conf
    report_interval, 10s), nova-conductor or nova-scheduler down, or the watcher's own API calls
    failing (recoverAfterSamples good polls before it acts again): act on no host, and after a
    trip on none until the breakers have been clear for settleAfterTrip (staleAfter +
    heartbeatInterval), so a control-plane outage is never fenced;
  - caps: maxConcurrentRecoveries (2), maxRecoveriesPerHour (5), per zone, per aggregate;
  - hosts left alone: disabled ones (unless disabledReasonPattern matches), ones held by
    another forcedown run, and ones the liveness probe still reaches;
  - after a failed recovery run of a host (fence, force-down or evacuation failed, refused),
    no new run for it until recovery.failedCooldown (10m) after that run ended, read from its
    journal, so it holds across a restart; logged once with what to do (\`forcedown show RUN-ID\`).

Modes: "mode: act" recovers; "mode: observe" runs continuously and acts on nothing (it logs
"would recover"); --dry-run acts on nothing whatever the mode. --once polls once and exits.
After a restart (or kill -9) it resumes the runs it started instead of starting new ones.

Several replicas (coordination on etcd: --etcd, FORCEDOWN_ETCD_* or the config's "coordination"):
they elect a leader per region on a lease (TTL 10s); only the leader polls and acts, and its runs
take etcd host locks and mirror their journal. Followers wait; /readyz says "follower". When the
leader dies, a follower is elected within the TTL and resumes the leader's unfinished runs from
etcd instead of starting new ones. Without quorum, nobody leads: "cannot coordinate" (log,
/readyz, forcedown_watch_coordination_ok 0) and no new fence; work resumes when etcd answers.
--once does not campaign (its runs still take the etcd locks).

Stopping: SIGTERM or SIGINT stops polling; runs before their fence or past force-down are
interrupted (resumable); a run between fence and force-down first reaches force-down. Exit 0.

Files: the config (schemas/watch.schema.json; check it with \`forcedown validate FILE\`), the
inventory it names, <state dir>/watch/runs.json (runs it started) and the usual journals.
HTTP on "listen" (default 127.0.0.1:9464): /metrics (Prometheus), /healthz, /readyz (200 while
the last poll succeeded). Log: one JSON object per line on stdout (stderr with --once).

Examples:
  forcedown validate deploy/watch.example.yaml
  forcedown watch --config /etc/forcedown/watch.yaml --once --dry-run
  forcedown watch --config /etc/forcedown/watch.yaml --once --dry-run --output json
  forcedown watch --config /etc/forcedown/watch.yaml

Exit codes: 0 stopped cleanly, or (--once) nothing to do; 2 invalid config, runbook or
inventory, or a missing alert token (what to do is printed). With --once, for scripts:
  10  hosts recovered (mode act), or that would be (--dry-run, observe): see "recover"
  11  a guard or the liveness probe held a host back, or a failed run's cooldown did (a human
      should look): see "trips" and "coolingDown"
  the poll of Nova failed (nothing done; the report says why and "what to do:", JSON "failure"):
  4   authentication failed: wrong password or token, expired application credential, policy
  2   the cloud's configuration is wrong: no such cloud in clouds.yaml, OS_* missing, TLS
  12  Keystone or Nova could not be reached or was unavailable (refused, timeout, DNS, 5xx)
  1   anything else
  a recovery run that did not succeed: that run's code (1 failed, 3 refused for safety, ...)
(11 wins over 10; a failed run over both.) --output json also lists the runs it started.`,
  positionals: [0, 0],
  options: {
    ...watchEtcdOption,
    config: {
      type: 'string',
      valueName: 'FILE',
      description: 'Watch configuration (JSON or YAML; schemas/watch.schema.json)',
    },
    once: { type: 'boolean', description: 'Poll once, act on what it finds (unless --dry-run or observe), and exit' },
    'dry-run': { type: 'boolean', description: 'Act on nothing: report what would be recovered' },
    output: {
      type: 'string',
      valueName: 'FORMAT',
      description: 'With --once: text, or json (the cycle report)',
      defaultText: 'text',
    },
    'os-cloud': {
      type: 'string',
      valueName: 'NAME',
      description: 'Cloud from clouds.yaml when the config names none',
      defaultText: 'OS_CLOUD',
    },
    'state-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'State directory when the config names none',
      defaultText: 'FORCEDOWN_STATE_DIR',
    },
  },
  run: runWatch,
};
