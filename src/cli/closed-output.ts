import type { Writable } from 'node:stream';

/** Error codes that mean the reader of a stream went away (`forcedown ... | head -1`). */
const CLOSED_CODES = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

const guarded = new WeakSet<Writable>();

/**
 * Keeps a closed standard output from crashing the process. Node raises an `error` event (EPIPE)
 * when the reader of a pipe exits early, and an unhandled one ends the process with a stack
 * trace, in the middle of a fence or an evacuation. With this guard the lost output is dropped,
 * one notice goes to `notices` (stderr), and the command goes on: a run's journal keeps every
 * event, so nothing is lost but the copy on the closed pipe.
 *
 * Errors other than a closed reader are rethrown as before. Guarding a stream twice is a no-op.
 */
export function guardClosedOutput(stream: Writable, name: string, notices?: Writable): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  let noticed = false;
  const onError = (error: NodeJS.ErrnoException): void => {
    if (!CLOSED_CODES.has(error.code ?? '')) throw error;
    if (noticed) return;
    noticed = true;
    if (notices && notices !== stream && !notices.destroyed) {
      notices.write(
        `forcedown: ${name} was closed by its reader; further output to it is dropped (a run goes on, and its journal keeps every event: \`forcedown runs\`)\n`,
      );
    }
  };
  stream.on('error', onError);
}
