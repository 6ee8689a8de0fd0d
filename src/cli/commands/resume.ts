import { invalidInput } from '../../errors/index.js';
import type { CommandSpec } from '../command.interface.js';
import type { CommandContext, ParsedArgs } from '../command.interface.js';
import { coordinatorFor } from '../coordination-options.js';
import { targetOptions, varsFromArgs } from '../run-options.js';

/**
 * The run's journal: the local one, else (coordination configured) its etcd mirror, written to
 * this state dir first so the resumed run continues it here.
 */
async function journalEvents(args: ParsedArgs, context: CommandContext, stateDir: string, runId: string) {
  const { readJournal } = await import('../../runner/index.js');
  try {
    return (await readJournal(stateDir, runId)).events;
  } catch (error) {
    const coordinator =
      (error as { code?: string }).code === 'UNKNOWN_RUN' ? await coordinatorFor(args, context) : undefined;
    if (!coordinator) throw error;
    try {
      const { importMirroredJournal } = await import('../mirrored-journal.js');
      return await importMirroredJournal(coordinator, stateDir, runId, error);
    } finally {
      coordinator.close();
    }
  }
}
import { executeFromCli, executionOptions } from './run.js';

export const command: CommandSpec = {
  name: 'resume',
  summary: 'Continue an interrupted or failed run from its journal',
  usage: 'RUN-ID [--yes] [--var NAME=VALUE]... [--output text|json]',
  description: `
Continues run RUN-ID (see \`forcedown runs\`) with the runbook text, parameters and inventory
recorded in its journal. Steps the journal shows finished are confirmed against live state, not
redone (a fence is re-read from the BMC; an evacuation step re-checks the host). Evacuations Nova
already accepted are tracked to completion through os-migrations, never sent again. A step that
was interrupted half-way is re-checked and finished. Failed steps run again.

A resume runs pre-flight first, as \`forcedown run\` does: nothing is confirmed or redone before
everything it needs was checked.

From another machine: with coordination on etcd (--etcd or FORCEDOWN_ETCD_ENDPOINTS), a run not
in this state dir is read from its etcd mirror (<prefix>/<region>/runs/<run-id>/) and continued
here; give the same inventory (--inventory) and cloud. The run's etcd host locks are taken again
first (a live holder is refused, exit 3; a dead one's lease expires within its TTL).

Secret parameters are not stored in the journal: give them again with --var. The run keeps its
id; its journal gets a run.resumed event and continues.

Examples:
  forcedown resume 20261125T114710Z-host-failure-3f9a1c --yes
  forcedown resume 20261125T114710Z-host-failure-3f9a1c --yes --output json
  forcedown resume 20261125T114710Z-host-failure-3f9a1c --yes --etcd https://etcd1:2379 --inventory inv.json

Exit codes: as for \`forcedown run\`; 2 if RUN-ID is unknown.`,
  positionals: [1, 1],
  options: {
    var: targetOptions.var,
    inventory: targetOptions.inventory,
    'os-cloud': targetOptions['os-cloud'],
    insecure: targetOptions.insecure,
    'assume-fenced': targetOptions['assume-fenced'],
    'state-dir': targetOptions['state-dir'],
    output: targetOptions.output,
    ...executionOptions,
  },
  async run(args, context) {
    const runId = args.positionals[0];
    const { resolveStateDir, resumeStateFrom } = await import('../../runner/index.js');
    const stateDir = resolveStateDir(args.values['state-dir'] as string | undefined, context.env, context.cwd);
    const state = resumeStateFrom(await journalEvents(args, context, stateDir, runId));
    if (!state)
      throw invalidInput(
        'JOURNAL_CORRUPT',
        `the journal of ${runId} has no run.started event`,
        'it cannot be resumed; start a new run',
      );
    if (state.started.options.dryRun)
      throw invalidInput(
        'RESUME_DRY_RUN',
        `run ${runId} was a dry run; there is nothing to resume`,
        'start a real run with `forcedown run`',
      );
    const { loadRunbookText, bindParams } = await import('../../runbook/index.js');
    const loaded = loadRunbookText(state.started.runbook.text, state.started.runbook.file, state.started.runbook.file);
    const given = await varsFromArgs(args, context);
    const stored = Object.fromEntries(Object.entries(state.started.params).map(([key, value]) => [key, String(value)]));
    for (const key of Object.keys(given)) {
      if (key in stored && stored[key] !== given[key]) {
        throw invalidInput(
          'RESUME_PARAM_CHANGED',
          `--var ${key} differs from the value run ${runId} started with`,
          'a resumed run keeps its parameters; start a new run to change them',
        );
      }
    }
    const params = bindParams(loaded.runbook, { ...stored, ...given });
    const assumed = state.started.options.assumeFenced;
    const argsWithAssumed =
      assumed && args.values['assume-fenced'] === undefined
        ? { ...args, values: { ...args.values, 'assume-fenced': assumed } }
        : args;
    return executeFromCli(argsWithAssumed, context, loaded, params, state.started.secretParams, false, state);
  },
};
