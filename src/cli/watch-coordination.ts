/**
 * `forcedown watch` on etcd (issue 14): the coordinator from watch.json's `coordination`,
 * FORCEDOWN_ETCD_* or --etcd; the runs' locks and mirror; takeover of a dead leader's runs; and
 * the leader loop (only the leader polls and acts).
 */
import type { CoordinationSettings, Coordinator } from '../coordination/index.js';
import type { RunCoordination } from '../runner/index.js';
import type { ResolvedWatchConfig } from '../watch/config.js';
import type { WatchLeadership } from '../watch/leadership.js';
import type { WatchMetrics } from '../watch/metrics.js';
import type { RecoveryLauncher, RunnerRecoveries } from '../watch/recoveries.js';
import type { LogRecord, Watcher } from '../watch/watcher.js';
import type { CommandContext, ParsedArgs } from './command.interface.js';

/** The coordinator when coordination is configured (--etcd, FORCEDOWN_ETCD_ENDPOINTS, watch.json); the caller closes it. */
export async function watchCoordinator(
  args: ParsedArgs,
  context: CommandContext,
  config: ResolvedWatchConfig,
): Promise<Coordinator | undefined> {
  const settings = await watchCoordinationSettings(args, context, config);
  if (settings === undefined) return undefined;
  const { openCoordination } = await import('../coordination/index.js');
  return openCoordination(settings, context.env);
}

/** The watcher's coordination settings (flag, environment, watch.json, the cloud's region), undefined when none. */
export async function watchCoordinationSettings(
  args: ParsedArgs,
  context: CommandContext,
  config: ResolvedWatchConfig,
): Promise<CoordinationSettings | undefined> {
  const flag = args.values.etcd as string | undefined;
  const section = config.config.coordination;
  if (flag === undefined && section === undefined && !context.env.FORCEDOWN_ETCD_ENDPOINTS?.trim()) return undefined;
  const { coordinationSettings } = await import('../coordination/index.js');
  const cloudRegion = await watchCloudRegion(args, context, config);
  return coordinationSettings({
    ...(section !== undefined ? { section, sectionFile: config.file } : {}),
    env: context.env,
    ...(flag !== undefined ? { flag } : {}),
    cwd: context.cwd,
    ...(cloudRegion !== undefined ? { cloudRegion } : {}),
  });
}

/**
 * The watched cloud's region (watch.json `region`, else OS_REGION_NAME, else the cloud's
 * clouds.yaml `region_name`): the default region of the keys, resolved by the same function as for
 * runs and the Terraform provider, so that they all lock the same `<prefix>/<region>/hosts/<host>`.
 */
async function watchCloudRegion(
  args: ParsedArgs,
  context: CommandContext,
  config: ResolvedWatchConfig,
): Promise<string | undefined> {
  const { cloudRegionName } = await import('../openstack/index.js');
  const cloud = config.config.cloud ?? (args.values['os-cloud'] as string | undefined);
  return cloudRegionName({
    ...(cloud !== undefined && cloud !== '' ? { cloud } : {}),
    env: context.env,
    cwd: context.cwd,
    ...(context.env.HOME ? { home: context.env.HOME } : {}),
    ...(config.config.region !== undefined ? { overrides: { regionName: config.config.region } } : {}),
  });
}

/** What each run of the watcher uses of the coordinator (as the CLI run does). */
export function runCoordinationOf(coordinator: Coordinator): RunCoordination {
  return { locks: coordinator.locks, mirror: (runId) => coordinator.mirror(runId) };
}

/** The launcher that also takes over a dead leader's runs from etcd. */
export async function takeoverLauncher(
  coordinator: Coordinator,
  inner: RunnerRecoveries,
  stateDir: string,
  log: (record: LogRecord) => void,
): Promise<RecoveryLauncher> {
  const { CoordinatedRecoveries } = await import('../watch/takeover.js');
  return new CoordinatedRecoveries({
    inner,
    source: coordinator,
    stateDir,
    log,
    lockWaitMs: (coordinator.settings.leaseTtlSeconds + 2) * 1000,
  });
}

export interface LedWatch {
  readonly coordinator: Coordinator;
  readonly watcher: Watcher;
  readonly metrics: WatchMetrics;
  readonly log: (record: LogRecord) => void;
}

/** The leadership of this replica (build it before the HTTP server: /readyz asks it). */
export async function watchLeadership(led: LedWatch): Promise<WatchLeadership> {
  const [{ WatchLeadership }, { RegionElection }] = await Promise.all([
    import('../watch/leadership.js'),
    import('../coordination/index.js'),
  ]);
  return new WatchLeadership({
    election: led.coordinator.election,
    candidate: RegionElection.self(),
    log: led.log,
    observer: led.metrics,
  });
}

/** Campaigns and, while leader, resumes unfinished runs and polls; on `signal` stops gracefully, then resigns. */
export async function leadUntil(leadership: WatchLeadership, watcher: Watcher, signal: AbortSignal): Promise<void> {
  await leadership.run(signal, async (_held, leading, report) => {
    const resumed = await watcher.resumeUnfinished();
    report(resumed.length);
    await watcher.pollUntil(leading);
    // a stop: finish or interrupt the runs while still leader (a lost leadership leaves them to the lease-loss rule)
    if (signal.aborted) await watcher.stop();
  });
  await watcher.stop();
}
