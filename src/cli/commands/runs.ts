import { ExitCode } from '../exit-codes.js';
import type { CommandSpec } from '../command.interface.js';
import { STATUS_LABEL } from '../format/run-status.js';
import { renderTable } from '../format/table.js';
import { writeLine } from '../io.js';
import type { CommandContext, ParsedArgs } from '../command.interface.js';
import { coordinatorFor, etcdOption } from '../coordination-options.js';
import { outputFormat, targetOptions } from '../run-options.js';

/** `--all-machines`: the runs mirrored in etcd (every machine's), newest first. */
async function listAllMachines(args: ParsedArgs, context: CommandContext, output: 'text' | 'json'): Promise<number> {
  const { invalidInput } = await import('../../errors/index.js');
  const coordinator = await coordinatorFor(args, context);
  if (!coordinator)
    throw invalidInput(
      'USAGE',
      '--all-machines lists the runs mirrored in etcd, and no etcd is configured',
      'add --etcd URLS (or set FORCEDOWN_ETCD_ENDPOINTS), or drop --all-machines',
    );
  try {
    const runs = await coordinator.listRuns();
    if (output === 'json') writeLine(context.stdout, JSON.stringify(runs, null, 2));
    else if (runs.length === 0) writeLine(context.stdout, 'no runs in etcd');
    else
      writeLine(
        context.stdout,
        renderTable(
          ['RUN ID', 'RUNBOOK', 'HOSTS', 'STARTED', 'MACHINE', 'STATUS'],
          runs.map((run) => [
            run.runId,
            run.runbook,
            run.hosts.join(',') || '-',
            run.startedAt,
            `${run.machine} (pid ${run.pid})`,
            `${run.status}${run.exitCode !== undefined ? ` (exit ${run.exitCode})` : ''}${run.dryRun ? ' dry-run' : ''}${run.truncatedAt !== undefined ? ' (mirror truncated)' : ''}`,
          ]),
        ),
      );
    return ExitCode.Ok;
  } finally {
    coordinator.close();
  }
}

export const command: CommandSpec = {
  name: 'runs',
  summary: 'List runs recorded in the state directory',
  usage: '[--state-dir DIR] [--all-machines --etcd URLS] [--output text|json]',
  description: `
Lists the runs whose journals are in <state dir>/runs, newest first: run id, runbook, hosts, start
time, machine and outcome:
  succeeded              done (or nothing needed doing)
  invalid (nothing done) stopped on invalid input before changing anything (pre-flight, mostly)
  refused                refused for safety before changing anything
  auth failed            authentication or authorisation failed before changing anything
  failed                 a step failed; nothing had been changed
  failed after changes   stopped (failed, refused or invalid input) after changing something
  interrupted            stopped by Ctrl+C or SIGTERM
  incomplete             stopped without finishing (a crash, kill -9)
Dry runs are marked "dry-run". Runs marked * can be continued with \`forcedown resume RUN-ID\`
(never a dry run, nor a run that succeeded or was invalid before doing anything).

With --all-machines (needs --etcd or FORCEDOWN_ETCD_ENDPOINTS): the runs mirrored in etcd by
every machine of the region, with their machine and pid; "running" means not finished (alive, or
its machine died: \`forcedown resume RUN-ID\` continues it from here).

Examples:
  forcedown runs
  forcedown runs --all-machines --etcd https://etcd1:2379
  forcedown runs --output json`,
  positionals: [0, 0],
  options: {
    'state-dir': targetOptions['state-dir'],
    output: targetOptions.output,
    'all-machines': { type: 'boolean', description: 'List the runs of every machine, from etcd' },
    ...etcdOption,
  },
  async run(args, context) {
    const output = outputFormat(args);
    if (args.values['all-machines'] === true) return listAllMachines(args, context, output);
    const { listRuns, resolveStateDir } = await import('../../runner/index.js');
    const stateDir = resolveStateDir(args.values['state-dir'] as string | undefined, context.env, context.cwd);
    const runs = await listRuns(stateDir);
    if (output === 'json') {
      writeLine(context.stdout, JSON.stringify(runs, null, 2));
      return ExitCode.Ok;
    }
    if (runs.length === 0) {
      writeLine(context.stdout, `no runs in ${stateDir}`);
      return ExitCode.Ok;
    }
    writeLine(
      context.stdout,
      renderTable(
        ['RUN ID', 'RUNBOOK', 'HOSTS', 'STARTED', 'MACHINE', 'STATUS'],
        runs.map((run) => [
          run.runId,
          run.runbook,
          run.hosts.join(',') || '-',
          run.startedAt,
          run.machine,
          `${STATUS_LABEL[run.status]}${run.exitCode !== undefined ? ` (exit ${run.exitCode})` : ''}${run.dryRun ? ' dry-run' : ''}${run.resumable ? ' *' : ''}`,
        ]),
      ),
    );
    if (runs.some((run) => run.resumable))
      writeLine(context.stdout, '* can be continued: forcedown resume RUN-ID (see `forcedown runs --help`)');
    return ExitCode.Ok;
  },
};
