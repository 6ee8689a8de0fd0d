import { appendFileSync } from 'node:fs';
import { execa } from 'execa';
import { invalidInput } from '../errors/index.js';
import { SecretRegistry, secrets as processSecrets } from '../secrets/index.js';
import { ExecError } from './exec-error.js';
import type { ExecOptions, ExecRecord, ExecResult } from './exec.interface.js';

/**
 * The only place in forcedown that starts processes. It never uses a shell, refuses secrets in
 * argv, redacts secrets from everything it returns or throws, enforces a timeout, and honours
 * cancellation and dry-run.
 */

const DEFAULT_TIMEOUT_MS = 60_000;
const FORCE_KILL_AFTER_MS = 2_000;

const spawnLog: ExecRecord[] = [];
const MAX_SPAWN_LOG = 1000;

/** The spawns of this process so far (redacted argv), newest last; for audits and tests. */
export function spawnHistory(): readonly ExecRecord[] {
  return spawnLog;
}

/** The environment variable naming the spawn audit file (see {@link auditSpawn}). */
export const SPAWN_AUDIT_ENV = 'FORCEDOWN_SPAWN_AUDIT';

/**
 * Opt-in audit of child processes: with FORCEDOWN_SPAWN_AUDIT=<file> in forcedown's environment,
 * every spawn appends one JSON line `{at, pid, file, args, cwd, envKeys}` to that file (created
 * 0600) before the child starts. `args` are the argv exactly as the child gets it, unredacted,
 * so that a secret scan can prove none is there: they hold nothing the kernel does not already
 * show every local user in /proc/PID/cmdline while the child runs (and a registered secret in
 * argv is refused above). Only the names of extra environment variables are written, never
 * their values. The audit fails closed: if the line cannot be written, nothing is spawned.
 */
function auditSpawn(file: string, args: readonly string[], options: ExecOptions): void {
  const target = process.env[SPAWN_AUDIT_ENV];
  if (!target) return;
  const line = `${JSON.stringify({ at: new Date().toISOString(), pid: process.pid, file, args, cwd: options.cwd ?? process.cwd(), envKeys: Object.keys(options.env ?? {}).sort() })}\n`;
  try {
    appendFileSync(target, line, { mode: 0o600 });
  } catch (error) {
    throw invalidInput(
      'EXEC_AUDIT_FAILED',
      `refusing to run ${file}: cannot append to the spawn audit file ${target} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      `fix ${SPAWN_AUDIT_ENV} (a writable file), or unset it`,
    );
  }
}

/** The fields of execa's result (with `reject: false`) that forcedown reads. */
interface ChildOutcome {
  /** Text: stdout and stderr are piped and buffered, utf8, without `lines`. */
  readonly stdout?: string;
  readonly stderr?: string;
  readonly failed: boolean;
  readonly exitCode?: number;
  readonly signal?: string;
  readonly timedOut: boolean;
  readonly isCanceled: boolean;
  readonly isTerminated: boolean;
  readonly originalMessage?: string;
  readonly shortMessage?: string;
  readonly cause?: { readonly code?: string };
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function redactorFor(extra: readonly string[] | undefined): (text: string) => string {
  if (!extra || extra.length === 0) return (text) => processSecrets.redact(text);
  const local = new SecretRegistry();
  for (const value of extra) local.add(value);
  return (text) => processSecrets.redact(local.redact(text));
}

function containsSecret(word: string, extra: readonly string[] | undefined): boolean {
  if (processSecrets.contains(word)) return true;
  return (extra ?? []).some((secret) => secret.length > 0 && word.includes(secret));
}

/**
 * Runs `file` with `args` (no shell) and resolves with its redacted output.
 * Rejects with {@link ExecError} on non-zero exit (unless `allowNonZeroExit`), timeout,
 * cancellation or a missing program; with an input error (exit 2) if a secret is in `args`.
 */
export async function run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const clean = redactorFor(options.secrets);
  if ([file, ...args].some((word) => containsSecret(word, options.secrets))) {
    throw invalidInput(
      'EXEC_SECRET_IN_ARGV',
      `refusing to run ${clean(file)}: a secret would appear in its command line`,
      'pass secrets through the environment, stdin or a file (for IPMI: the inventory `password` as `env` or `file`)',
    );
  }
  const command = clean([file, ...args].map(quote).join(' '));
  if (options.dryRun) {
    return { command, exitCode: 0, stdout: '', stderr: '', durationMs: 0, dryRun: true };
  }
  auditSpawn(file, args, options);
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    const child = execa(file, [...args], {
      shell: false,
      env: options.env ? { ...options.env } : undefined,
      extendEnv: true,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : undefined,
      cwd: options.cwd,
      timeout: timeoutMs > 0 ? timeoutMs : undefined,
      cancelSignal: options.signal,
      forceKillAfterDelay: FORCE_KILL_AFTER_MS,
      reject: false,
      stripFinalNewline: true,
      maxBuffer: 16 * 1024 * 1024,
      verbose: 'none',
    });
    spawnLog.push({ file: clean(file), args: args.map(clean), pid: child.pid, at: new Date(started).toISOString() });
    if (spawnLog.length > MAX_SPAWN_LOG) spawnLog.shift();
    const result = (await child) as unknown as ChildOutcome;
    const stdout = clean(result.stdout ?? '');
    const stderr = clean(result.stderr ?? '');
    const durationMs = Date.now() - started;
    const failedToStart =
      result.failed && result.exitCode === undefined && !result.isTerminated && !result.timedOut && !result.isCanceled;
    const startCode = String(result.cause?.code ?? result.originalMessage ?? '');
    const notFound = failedToStart && /ENOENT|EACCES/.test(startCode);
    if (result.failed) {
      const nonZeroOnly = !result.timedOut && !result.isCanceled && !failedToStart && !result.isTerminated;
      if (!(nonZeroOnly && options.allowNonZeroExit)) {
        throw new ExecError(
          {
            command,
            purpose: options.purpose,
            exitCode: result.exitCode,
            signal: result.signal,
            stdout,
            stderr: failedToStart && !notFound ? clean(result.originalMessage ?? '') : stderr,
            durationMs,
            timedOut: result.timedOut,
            isCanceled: result.isCanceled,
            notFound,
          },
          // the execa error's message contains the unredacted command line and output: keep only
          // redacted facts in the cause
          new Error(clean(result.shortMessage ?? 'process failed')),
        );
      }
    }
    return { command, exitCode: result.exitCode ?? 0, stdout, stderr, durationMs, dryRun: false };
  } catch (error) {
    if (error instanceof ExecError) throw error;
    throw new ExecError(
      {
        command,
        purpose: options.purpose,
        exitCode: undefined,
        signal: undefined,
        stdout: '',
        stderr: clean(error instanceof Error ? error.message : String(error)),
        durationMs: Date.now() - started,
        timedOut: false,
        isCanceled: options.signal?.aborted ?? false,
        notFound: false,
      },
      new Error(clean(error instanceof Error ? error.message : String(error))),
    );
  }
}
