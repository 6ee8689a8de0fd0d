import { invalidInput } from '../../errors/index.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandEntry, CommandSpec, OptionSpec } from '../command.interface.js';

/** Flags every command takes (main reads them), with their help. */
const GLOBAL: Readonly<Record<string, string>> = {
  '--help': 'Show help',
  '--quiet': 'No progress, only results and errors',
  '--verbose': 'Every recorded fact on stderr',
  '--debug': 'Print error causes and stack traces',
};
/** Commands whose positional is a run id (completed from `forcedown runs`). */
const RUN_ID_COMMANDS = new Set(['resume', 'show', 'report']);
/** Known values of options, where there is a fixed set. */
const VALUES: Readonly<Record<string, string>> = {
  output: 'text json markdown junit',
  kind: 'runbook inventory desired-state',
  'os-interface': 'public internal admin',
};

interface Described {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly [string, OptionSpec][];
}

async function describeCommands(commands: readonly CommandEntry[]): Promise<Described[]> {
  const out: Described[] = [];
  for (const entry of commands) {
    const spec = await entry.load();
    out.push({ name: entry.name, summary: entry.summary, options: Object.entries(spec.options) });
  }
  return out;
}

function bashScript(described: readonly Described[]): string {
  const cases = described
    .map((c) => `    ${c.name}) opts="${c.options.map(([name]) => `--${name}`).join(' ')}" ;;`)
    .join('\n');
  const values = Object.entries(VALUES)
    .map(([name, list]) => `    --${name}) COMPREPLY=($(compgen -W "${list}" -- "$cur")); return ;;`)
    .join('\n');
  return `# bash completion for forcedown, generated from its command table by \`forcedown completion bash\`
# use: source <(forcedown completion bash)   (or save it in /etc/bash_completion.d/forcedown)
_forcedown() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd=\${COMP_WORDS[1]} opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${described.map((c) => c.name).join(' ')} help --help --version" -- "$cur"))
    return
  fi
  case "$prev" in
${values}
  esac
  case "$cmd" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts ${Object.keys(GLOBAL).join(' ')}" -- "$cur"))
  elif [[ " ${[...RUN_ID_COMMANDS].join(' ')} " == *" $cmd "* && "$prev" != --* ]]; then
    COMPREPLY=($(compgen -W "$(forcedown runs --output json 2>/dev/null | sed -n 's/^ *"runId": "\\(.*\\)",$/\\1/p')" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -o bashdefault -F _forcedown forcedown
`;
}

/** Text for a zsh spec: no brackets, colons or quotes (they are _arguments syntax). */
function zshText(text: string): string {
  return text
    .replace(/[[\]:'\\]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function zshOption(name: string, option: OptionSpec): string {
  const help = zshText(option.description);
  const repeat = option.multiple ? '*' : '';
  if (option.type === 'boolean') return `'${repeat}--${name}[${help}]'`;
  const values = VALUES[name];
  const action = values ? `(${values})` : '_files';
  return `'${repeat}--${name}=[${help}]:${zshText(option.valueName ?? 'value')}:${action}'`;
}

function zshScript(described: readonly Described[]): string {
  const list = described.map((c) => `    '${c.name}:${zshText(c.summary)}'`).join('\n');
  const global = Object.entries(GLOBAL)
    .map(([flag, help]) => `'${flag}[${zshText(help)}]'`)
    .join(' ');
  const cases = described
    .map((c) => {
      const positional = RUN_ID_COMMANDS.has(c.name) ? `'1:run id:_forcedown_runs'` : `'*:file:_files'`;
      return `    ${c.name}) _arguments ${[...c.options.map(([n, o]) => zshOption(n, o)), global, positional].join(' ')} ;;`;
    })
    .join('\n');
  return `#compdef forcedown
# zsh completion for forcedown, generated from its command table by \`forcedown completion zsh\`
# use: source <(forcedown completion zsh)   (or save it as _forcedown in a directory of $fpath)
_forcedown_runs() {
  local -a runs
  runs=(\${(f)"$(forcedown runs --output json 2>/dev/null | sed -n 's/^ *"runId": "\\(.*\\)",$/\\1/p')"})
  compadd -a runs
}
_forcedown() {
  local -a commands
  commands=(
${list}
  )
  if (( CURRENT == 2 )); then
    _describe 'forcedown command' commands
    return
  fi
  local cmd=$words[2]
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases}
  esac
}
compdef _forcedown forcedown
`;
}

/** The `completion` command for a command table (registry.ts hands in its own). */
export const completionCommand = (commands: readonly CommandEntry[]): CommandSpec => ({
  name: 'completion',
  summary: 'Print shell completion for bash or zsh (from the command table)',
  usage: 'bash|zsh',
  description: `
Prints a completion script for bash or zsh, generated from forcedown's own commands and options
(so it never lags behind them): commands, each command's options, the values of --output,
--kind and --os-interface, run ids (from \`forcedown runs\`) for resume, show and report, and
file names elsewhere.

Examples:
  source <(forcedown completion bash)                 # in ~/.bashrc
  forcedown completion bash > /etc/bash_completion.d/forcedown
  source <(forcedown completion zsh)                  # in ~/.zshrc, after compinit
  forcedown completion zsh > "\${fpath[1]}/_forcedown"

Exit codes: 0 printed; 2 unknown shell.`,
  positionals: [1, 1],
  options: {},
  async run(args, context) {
    const shell = args.positionals[0];
    if (shell !== 'bash' && shell !== 'zsh')
      throw invalidInput(
        'USAGE',
        `forcedown completion: unknown shell "${shell}"`,
        'use `forcedown completion bash` or `forcedown completion zsh`',
      );
    const described = await describeCommands(commands);
    context.stdout.write(shell === 'bash' ? bashScript(described) : zshScript(described));
    return ExitCode.Ok;
  },
});
