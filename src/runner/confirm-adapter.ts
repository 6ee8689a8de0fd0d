import { createInterface } from 'node:readline/promises';
import { ListrPromptAdapter, ListrTaskEventType } from 'listr2';

/**
 * A listr2 prompt adapter asking one yes/no question with node:readline, so approve steps can
 * ask on a terminal while the renderer is running (no prompt library needed).
 */
export class ConfirmPromptAdapter extends ListrPromptAdapter {
  async run<T = boolean>(question: string, signal?: AbortSignal): Promise<T> {
    const output = this.wrapper.stdout(ListrTaskEventType.PROMPT);
    this.reportStarted();
    const rl = createInterface({ input: process.stdin, output, terminal: false });
    try {
      const answer = await rl.question(`${question} [y/N] `, signal ? { signal } : {});
      this.reportCompleted();
      return /^(y|yes)$/i.test(answer.trim()) as T;
    } catch (error) {
      this.reportFailed();
      throw error;
    } finally {
      rl.close();
    }
  }
}
