import type { Writable } from 'node:stream';

/** One option of a command, as `node:util` parseArgs takes it, plus help text. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder shown in help (`--var KEY=VALUE`). */
  readonly valueName?: string;
  readonly description: string;
  /** Shown in help as "(default: ...)". */
  readonly defaultText?: string;
}

/** What every command receives. */
export interface CommandContext {
  /** Standard output: results (tables, JSON). */
  readonly stdout: Writable & { isTTY?: boolean };
  /** Standard error: progress, warnings, errors. */
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** `--debug`: print causes and stack traces of errors. */
  readonly debug: boolean;
  /** `--quiet` (no progress, only results and errors) or `--verbose` (every recorded fact too). */
  readonly verbosity?: Verbosity;
}

export type Verbosity = 'quiet' | 'normal' | 'verbose';

/** Parsed arguments of a command. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

/** A subcommand of the `forcedown` CLI (`src/cli/commands/<name>.ts`). */
export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage line after `forcedown <name>` (`RUNBOOK [--var KEY=VALUE]...`). */
  readonly usage: string;
  /** Paragraphs of help: what it does, examples, exit codes that matter. */
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Minimum and maximum number of positionals; @defaultValue `[0, Infinity]` */
  readonly positionals?: readonly [number, number];
  /** Runs the command; resolves with the exit code. Throw ForcedownError for user errors. */
  run(args: ParsedArgs, context: CommandContext): Promise<number>;
}

/** One entry of the command list: loaded only when used (keeps `--help` fast). */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<CommandSpec>;
}
