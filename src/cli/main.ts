import { parseArgs, type ParseArgsConfig } from 'node:util';
import { invalidInput } from '../errors/index.js';
import { ExitCode } from './exit-codes.js';
import { didYouMean } from '../validation/suggest.js';
import type { CommandContext, CommandSpec, ParsedArgs } from './command.interface.js';
import { guardClosedOutput } from './closed-output.js';
import { printError } from './format/error-output.js';
import { commandHelp, mainHelp } from './help.js';
import { commands } from './registry.js';

/** Streams and environment of one CLI invocation (tests inject their own). */
export interface MainIo {
  readonly stdout: CommandContext['stdout'];
  readonly stderr: CommandContext['stderr'];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on SIGINT/SIGTERM; main installs handlers when omitted. */
  readonly signal?: AbortSignal;
}

async function version(): Promise<string> {
  return (await import('../version.js')).forcedownVersion;
}

function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const options: NonNullable<ParseArgsConfig['options']> = {
    help: { type: 'boolean', short: 'h' },
    debug: { type: 'boolean' },
  };
  for (const [name, option] of Object.entries(spec.options)) {
    options[name] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      ...(option.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
    const suggestion = unknown ? didYouMean(unknown.replace(/^-+/, ''), Object.keys(spec.options)) : '';
    throw invalidInput(
      'USAGE',
      `forcedown ${spec.name}: ${message.replace(/\. To specify a positional argument.*$/s, '')}${suggestion}`,
      `see \`forcedown ${spec.name} --help\``,
    );
  }
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
}

/**
 * The forcedown CLI: parses the command line, dispatches to a subcommand, prints user errors as
 * readable text with a hint (a stack trace only with --debug), and resolves with the exit code.
 */
export async function main(argv: readonly string[], io?: Partial<MainIo>): Promise<number> {
  const stdout = io?.stdout ?? process.stdout;
  const stderr = io?.stderr ?? process.stderr;
  const env = io?.env ?? process.env;
  const cwd = io?.cwd ?? process.cwd();
  const debug = argv.includes('--debug');
  // a reader that exits early (`| head -1`) must not crash a run half-way (EPIPE)
  // (kept for the life of the process: a write may fail after main has returned)
  // (a notice only for runs, which go on; `forcedown --help | head` stays quiet like other tools)
  const running = ['run', 'resume'].includes(argv.find((arg) => arg !== '--debug') ?? '');
  if (!io?.stdout) guardClosedOutput(process.stdout, 'standard output', running ? process.stderr : undefined);
  if (!io?.stderr) guardClosedOutput(process.stderr, 'standard error');

  let signal = io?.signal;
  let removeSignalHandlers = (): void => undefined;
  if (!signal) {
    const controller = new AbortController();
    signal = controller.signal;
    let count = 0;
    const onSignal = (name: NodeJS.Signals): void => {
      count += 1;
      if (count === 1) {
        stderr.write(
          `\nforcedown: ${name} received: stopping after the current call; the journal stays consistent (press Ctrl+C again to exit now)\n`,
        );
        controller.abort(Object.assign(new Error(`interrupted by ${name}`), { name: 'AbortError' }));
      } else {
        stderr.write('forcedown: exiting now\n');
        process.exit(ExitCode.Interrupted);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    removeSignalHandlers = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }

  try {
    const first = argv.find((arg) => arg !== '--debug');
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      if (first === 'help' && argv.length > 1) return await main([argv[argv.indexOf('help') + 1], '--help'], io);
      stdout.write(mainHelp(commands, await version()));
      return first === undefined ? ExitCode.InvalidInput : ExitCode.Ok;
    }
    if (first === '-V' || first === '--version') {
      stdout.write(`${await version()}\n`);
      return ExitCode.Ok;
    }
    const entry = commands.find((candidate) => candidate.name === first);
    if (!entry) {
      if (first.startsWith('-'))
        throw invalidInput(
          'USAGE',
          `unknown option ${first} before the command`,
          'put options after the command: forcedown <command> [options]; see `forcedown --help`',
        );
      throw invalidInput(
        'USAGE',
        `unknown command "${first}"${didYouMean(
          first,
          commands.map((c) => c.name),
        )}`,
        'see `forcedown --help` for the commands',
      );
    }
    const spec = await entry.load();
    const rest = argv.slice(argv.indexOf(first) + 1).filter((arg) => arg !== '--debug');
    const args = parseCommandArgs(spec, rest);
    if (args.values.help === true) {
      stdout.write(commandHelp(spec));
      return ExitCode.Ok;
    }
    const [min, max] = spec.positionals ?? [0, Infinity];
    if (args.positionals.length < min) {
      throw invalidInput(
        'USAGE',
        `forcedown ${spec.name}: missing argument (usage: forcedown ${spec.name} ${spec.usage})`,
        `see \`forcedown ${spec.name} --help\``,
      );
    }
    if (args.positionals.length > max) {
      throw invalidInput(
        'USAGE',
        `forcedown ${spec.name}: unexpected argument "${args.positionals[max]}" (usage: forcedown ${spec.name} ${spec.usage})`,
        `see \`forcedown ${spec.name} --help\``,
      );
    }
    return await spec.run(args, { stdout, stderr, env, cwd, signal, debug });
  } catch (error) {
    return printError(stderr, error, debug);
  } finally {
    removeSignalHandlers();
  }
}
