import type { CommandSpec } from './command.interface.js';
import type { CommandEntry } from './command.interface.js';

export const EXIT_CODES_HELP = `Exit codes:
  0    done (or nothing needed doing)
  1    a step failed
  2    invalid input (usage, runbook/inventory/config, unknown host or run)
  3    refused for safety (no confirmed fence, host locked, approval missing)
  4    authentication or authorisation failed (Keystone/Nova 401/403)
  130  interrupted (Ctrl+C/SIGTERM); resume with \`forcedown resume RUN-ID\``;

/** `forcedown --help`. */
export function mainHelp(commands: readonly CommandEntry[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `forcedown ${version} — declare a failed OpenStack compute host down now, safely

Fences the host through its BMC (power read back as off), forces its nova-compute service down
in Nova, evacuates every server and confirms each evacuation, resets what could not move.
Nothing is forced down or evacuated unless a power-off was confirmed (or asserted with
--assume-fenced "<reason>", which is recorded).

Usage: forcedown <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Global options:
  -h, --help     Show help (also: forcedown <command> --help)
  -V, --version  Print the version
  -q, --quiet    No progress on stderr: results, warnings and errors only
      --verbose  Also every recorded fact (evacuation requests, retries, the fence read-back) on stderr
      --debug    Print error causes and stack traces

Examples:
  forcedown validate runbooks/*.json
  forcedown plan runbooks/host-failure.json --var host=cmp-07 --inventory inventory.json
  forcedown run runbooks/host-failure.json --var host=cmp-07 --inventory inventory.json --dry-run
  forcedown run runbooks/host-failure.json --var host=cmp-07 --inventory inventory.json --yes --output json
  forcedown show RUN-ID --output markdown >> "$GITHUB_STEP_SUMMARY"
  source <(forcedown completion bash)

OpenStack credentials come from clouds.yaml/secure.yaml (--os-cloud or OS_CLOUD) or OS_*
variables, as the openstack CLI reads them.

Nothing waits forever: each OpenStack call has 10 s to connect (FORCEDOWN_CONNECT_TIMEOUT), 30 s
per answer (FORCEDOWN_API_TIMEOUT, or api_timeout in clouds.yaml) and 30 s with its retries
(FORCEDOWN_API_BUDGET; 50 s in run and resume without --dry-run). A call that waits says so at
least every 5 s.

${EXIT_CODES_HELP}
`;
}

/** `forcedown <command> --help`. */
export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ` ${option.valueName ?? 'VALUE'}` : ''}`;
    const extra = [option.multiple ? 'repeatable' : '', option.defaultText ? `default: ${option.defaultText}` : '']
      .filter(Boolean)
      .join('; ');
    return [flag, `${option.description}${extra ? ` (${extra})` : ''}`] as const;
  });
  rows.push(['-h, --help', 'Show this help'] as const);
  const width = Math.min(34, Math.max(...rows.map(([flag]) => flag.length)));
  const options = rows
    .map(([flag, text]) =>
      flag.length > width ? `  ${flag}\n  ${''.padEnd(width)}  ${text}` : `  ${flag.padEnd(width)}  ${text}`,
    )
    .join('\n');
  return `Usage: forcedown ${spec.name} ${spec.usage}

${spec.summary}

${spec.description.trim()}

Options:
${options}
`;
}
