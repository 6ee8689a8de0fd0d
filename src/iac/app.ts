/**
 * forcedown's cdktf app (what `cdktf.json` runs): the desired-state file named by
 * `FORCEDOWN_DESIRED_STATE` → one Terraform stack. Invalid input ends the process with exit code 2
 * and every problem listed — no stack trace.
 */
import { App } from 'cdktf';
import { isForcedownError, invalidInput } from '../errors/index.js';

/** Exit codes of the cdktf app (its own program, run by `cdktf synth`): 0 synthesized, 1 failed, 2 invalid input. */
const SYNTH_EXIT = { ok: 0, failed: 1, invalidInput: 2 } as const;
import { escapeForTerminal } from '../validation/index.js';
import { loadDesiredState } from './desired-state.js';
import { DesiredStateStack } from './stack.js';

/** The environment variable naming the desired-state file. */
export const DESIRED_STATE_ENV = 'FORCEDOWN_DESIRED_STATE';

/** Options of {@link synthesizeApp}. */
export interface SynthesizeOptions {
  /** @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Output directory. @defaultValue `CDKTF_OUTDIR` as cdktf sets it, else `cdktf.out` */
  readonly outdir?: string;
}

/** Builds the app and stack from the desired-state file (throws ForcedownError on bad input). */
export function buildApp(options: SynthesizeOptions = {}): { app: App; stack: DesiredStateStack } {
  const env = options.env ?? process.env;
  const file = env[DESIRED_STATE_ENV];
  if (file === undefined || file.trim() === '') {
    throw invalidInput(
      'DESIRED_STATE_MISSING',
      `${DESIRED_STATE_ENV} is not set: the forcedown cdktf app needs a desired-state file`,
      `run e.g. \`${DESIRED_STATE_ENV}=desired-state.json cdktf synth\` (schema: schemas/desired-state.schema.json, example in docs/iac.md)`,
    );
  }
  const desired = loadDesiredState(file);
  const app = new App(options.outdir === undefined ? {} : { outdir: options.outdir });
  const stack = new DesiredStateStack(app, desired);
  return { app, stack };
}

/** Synthesizes; resolves with the exit code (0, or 2 for invalid input with the problems on stderr). */
export function synthesizeApp(
  options: SynthesizeOptions & { readonly stderr?: { write(text: string): unknown } } = {},
): number {
  const stderr = options.stderr ?? process.stderr;
  try {
    buildApp(options).app.synth();
    return SYNTH_EXIT.ok;
  } catch (error) {
    if (isForcedownError(error)) {
      stderr.write(`forcedown: ${escapeForTerminal(error.message)}\n  hint: ${escapeForTerminal(error.hint)}\n`);
      return error.isInvalidInput ? SYNTH_EXIT.invalidInput : SYNTH_EXIT.failed;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (/Validation failed with the following errors/.test(message)) {
      stderr.write(`forcedown: the desired state does not make a valid stack:\n${escapeForTerminal(message)}\n`);
      return SYNTH_EXIT.invalidInput;
    }
    throw error;
  }
}
