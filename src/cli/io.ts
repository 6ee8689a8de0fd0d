import type { Writable } from 'node:stream';
import { escapeForTerminal } from '../validation/terminal-text.js';

export { escapeForTerminal };

/** Writes a line to a stream, with control characters escaped (input files are echoed in messages). */
export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${escapeForTerminal(text)}\n`);
}

/** Whether to use colour on a stream: a TTY, unless NO_COLOR is set. */
export function useColor(
  stream: Writable & { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '1') return true;
  return stream.isTTY === true;
}
