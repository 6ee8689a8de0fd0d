import type { Writable } from 'node:stream';
import { toForcedownError } from '../../errors/index.js';
import { redact } from '../../secrets/index.js';
import { exitCodeOf } from '../exit-codes.js';
import { escapeForTerminal } from '../io.js';

/**
 * Prints an error for humans: what went wrong, what to do next, the code. A stack trace only
 * with --debug (and only for unexpected errors is it useful). Control characters copied from input
 * files into a message are escaped (see escapeForTerminal).
 */
export function printError(stream: Writable, thrown: unknown, debug: boolean): number {
  const error = toForcedownError(thrown);
  stream.write(`forcedown: error: ${escapeForTerminal(redact(error.message))}\n`);
  stream.write(`  what to do: ${escapeForTerminal(redact(error.hint))}\n`);
  const exitCode = exitCodeOf(error);
  stream.write(`  (code ${error.code}, exit ${exitCode})\n`);
  if (debug) {
    let cause: unknown = error;
    while (cause instanceof Error) {
      stream.write(`${escapeForTerminal(redact(cause.stack ?? String(cause)))}\n`);
      cause = cause.cause;
      if (cause) stream.write('caused by:\n');
    }
  }
  return exitCode;
}
