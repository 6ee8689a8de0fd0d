import type { CoordinationSettings, Coordinator } from '../coordination/index.js';
import type { LoadedRunbook } from '../runbook/index.js';
import type { CommandContext, OptionSpec, ParsedArgs } from './command.interface.js';
import { cloudOverridesFrom } from './openstack-options.js';

/** `--etcd`: the one flag of coordination; the rest comes from FORCEDOWN_ETCD_* or the runbook's section. */
export const etcdOption: Readonly<Record<string, OptionSpec>> = {
  etcd: {
    type: 'string',
    valueName: 'ENDPOINTS',
    description:
      'Coordinate with other machines on etcd (comma-separated client URLs): host locks in etcd and the journal mirrored there. TLS, user, prefix, region: FORCEDOWN_ETCD_* or the runbook\'s "coordination" section',
    defaultText: 'FORCEDOWN_ETCD_ENDPOINTS, else the runbook\'s "coordination", else none (local lock file only)',
  },
};

/** `--etcd` of `forcedown watch`: as for runs, but the section is watch.json's "coordination". */
export const watchEtcdOption: Readonly<Record<string, OptionSpec>> = {
  etcd: {
    type: 'string',
    valueName: 'ENDPOINTS',
    description:
      'Coordinate with the other watchers of the region on etcd (comma-separated client URLs): leader election, host locks of the runs, their journal mirrored there. TLS, user, prefix, region, lease TTL: FORCEDOWN_ETCD_* or watch.json\'s "coordination" section',
    defaultText:
      'FORCEDOWN_ETCD_ENDPOINTS, else watch.json\'s "coordination", else none (one watcher, local lock file only)',
  },
};

/**
 * Opens coordination when `--etcd`, FORCEDOWN_ETCD_ENDPOINTS or the runbook's `coordination`
 * section configures it; undefined otherwise (nothing changes: the local lock file is the lock).
 * An invalid configuration is invalid input (exit 2), before any action. The caller closes it.
 */
export async function coordinatorFor(
  args: ParsedArgs,
  context: CommandContext,
  loaded?: LoadedRunbook,
): Promise<Coordinator | undefined> {
  const settings = await coordinationSettingsFor(args, context, loaded);
  if (settings === undefined) return undefined;
  const { openCoordination } = await import('../coordination/index.js');
  return openCoordination(settings, context.env);
}

/**
 * The coordination settings of this command line (flag, environment, runbook section, the
 * cloud's region as the default region), undefined when none configures coordination.
 */
export async function coordinationSettingsFor(
  args: ParsedArgs,
  context: CommandContext,
  loaded?: LoadedRunbook,
): Promise<CoordinationSettings | undefined> {
  const flag = args.values.etcd as string | undefined;
  const section = loaded?.runbook.coordination;
  if (flag === undefined && section === undefined && !context.env.FORCEDOWN_ETCD_ENDPOINTS?.trim()) return undefined;
  const { coordinationSettings } = await import('../coordination/index.js');
  return coordinationSettings({
    ...(section !== undefined
      ? { section, ...(loaded?.absolutePath ? { sectionFile: loaded.absolutePath } : {}) }
      : {}),
    env: context.env,
    ...(flag !== undefined ? { flag } : {}),
    ...(await cloudRegionOf(args, context)),
    cwd: context.cwd,
  });
}

/**
 * The selected cloud's region name (--os-region-name, OS_REGION_NAME, clouds.yaml `region_name`):
 * the default region in the etcd keys, so the machines of one cloud meet under one region without
 * FORCEDOWN_ETCD_REGION. src/openstack's `cloudRegionName` resolves it, the same function the
 * Terraform provider uses (quiet: a cloud configuration that does not load is reported by the
 * command that needs it).
 */
async function cloudRegionOf(args: ParsedArgs, context: CommandContext): Promise<{ cloudRegion?: string }> {
  const { cloudRegionName } = await import('../openstack/index.js');
  const cloud = args.values['os-cloud'];
  const region = cloudRegionName({
    ...(typeof cloud === 'string' && cloud !== '' ? { cloud } : {}),
    env: context.env,
    cwd: context.cwd,
    ...(context.env.HOME ? { home: context.env.HOME } : {}),
    overrides: cloudOverridesFrom(args, context.cwd),
  });
  return region !== undefined ? { cloudRegion: region } : {};
}
