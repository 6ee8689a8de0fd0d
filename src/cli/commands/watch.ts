import { resolve } from 'node:path';
import type { LoadedRunbook } from '../../runbook/index.js';
import type { RunServices } from '../../runner/index.js';
import type { StepCatalog } from '../../steps/step.interface.js';
import type { ResolvedWatchConfig } from '../../watch/config.js';
import type { CycleReport, LogRecord } from '../../watch/watcher.js';
import type { CommandContext, CommandSpec, ParsedArgs } from '../command.interface.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { writeLine } from '../io.js';
import { warnTo, waitsTo } from '../openstack-options.js';

/** A JSON log line (stdout, or stderr with --once); the watcher never logs a secret. */
function logTo(stream: CommandContext['stdout']): (record: LogRecord) => void {
  return (record) => writeLine(stream, JSON.stringify({ ts: new Date().toISOString(), level: 'info', ...record }));
}

/** What one cycle found, for humans. */
function formatReport(report: CycleReport, config: ResolvedWatchConfig): string {
  if (!report.ok) return `poll of Nova failed: ${report.error ?? 'unknown error'}; nothing would be done`;
  const lines = [`mode ${config.settings.mode}, dry run: polled Nova's os-services once`];
  for (const c of report.candidates)
    lines.push(
      `  candidate ${c.host}: ${c.samples} of ${config.settings.confirmSamples} stale samples${c.confirmed ? ' (confirmed)' : ''}`,
    );
  for (const t of report.trips) lines.push(`  guard ${t.reason}${t.host ? ` (${t.host})` : ''}: ${t.message}`);
  for (const host of report.recover)
    lines.push(`  would recover ${host} with ${config.runbook ?? 'runbooks/host-failure.json'}`);
  if (report.candidates.length === 0 && report.recover.length === 0)
    lines.push('  nothing to do: every enabled compute is up');
  return lines.join('\n');
}

/** 0 nothing to do; 3 something would be done or a guard held a host back; 1 the poll failed. */
function onceExitCode(report: CycleReport): number {
  if (!report.ok) return ExitCode.StepFailed;
  return report.recover.length > 0 || report.trips.length > 0 ? ExitCode.Refused : ExitCode.Ok;
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
      once,
      dryRun,
      output,
    });
  } finally {
    connection.abort();
    await services.close();
  }
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
  readonly once: boolean;
  readonly dryRun: boolean;
  readonly output: string;
}

async function watchWith(w: WatchRun): Promise<number> {
  const [{ Watcher }, { RunnerRecoveries }, { WatchMetrics, startWatchServer }] = await Promise.all([
    import('../../watch/watcher.js'),
    import('../../watch/recoveries.js'),
    import('../../watch/metrics.js'),
  ]);
  const log = logTo(w.once ? w.context.stderr : w.context.stdout);
  const metrics = new WatchMetrics();
  const cloud = w.config.config.cloud ?? (w.args.values['os-cloud'] as string | undefined);
  const watcher = new Watcher({
    settings: w.config.settings,
    // the one warm client: signed in once, reused by every poll and every run
    compute: async () => (await w.services.openstack()).compute,
    launcher: new RunnerRecoveries({
      loaded: w.loaded,
      vars: w.config.vars,
      catalog: w.catalog,
      exitCodes: exitCodeFor,
      services: w.services,
      stateDir: w.stateDir,
      env: w.context.env,
      meta: { ...(w.inventoryPath ? { inventory: w.inventoryPath } : {}), ...(cloud ? { cloud } : {}) },
    }),
    power: (host) => w.services.power(host),
    log,
    observer: metrics,
    dryRun: w.dryRun,
  });
  if (w.once) {
    await watcher.resumeUnfinished();
    const report = await watcher.cycle();
    await watcher.settle();
    if (w.output === 'json')
      writeLine(
        w.context.stdout,
        JSON.stringify({ ...report, mode: w.config.settings.mode, dryRun: w.dryRun }, null, 2),
      );
    else writeLine(w.context.stdout, formatReport(report, w.config));
    return onceExitCode(report);
  }
  const server = await startWatchServer({ ...w.config.listen, metrics, ready: () => watcher.lastPollOk, log });
  log({
    msg: 'watching',
    url: server.url,
    mode: w.config.settings.mode,
    dryRun: w.dryRun,
    intervalMs: w.config.settings.intervalMs,
  });
  try {
    await watcher.run(w.context.signal);
  } finally {
    await server.close();
  }
  log({ msg: 'stopped: no run left between fence and force-down' });
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

Guards, every cycle, before any fence (each trip is logged and counted):
  - breakers: maxStaleFraction of the enabled computes stale at once (0.5), nova-conductor or
    nova-scheduler down, or the watcher's own API calls failing (recoverAfterSamples good polls
    before it acts again): act on no host;
  - caps: maxConcurrentRecoveries (2), maxRecoveriesPerHour (5), per zone, per aggregate;
  - hosts left alone: disabled ones (unless disabledReasonPattern matches), ones held by
    another forcedown run, and ones the liveness probe still reaches.

Modes: "mode: act" recovers; "mode: observe" runs continuously and acts on nothing (it logs
"would recover"); --dry-run acts on nothing whatever the mode. --once polls once and exits.
After a restart (or kill -9) it resumes the runs it started instead of starting new ones.

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

Exit codes: 0 stopped cleanly, or (--once) nothing to do; 3 (--once) there was something to
do: hosts it recovered or would recover, or guards that held a host back; 1 (--once) the poll of
Nova failed; 2 invalid config, runbook or inventory (what to do is printed).`,
  positionals: [0, 0],
  options: {
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
