import type { Coordinator } from '../../coordination/index.js';
import { refused } from '../../errors/index.js';
import type { LoadedRunbook } from '../../runbook/index.js';
import type {
  RendererChoice,
  ResumeState,
  RunCoordination,
  RunEvent,
  RunOptions,
  RunOutcome,
  RunServices,
} from '../../runner/index.js';
import type { CommandContext, CommandSpec, ParsedArgs } from '../command.interface.js';
import { coordinatorFor, etcdOption } from '../coordination-options.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { writeLine } from '../io.js';
import {
  READ_ONLY_CONNECTION,
  checkApprovals,
  outputFormat,
  runOptionsFrom,
  servicesFor,
  targetOptions,
  varsFromArgs,
} from '../run-options.js';

/** Options of run and resume beyond the shared ones. */
export const executionOptions = {
  yes: {
    type: 'boolean',
    short: 'y',
    description:
      'Do not ask to confirm the run (needed unattended). Approve steps still ask at a terminal, or need --approve',
  },
  approve: {
    type: 'string',
    multiple: true,
    valueName: 'STEP-ID',
    description: 'Pass this approve step in advance (recorded); "all" passes every approve step (CI)',
  },
  'break-lock': {
    type: 'string',
    valueName: 'REASON',
    description:
      'Take over a stale host lock left by a dead run (the local lock file and, with etcd, its key; REASON is recorded)',
  },
  ...etcdOption,
} as const;

/** Asks at a terminal whether to run, after showing the plan; false when the answer is not yes. */
async function confirmAtTerminal(
  context: CommandContext,
  loaded: LoadedRunbook,
  params: Record<string, unknown>,
  options: RunOptions,
  services: RunServices,
): Promise<boolean> {
  const [{ formatPlan }, { planRun }, { catalog }] = await Promise.all([
    import('../format/plan-format.js'),
    import('../../runner/index.js'),
    import('../../steps/catalog.js'),
  ]);
  const entries = await planRun({
    loaded,
    params,
    options: { ...options, dryRun: true },
    catalog,
    services,
    env: context.env,
    signal: context.signal,
  });
  writeLine(context.stderr, formatPlan(loaded.runbook.name, entries));
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: context.stderr });
  try {
    const answer = await rl.question(`\nRun "${loaded.runbook.name}" now? This acts on real hosts. [y/N] `, {
      signal: context.signal,
    });
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** What a run uses of the coordinator. */
function runCoordination(coordinator: Coordinator): RunCoordination {
  return { locks: coordinator.locks, mirror: (runId) => coordinator.mirror(runId) };
}

type Verbosity = NonNullable<CommandContext['verbosity']>;

/**
 * listr2's live view needs a real terminal width (a PTY without one wraps every character);
 * --quiet shows no progress, --verbose plain lines (with the event lines beside them).
 */
function rendererFor(context: CommandContext, output: 'text' | 'json', verbosity: Verbosity): RendererChoice {
  if (output === 'json' || verbosity === 'quiet') return 'silent';
  const columns = (context.stderr as { columns?: number }).columns ?? 0;
  const progressTty = context.stderr.isTTY === true && columns >= 40 && context.env.CI === undefined;
  return progressTty && verbosity === 'normal' ? 'default' : 'simple';
}

/** JSON events on stdout with --output json; with --verbose, a line per event on stderr. */
async function eventWriter(
  context: CommandContext,
  output: 'text' | 'json',
  verbosity: Verbosity,
): Promise<((event: RunEvent) => void) | undefined> {
  if (output !== 'json' && verbosity !== 'verbose') return undefined;
  const { verboseLine } = await import('../format/verbose-events.js');
  return (event) => {
    if (output === 'json') writeLine(context.stdout, JSON.stringify(event));
    const line = verbosity === 'verbose' ? verboseLine(event) : undefined;
    if (line !== undefined) writeLine(context.stderr, line);
  };
}

/** Shared by run and resume: confirmation, renderer, events, summary. */
export async function executeFromCli(
  args: ParsedArgs,
  context: CommandContext,
  loaded: LoadedRunbook,
  params: Record<string, unknown>,
  secretParams: readonly string[],
  dryRun: boolean,
  resume?: ResumeState,
): Promise<number> {
  const output = outputFormat(args);
  const options = runOptionsFrom(args, context, dryRun);
  checkApprovals(loaded, options.approve);
  const [{ resolveStateDir, executeRun }, { catalog }] = await Promise.all([
    import('../../runner/index.js'),
    import('../../steps/catalog.js'),
  ]);
  const stateDir = resolveStateDir(args.values['state-dir'] as string | undefined, context.env, context.cwd);
  const { services, inventoryPath } = await servicesFor(
    args,
    context,
    loaded,
    resume?.started.options.inventory,
    dryRun ? READ_ONLY_CONNECTION : {},
  );
  // a dry run changes nothing: it takes no lock and mirrors nothing, it only says who holds each lock
  let coordinator: Awaited<ReturnType<typeof coordinatorFor>>;
  try {
    coordinator = await coordinatorFor(args, context, loaded);
    if (!dryRun && !options.yes) {
      if (!options.interactive) {
        throw refused(
          'CONFIRMATION_REQUIRED',
          `not running "${loaded.runbook.name}": this is not an interactive terminal and --yes was not given`,
          'review it with `forcedown plan ...` (or --dry-run), then re-run with --yes to act unattended',
        );
      }
      if (!(await confirmAtTerminal(context, loaded, params, options, services))) {
        writeLine(context.stderr, 'forcedown: not run (answer was not "yes"); nothing was changed');
        return ExitCode.Refused;
      }
    }
    // pre-flight (in executeRun) signs in and reads Nova before the first action; there is no
    // sign-in during the fence any more (the watch service keeps a warm session for speed)
    const verbosity = context.verbosity ?? 'normal';
    const outcome: RunOutcome = await executeRun({
      loaded,
      params,
      secretParams,
      options,
      stateDir,
      catalog,
      services,
      exitCodes: exitCodeFor,
      signal: context.signal,
      renderer: rendererFor(context, output, verbosity),
      progressStream: context.stderr,
      onEvent: await eventWriter(context, output, verbosity),
      env: context.env,
      meta: {
        ...(inventoryPath ? { inventory: inventoryPath } : {}),
        ...(args.values['os-cloud'] ? { cloud: args.values['os-cloud'] as string } : {}),
      },
      ...(resume ? { resume } : {}),
      ...(coordinator ? { coordination: runCoordination(coordinator) } : {}),
      ...(args.values['break-lock'] !== undefined ? { breakLock: args.values['break-lock'] as string } : {}),
    });
    if (output === 'text') {
      const { formatSummary } = await import('../format/summary-format.js');
      writeLine(context.stdout, formatSummary(outcome));
    }
    return outcome.exitCode;
  } finally {
    await services.close();
    coordinator?.close();
  }
}

export const command: CommandSpec = {
  name: 'run',
  summary: 'Run a runbook (fence, force down, evacuate, reset, recover...)',
  usage: 'RUNBOOK [--var NAME=VALUE]... [--inventory FILE] [--yes] [--dry-run] [--output text|json]',
  description: `
Validates RUNBOOK and runs its steps in order. Each step first reads the live state and does
nothing when nothing is needed (status "unchanged"), so re-running a finished runbook changes
nothing. On a terminal, the plan is shown first and you are asked to confirm; unattended runs
(CI) need --yes. --dry-run checks every step and reports what it would do, changing nothing.

Progress goes to stderr (listr2's live view on a terminal, plain lines otherwise). With
--output json, stdout carries one JSON event per line (run.started, step.started, step.output,
step.progress, step.finished with status changed|unchanged|skipped|failed, run.finished with the
summary). Every event is also appended to the run's journal, <state dir>/runs/<run-id>.jsonl.

Pre-flight: before the first action, every step's values are resolved and checked, and what the
steps need is loaded: inventory entries and password sources, the cloud configuration, then the
Keystone sign-in, the microversion and the compute service of every host a step names (reads
only). A problem stops the run there, each distinct problem listed once: nothing is changed and
no BMC is contacted.

Approve steps are human gates: only an answer at the terminal, --approve STEP-ID or
--approve all passes them (recorded in the journal). --yes confirms the run, not its gates:
unattended, a gate without --approve stops the run with exit 3.

Deadlines: each OpenStack call, with its retries, gives up after 50 s (30 s with --dry-run;
FORCEDOWN_API_BUDGET), or at the step's timeout; while it waits, the step says so at least every 5 s.

Safety: force-down and evacuate refuse (exit 3) unless this run confirmed the host powered off
through its BMC, or --assume-fenced "<reason>" asserts it (recorded). A fence that cannot be
confirmed stops the run before anything changes in Nova. One run per host at a time.

Examples:
  forcedown run runbooks/host-failure.json --var host=cmp-07 --inventory inventory.json
  forcedown run runbooks/host-failure.json --var host=cmp-07 --inventory inventory.json --dry-run
  forcedown run runbooks/host-failure.json --var host=cmp-07 --inventory inventory.json --yes --output json
  forcedown run my-gated.json --var host=cmp-07 --yes --approve ok-to-evacuate
  forcedown run runbooks/host-failure.json --var host=cmp-07 --yes --etcd https://etcd1:2379,https://etcd2:2379

Exit codes: 0 ok; 1 a step failed, or the run failed after it had changed something (the summary
lists what changed); 2 invalid input, nothing was changed; 3 refused for safety; 4 auth;
130 interrupted.`,
  positionals: [1, 1],
  options: {
    ...targetOptions,
    ...executionOptions,
    'dry-run': { type: 'boolean', description: 'Check every step and report what it would do; change nothing' },
  },
  async run(args, context) {
    const { loadRunbook, bindParams, secretParamNames } = await import('../../runbook/index.js');
    const loaded = await loadRunbook(args.positionals[0], context.cwd);
    const params = bindParams(loaded.runbook, await varsFromArgs(args, context));
    return executeFromCli(
      args,
      context,
      loaded,
      params,
      secretParamNames(loaded.runbook),
      args.values['dry-run'] === true,
    );
  },
};
