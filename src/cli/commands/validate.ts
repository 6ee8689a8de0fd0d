import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExitCode } from '../exit-codes.js';
import type { CommandSpec } from '../command.interface.js';
import { writeLine } from '../io.js';

type Kind = 'runbook' | 'inventory' | 'desired-state' | 'watch';
const KINDS: readonly Kind[] = ['runbook', 'inventory', 'desired-state', 'watch'];

/** A regex for the member `name:` of JSON (`"name":`) or YAML (`name:`, `'name':`). */
function member(name: string, value = ''): RegExp {
  return new RegExp(`(?:^|[\\s{,])["']?${name}["']?\\s*:${value}`, 'm');
}

/** Guesses what a document (JSON or YAML) is: its `$schema`, else its top-level keys. */
function detectKind(text: string): Kind {
  const head = text.slice(0, 4000);
  const schema = /["']?\$schema["']?\s*:\s*["']?([^"'\s,}]*)/.exec(head)?.[1] ?? '';
  if (schema.includes('inventory')) return 'inventory';
  if (schema.includes('desired-state')) return 'desired-state';
  if (schema.includes('runbook')) return 'runbook';
  if (schema.includes('watch')) return 'watch';
  if (member('steps').test(text)) return 'runbook';
  // before "hosts": a watch config's aggregates have hosts too
  if (member('(?:staleAfter|confirmSamples|guards|maxStaleFraction)').test(text)) return 'watch';
  // both inventories and desired-state files have "hosts": an inventory's hosts have a "bmc", a
  // desired state's a "state" (and it may have "provider", "stack" or "statePath")
  if (member('bmc').test(text)) return 'inventory';
  const hosts = member('hosts', '\\s*(?:\\{|$)');
  if (hosts.test(text) && member('(?:state|provider|stack|statePath)').test(text)) return 'desired-state';
  if (hosts.test(text)) return 'inventory';
  return 'runbook';
}

export const command: CommandSpec = {
  name: 'validate',
  summary: 'Check runbooks, inventories, desired-state files and watch configs against their schemas',
  usage: 'FILE... [--kind runbook|inventory|desired-state|watch] [--output text|json]',
  description: `
Validates each FILE (JSON, or YAML when named .yaml/.yml) and prints every problem at once, each with the file, line and column, the
JSON path of the offending value and what was expected. Runbooks are also checked for duplicate
step ids, references to undefined params, to unknown or later steps, to outputs a step does not
have, to environment variables not listed in "env", zero durations, durations fed by parameters
that cannot hold one, "when" comparisons that can never be true, and plain-http webhooks to
hosts other than loopback. Watch configurations (forcedown watch --config) are checked against
schemas/watch.schema.json, their coordination section included. Inventories are checked for plain-http Redfish without
"insecure": true and IPMI cipher suite 0. Both are refused for URLs with credentials in them.
Nothing is run and nothing is contacted.

The kind of each file is taken from its "$schema" (or its top-level keys) unless --kind is given.

Examples:
  forcedown validate runbooks/*.json
  forcedown validate my-inventory.yaml --kind inventory
  forcedown validate deploy/watch.example.yaml
  forcedown validate runbooks/host-failure.json --output json

Exit codes: 0 all valid; 2 at least one file has problems (or cannot be read).`,
  positionals: [1, Infinity],
  options: {
    kind: {
      type: 'string',
      valueName: 'KIND',
      description: 'What the files are: runbook, inventory, desired-state or watch',
      defaultText: 'detected per file',
    },
    output: {
      type: 'string',
      valueName: 'FORMAT',
      description: 'text, or json (an array of {file, kind, valid, problems})',
      defaultText: 'text',
    },
  },
  async run(args, context) {
    const output = (args.values.output as string | undefined) ?? 'text';
    const kindFlag = args.values.kind as string | undefined;
    const { invalidInput } = await import('../../errors/index.js');
    if (output !== 'text' && output !== 'json')
      throw invalidInput(
        'USAGE',
        `--output must be text or json, not "${output}"`,
        'use --output text or --output json',
      );
    if (kindFlag !== undefined && !KINDS.includes(kindFlag as Kind)) {
      throw invalidInput(
        'USAGE',
        `--kind must be runbook, inventory, desired-state or watch, not "${kindFlag}"`,
        'omit --kind to detect it from each file',
      );
    }
    const { checkRunbookText } = await import('../../runbook/index.js');
    const { checkInventoryText } = await import('../../inventory/index.js');
    const { formatProblem } = await import('../../validation/index.js');
    // what `cdktf synth` checks (schema, reworded secrets, colliding resource names...), not only the schema
    const { checkDesiredState } = await import('../../iac/desired-state.js');
    const { checkWatchConfigText } = await import('../../watch/config.js');
    const results: {
      file: string;
      kind: Kind;
      valid: boolean;
      problems: { line?: number; column?: number; pointer: string; message: string }[];
    }[] = [];
    for (const file of args.positionals) {
      let text: string;
      try {
        text = await readFile(resolve(context.cwd, file), 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        results.push({
          file,
          kind: (kindFlag as Kind) ?? 'runbook',
          valid: false,
          problems: [
            {
              pointer: '',
              message: `cannot read the file: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`,
            },
          ],
        });
        continue;
      }
      const kind = (kindFlag as Kind | undefined) ?? detectKind(text);
      let problems;
      if (kind === 'runbook') {
        const check = checkRunbookText(text, file);
        problems = check.ok ? [] : check.problems;
      } else if (kind === 'inventory') {
        const check = checkInventoryText(text, file);
        problems = check.ok ? [] : check.problems;
      } else if (kind === 'watch') {
        const check = checkWatchConfigText(text, file);
        problems = check.ok ? [] : check.problems;
      } else {
        problems = checkDesiredState(text, file).problems;
      }
      results.push({
        file,
        kind,
        valid: problems.length === 0,
        problems: problems.map((p) => ({
          line: p.position?.line,
          column: p.position?.column,
          pointer: p.pointer,
          message: p.message,
          text: formatProblem(p),
        })),
      });
    }
    if (output === 'json') {
      writeLine(context.stdout, JSON.stringify(results, null, 2));
    } else {
      for (const result of results) {
        if (result.valid) {
          writeLine(context.stdout, `ok       ${result.file} (${result.kind})`);
        } else {
          writeLine(
            context.stdout,
            `INVALID  ${result.file} (${result.kind}): ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`,
          );
          for (const problem of result.problems as { text?: string; message: string }[])
            writeLine(context.stdout, `  ${problem.text ?? `${result.file}: ${problem.message}`}`);
        }
      }
      const bad = results.filter((r) => !r.valid).length;
      if (bad > 0)
        writeLine(
          context.stderr,
          `forcedown: ${bad} of ${results.length} file${results.length === 1 ? '' : 's'} invalid; fix the problems above (nothing was run)`,
        );
    }
    return results.every((r) => r.valid) ? ExitCode.Ok : ExitCode.InvalidInput;
  },
};
