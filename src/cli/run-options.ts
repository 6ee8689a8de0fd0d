import { invalidInput } from '../errors/index.js';
import { didYouMean } from '../validation/index.js';
import type { LoadedRunbook } from '../runbook/index.js';
import type { RunOptions, RunServices } from '../runner/index.js';
import type { RunServicesOptions } from './run-services.js';
import type { CommandContext, OptionSpec, ParsedArgs } from './command.interface.js';
import { escapeForTerminal } from './io.js';
import { waitsTo } from './openstack-options.js';

/** Options shared by plan, run and resume. */
export const targetOptions: Readonly<Record<string, OptionSpec>> = {
  var: { type: 'string', multiple: true, valueName: 'NAME=VALUE', description: 'Set a runbook parameter' },
  inventory: {
    type: 'string',
    valueName: 'FILE',
    description: 'BMC inventory (how to power each host off/on)',
    defaultText: 'FORCEDOWN_INVENTORY, else the runbook\'s "inventory"',
  },
  'os-cloud': {
    type: 'string',
    valueName: 'NAME',
    description: 'Cloud from clouds.yaml',
    defaultText: 'OS_CLOUD, else OS_* variables',
  },
  insecure: { type: 'boolean', description: "Do not verify the cloud's TLS certificate (warns; prefer OS_CACERT)" },
  'assume-fenced': {
    type: 'string',
    valueName: 'REASON',
    description:
      "Assert the target hosts are powered off by other means, so force-down/evacuate may proceed without a fence step; REASON is recorded in the journal, events and Nova's disabled reason",
  },
  'state-dir': {
    type: 'string',
    valueName: 'DIR',
    description: 'Where journals and locks live',
    defaultText: 'FORCEDOWN_STATE_DIR, else $XDG_STATE_HOME/forcedown',
  },
  output: {
    type: 'string',
    valueName: 'FORMAT',
    description: 'text, or json (one JSON event per line on stdout)',
    defaultText: 'text',
  },
};

/** Reads `--output`; an input error for other values. */
export function outputFormat(args: ParsedArgs): 'text' | 'json' {
  const output = (args.values.output as string | undefined) ?? 'text';
  if (output !== 'text' && output !== 'json')
    throw invalidInput('USAGE', `--output must be text or json, not "${output}"`, 'use --output text or --output json');
  return output;
}

/** Reads `--assume-fenced`; the reason must say something. */
export function assumeFencedReason(args: ParsedArgs): string | undefined {
  const reason = args.values['assume-fenced'] as string | undefined;
  if (reason === undefined) return undefined;
  if (reason.trim().length < 4) {
    throw invalidInput(
      'USAGE',
      '--assume-fenced needs a real reason (who or what fenced the host, and when)',
      'write e.g. --assume-fenced "PDU port 12 switched off by J. Doe, INC-4711"',
    );
  }
  return reason.trim();
}

/**
 * How `plan` and `run --dry-run` call OpenStack: they only read, so they give up like `services`
 * (3 retries, 30 s per call) rather than ride out an outage as a run does (50 s).
 */
export const READ_ONLY_CONNECTION: Pick<RunServicesOptions, 'retry' | 'deadlines'> = {
  retry: { retries: 3 },
  deadlines: { budgetMs: 30_000 },
};

/**
 * Builds the services of a run from the shared options. `connection` replaces a run's retries
 * and time limits of OpenStack calls (plan reads like `services`: fewer retries, 30 s per call).
 */
export async function servicesFor(
  args: ParsedArgs,
  context: CommandContext,
  loaded: LoadedRunbook | undefined,
  storedInventory?: string,
  connection: Pick<RunServicesOptions, 'retry' | 'deadlines'> = {},
): Promise<{ services: RunServices; inventoryPath: string | undefined }> {
  const { loadInventory, resolveInventoryPath } = await import('../inventory/index.js');
  const { createRunServices } = await import('./run-services.js');
  const given = resolveInventoryPath({
    flag: args.values.inventory as string | undefined,
    env: context.env,
    cwd: context.cwd,
    runbookInventory: loaded?.runbook.inventory,
    runbookPath: loaded?.absolutePath,
  });
  // an inventory named on this command line (or FORCEDOWN_INVENTORY, or the runbook) is read and
  // validated now: an invalid one is invalid input (exit 2) before any journal, BMC or API call,
  // not a failed step halfway through a run or an error line in an otherwise "successful" plan
  const inventory = given === undefined ? undefined : await loadInventory(given, context.env);
  const inventoryPath = given ?? storedInventory;
  const services = createRunServices({
    ...(inventory ? { inventory } : {}),
    cloud: args.values['os-cloud'] as string | undefined,
    ...(args.values.insecure === true ? { cloudOverrides: { verify: false } } : {}),
    inventoryPath,
    env: context.env,
    cwd: context.cwd,
    warn: (message) => context.stderr.write(`forcedown: warning: ${escapeForTerminal(message)}\n`),
    onWait: waitsTo(context),
    signal: context.signal,
    ...connection,
  });
  return { services, inventoryPath };
}

/**
 * `--approve` values must name approve steps of the runbook (or be `all`): a mistyped id would
 * leave its gate closed and stop the run there, after earlier steps have acted.
 */
export function checkApprovals(loaded: LoadedRunbook, approve: ReadonlySet<string>): void {
  const gates = loaded.runbook.steps.filter((step) => step.type === 'approve').map((step) => step.id);
  for (const id of approve) {
    if (id === 'all' || gates.includes(id)) continue;
    throw invalidInput(
      'USAGE',
      `--approve ${id}: runbook "${loaded.runbook.name}" has no approve step "${id}"${didYouMean(id, gates)}`,
      gates.length > 0
        ? `its approve steps are ${gates.join(', ')}; pass one of them, or --approve all`
        : 'this runbook has no approve steps: drop --approve',
      { approve: id, gates },
    );
  }
}

/** The run options from the command line. */
export function runOptionsFrom(args: ParsedArgs, context: CommandContext, dryRun: boolean): RunOptions {
  return {
    dryRun,
    yes: args.values.yes === true,
    approve: new Set((args.values.approve as string[] | undefined) ?? []),
    assumeFenced: assumeFencedReason(args),
    breakLock: args.values['break-lock'] as string | undefined,
    interactive: process.stdin.isTTY === true && context.stderr.isTTY === true,
  };
}
