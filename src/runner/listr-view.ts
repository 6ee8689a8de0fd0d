import type { Writable } from 'node:stream';
import {
  Listr,
  ListrLogger,
  ProcessOutput,
  type DefaultRenderer,
  type ListrTask,
  type ListrTaskWrapper,
  type SimpleRenderer,
} from 'listr2';
import type { Step } from '../generated/runbook.types.js';
import { formatDuration } from '../runbook/index.js';
import { escapeForTerminal } from '../validation/index.js';
import { ConfirmPromptAdapter } from './confirm-adapter.js';
import type { StepView } from './run-step.js';

type TaskWrapper = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

/** How progress is shown. */
export type RendererChoice = 'default' | 'simple' | 'silent';

function viewOf(task: TaskWrapper): StepView {
  return {
    title: (text) => {
      task.title = text;
    },
    output: (text) => {
      task.output = text;
    },
    skip: (text) => task.skip(text),
    prompt: (question, signal) => task.prompt(ConfirmPromptAdapter).run<boolean>(question, signal),
  };
}

const timer = {
  condition: true,
  field: (ms: number) => formatDuration(ms),
  format: () => (s: string) => s,
} as never;

/**
 * Shows the steps as listr2 tasks, in order, one at a time: `run` executes each. listr2 stops at
 * the first failed step unless it may fail (`continueOnError`); rejects with that failure.
 */
export async function runWithListr(
  steps: readonly Step[],
  run: (step: Step, view: StepView) => Promise<void>,
  renderer: RendererChoice,
  stream: Writable,
): Promise<void> {
  const tasks: ListrTask<unknown, typeof DefaultRenderer, typeof SimpleRenderer>[] = steps.map((step) => ({
    title: escapeForTerminal(step.title ?? `${step.id} (${step.type})`),
    exitOnError: step.continueOnError !== true,
    task: (_ctx, task) => run(step, viewOf(task)),
  }));
  const logger = new ListrLogger({
    processOutput: new ProcessOutput(stream as NodeJS.WriteStream, stream as NodeJS.WriteStream),
  });
  const listr = new Listr<unknown, 'default', 'simple'>(tasks, {
    concurrent: false,
    exitOnError: true,
    registerSignalListeners: false,
    renderer: 'default',
    fallbackRenderer: 'simple',
    fallbackRendererCondition: renderer === 'simple',
    silentRendererCondition: renderer === 'silent',
    rendererOptions: { logger, collapseSubtasks: false, showErrorMessage: true, formatOutput: 'wrap', timer },
    fallbackRendererOptions: { logger, timer },
  });
  await listr.run();
}
