import { ExitCode } from '../../errors/index.js';
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

Exit codes: 0 plan shown (even if steps would be refused: read it); 2 invalid runbook/params;
4 authentication failed while reading state.`,
  positionals: [1, 1],
  options: { ...targetOptions },
  async run(args, context) {
    const output = outputFormat(args);
    const { loadRunbook, bindParams, parseVars } = await import('../../runbook/index.js');
    const loaded = await loadRunbook(args.positionals[0], context.cwd);
    const params = bindParams(loaded.runbook, parseVars((args.values.var as string[] | undefined) ?? []));
    const { services } = await servicesFor(args, context, loaded, undefined, READ_ONLY_CONNECTION);
    const { planRun } = await import('../../runner/index.js');
    try {
      const entries = await planRun({
        loaded,
        params,
        options: runOptionsFrom(args, context, true),
        services,
        env: context.env,
        signal: context.signal,
      });
      if (output === 'json') {
        writeLine(
          context.stdout,
          JSON.stringify({ runbook: loaded.runbook.name, file: loaded.file, params, steps: entries }, null, 2),
        );
      } else {
        const { formatPlan } = await import('../format/plan-format.js');
        writeLine(context.stdout, formatPlan(loaded.runbook.name, entries));
      }
      const auth = entries.find((e) => e.error?.exitCode === ExitCode.Auth);
      if (auth) return ExitCode.Auth;
      if (context.signal.aborted) return ExitCode.Interrupted;
      return ExitCode.Ok;
    } finally {
      await services.close();
    }
  },
};
