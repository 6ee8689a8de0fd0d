import { ExitCode, exitCodeFor } from '../exit-codes.js';
import type { CommandContext, CommandSpec, ParsedArgs } from '../command.interface.js';
import { coordinatorFor, etcdOption } from '../coordination-options.js';
import { writeLine } from '../io.js';
import type { LoadedRunbook } from '../../runbook/index.js';
import type { HostLockState } from '../../runner/index.js';
import {
  READ_ONLY_CONNECTION,
  outputFormat,
  runOptionsFrom,
  servicesFor,
  targetOptions,
  varsFromArgs,
} from '../run-options.js';

export const command: CommandSpec = {
  name: 'plan',
  summary: 'Show what each step of a runbook would do now, changing nothing',
  usage: 'RUNBOOK [--var NAME=VALUE]... [--inventory FILE] [--os-cloud NAME] [--etcd ENDPOINTS] [--output text|json]',
  description: `
Validates RUNBOOK, binds the parameters, then asks every step what it would do given the live
state (BMC power state, Nova services and servers) without changing anything. Each line says:
  ~ will change   = no change   - skipped (its "when" is false)
  ? decided at run time (depends on outputs of an earlier step)   ! refused for safety   x error
A fence step in the plan counts as confirmed for the steps after it; a force-down without one is
shown as refused unless --assume-fenced is given.

Each OpenStack read gives up after 30 s (FORCEDOWN_API_BUDGET), saying on stderr at least
every 5 s what it waits for.

Examples:
  forcedown plan runbooks/host-failure.json --var host=cmp-07 --inventory inventory.json
  forcedown plan runbooks/evacuate-only.json --var host=cmp-07 --assume-fenced "PDU off, INC-4711"

Each distinct problem is shown once; later steps it concerns refer to it.

With coordination configured (--etcd, FORCEDOWN_ETCD_ENDPOINTS or the runbook's "coordination"),
the plan also shows who holds each host's etcd lock (run, machine, pid, since), read only: no
lock is taken. JSON: "locks": [{host, holder|null, error?}]. A lock that cannot be read is shown
as unknown and does not change the exit code.

Exit codes: 0 every step was planned (even if some would be refused: read it); otherwise the
code of the first problem that kept a step from being planned: 2 invalid input (runbook,
params, inventory, no or broken cloud configuration, unknown host), 4 authentication failed
while reading state, 1 anything else (e.g. Keystone or Nova unreachable); 130 interrupted.`,
  positionals: [1, 1],
  options: { ...targetOptions, ...etcdOption },
  async run(args, context) {
    const output = outputFormat(args);
    const { loadRunbook, bindParams } = await import('../../runbook/index.js');
    const loaded = await loadRunbook(args.positionals[0], context.cwd);
    const params = bindParams(loaded.runbook, await varsFromArgs(args, context));
    const { services } = await servicesFor(args, context, loaded, undefined, READ_ONLY_CONNECTION);
    const [{ planRun }, { catalog }, { formatPlan, formatLockStates, planExitCode, planProblems }] = await Promise.all([
      import('../../runner/index.js'),
      import('../../steps/catalog.js'),
      import('../format/plan-format.js'),
    ]);
    try {
      const locks = await lockStatesOf(args, context, loaded, params);
      const entries = await planRun({
        loaded,
        params,
        options: runOptionsFrom(args, context, true),
        catalog,
        services,
        env: context.env,
        signal: context.signal,
      });
      if (output === 'json') {
        const steps = entries.map((entry) =>
          entry.error ? { ...entry, error: { ...entry.error, exitCode: exitCodeFor(entry.error.kind) } } : entry,
        );
        const problems = planProblems(entries);
        const plan = { runbook: loaded.runbook.name, file: loaded.file, params, steps, problems };
        writeLine(context.stdout, JSON.stringify(locks ? { ...plan, locks } : plan, null, 2));
      } else {
        writeLine(context.stdout, formatPlan(loaded.runbook.name, entries));
        if (locks) writeLine(context.stdout, formatLockStates(locks));
      }
      if (context.signal.aborted) return ExitCode.Interrupted;
      return planExitCode(entries);
    } finally {
      await services.close();
    }
  },
};

/** Who holds each host's etcd lock (read only) when coordination is configured; undefined otherwise. */
async function lockStatesOf(
  args: ParsedArgs,
  context: CommandContext,
  loaded: LoadedRunbook,
  params: Readonly<Record<string, unknown>>,
): Promise<HostLockState[] | undefined> {
  const coordinator = await coordinatorFor(args, context, loaded);
  if (!coordinator) return undefined;
  try {
    const [{ lockHolders, runbookHosts }, { catalog }] = await Promise.all([
      import('../../runner/index.js'),
      import('../../steps/catalog.js'),
    ]);
    const hosts = await runbookHosts({ loaded, params, env: context.env, catalog });
    return await lockHolders(hosts, coordinator.locks);
  } finally {
    coordinator.close();
  }
}
