import { run } from '../exec/index.js';
import type { CommandStep } from '../generated/runbook.types.js';
import type { StepModule } from './step.interface.js';

function describe(argv: readonly string[]): string {
  return argv.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * `command`: runs a program (argv, no shell) through src/exec. With `check`, the check program
 * runs first (also in plan and dry-run: it must only read) and exit 0 means "already done".
 */
export const step: StepModule<CommandStep> = {
  type: 'command',
  defaultTimeoutMs: 60_000,
  title: (s) => `command: ${describe(s.command).slice(0, 80)}`,
  async check(s, context) {
    if (!s.check) return { needed: true, summary: `would run ${describe(s.command)}` };
    const result = await run(s.check[0], s.check.slice(1), {
      env: s.env,
      timeoutMs: context.timeoutMs,
      signal: context.signal,
      allowNonZeroExit: true,
      purpose: `check of step ${context.stepId}`,
    });
    if (result.exitCode === 0) {
      return {
        needed: false,
        summary: `check ${describe(s.check)} exited 0: nothing to do`,
        outputs: { stdout: '', stderr: '', exitCode: 0 },
      };
    }
    return { needed: true, summary: `check exited ${result.exitCode}: would run ${describe(s.command)}` };
  },
  async apply(s, context) {
    const result = await run(s.command[0], s.command.slice(1), {
      env: s.env,
      input: s.input,
      timeoutMs: context.timeoutMs,
      signal: context.signal,
      purpose: `step ${context.stepId}`,
    });
    const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
    if (lastLine) context.output(lastLine);
    return {
      summary: `ran ${describe(s.command).slice(0, 120)} (exit 0)`,
      outputs: { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode },
    };
  },
  async confirmJournaled(s, context) {
    // a command cannot be re-read; trust the journal unless a check says otherwise
    if (!s.check) return true;
    return !(await this.check(s, context)).needed;
  },
};
