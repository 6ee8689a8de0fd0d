import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';

/** A stdout and a stderr for in-process CLI calls, with what was written to each so far. */
export function captureOutput(): { stdout: PassThrough; stderr: PassThrough; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, out: () => out, err: () => err };
}

/** Runs the CLI in-process with `dir` as HOME and cwd (no colour), collecting its output. */
export async function cliIn(
  dir: string,
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const io = captureOutput();
  const code = await main(argv, {
    stdout: io.stdout,
    stderr: io.stderr,
    env: { HOME: dir, NO_COLOR: '1', ...env },
    cwd: dir,
    signal: new AbortController().signal,
  });
  return { code, out: io.out(), err: io.err() };
}
