import { ExitCode, exitCodeFor } from '../exit-codes.js';
import type { CommandSpec } from '../command.interface.js';
import { writeLine } from '../io.js';
import { READ_ONLY_CONNECTION, outputFormat, runOptionsFrom, servicesFor, targetOptions } from '../run-options.js';

export const command: CommandSpec = {
  name: 'plan',
  summary: 'Show what each step of a runbook would do now, changing nothing',
  usage: 'RUNBOOK [--var NAME=VALUE]... [--inventory FILE] [--os-cloud NAME] [--output text|json]',
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

Exit codes: 0 every step was planned (even if some would be refused: read it); otherwise the
code of the first problem that kept a step from being planned: 2 invalid input (runbook,
params, inventory, no or broken cloud configuration, unknown host), 4 authentication failed
while reading state, 1 anything else (e.g. Keystone or Nova unreachable); 130 interrupted.`,
  positionals: [1, 1],
  options: { ...targetOptions },
  async run(args, context) {
    const output = outputFormat(args);
    const { loadRunbook, bindParams, parseVars } = await import('../../runbook/index.js');
    const loaded = await loadRunbook(args.positionals[0], context.cwd);
    const params = bindParams(loaded.runbook, parseVars((args.values.var as string[] | undefined) ?? []));
    const { services } = await servicesFor(args, context, loaded, undefined, READ_ONLY_CONNECTION);
    const [{ planRun }, { catalog }, { formatPlan, planExitCode, planProblems }] = await Promise.all([
      import('../../runner/index.js'),
      import('../../steps/catalog.js'),
      import('../format/plan-format.js'),
    ]);
    try {
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
        writeLine(context.stdout, JSON.stringify(plan, null, 2));
      } else writeLine(context.stdout, formatPlan(loaded.runbook.name, entries));
      if (context.signal.aborted) return ExitCode.Interrupted;
      return planExitCode(entries);
    } finally {
      await services.close();
    }
  },
};
