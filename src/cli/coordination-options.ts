import type { Coordinator } from '../coordination/index.js';
import type { LoadedRunbook } from '../runbook/index.js';
import type { CommandContext, OptionSpec, ParsedArgs } from './command.interface.js';

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
  const flag = args.values.etcd as string | undefined;
  const section = loaded?.runbook.coordination;
  if (flag === undefined && section === undefined && !context.env.FORCEDOWN_ETCD_ENDPOINTS?.trim()) return undefined;
  const { coordinationSettings, openCoordination } = await import('../coordination/index.js');
  const settings = coordinationSettings({
    ...(section !== undefined
      ? { section, ...(loaded?.absolutePath ? { sectionFile: loaded.absolutePath } : {}) }
      : {}),
    env: context.env,
    ...(flag !== undefined ? { flag } : {}),
    cwd: context.cwd,
  });
  return settings === undefined ? undefined : openCoordination(settings, context.env);
}
