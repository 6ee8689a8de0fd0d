/**
 * Runs fuzz cases through the real CLI in-process (`main(argv, io)`) and checks what must hold
 * for every input, valid or not:
 * - it ends within the case's time limit (a hang aborts the case's signal and fails it);
 * - no unhandled rejection or uncaught exception while it ran;
 * - the exit code is a documented one, and never an internal error;
 * - what it printed is readable: no stack trace, no `TypeError`/`[object Object]`/`undefined`
 *   nonsense, no raw control or bidi characters copied from the input into the terminal, no
 *   megabytes of echoed input.
 * Invalid input additionally must end with exit 2 and a message that says what to fix, and must
 * leave no trace: no journal, no child process (`spawnHistory()`), no HTTP request.
 */
import { Buffer } from 'node:buffer';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../src/cli/main.js';
import { spawnHistory, type ExecRecord } from '../../../src/exec/index.js';
import { dictionaryOf, type Dictionary, type Mutant, type Payload } from './mutate.js';
import { caseIndexes, fuzzSettings, type FuzzSettings } from './rng.js';
import * as assert from 'uvu/assert';

export const root = join(import.meta.dirname, '../../..');

/** Exit codes the README documents. */
export const DOCUMENTED_EXIT_CODES: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 130]);

const rejections: string[] = [];
let listening = false;
function listen(): void {
  if (listening) return;
  listening = true;
  process.on('unhandledRejection', (reason) => {
    rejections.push(
      `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    );
  });
  process.on('uncaughtException', (error) => {
    rejections.push(`uncaught exception: ${error.stack ?? error.message}`);
  });
}

/** One CLI invocation's result. */
export interface CliRun {
  readonly argv: readonly string[];
  /** The exit code, or `timeout` when it did not finish within the limit. */
  readonly code: number | 'timeout';
  readonly stdout: string;
  readonly stderr: string;
  /** Processes spawned through src/exec while it ran. */
  readonly spawned: readonly ExecRecord[];
  /** HTTP requests the OpenStack double answered while it ran. */
  readonly httpRequests: number;
  /** Unhandled rejections and uncaught exceptions while it ran. */
  readonly crashes: readonly string[];
  readonly ms: number;
  /** The hang limit it ran under. */
  readonly limitMs: number;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly timeoutMs: number;
  /** Requests answered by the double so far (counted before and after). */
  readonly httpCount?: () => number;
}

function spawnedSince(before: ExecRecord | undefined): ExecRecord[] {
  const history = spawnHistory();
  if (before === undefined) return [...history];
  const index = history.lastIndexOf(before);
  // the history keeps the last 1000 entries: a missing marker means at least that many spawns
  return index === -1 ? [...history] : history.slice(index + 1);
}

/** Runs `forcedown ARGV` in this process with captured streams and a hang limit. */
export async function runCli(argv: readonly string[], options: RunCliOptions): Promise<CliRun> {
  listen();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(Buffer.from(chunk)));
  stderr.on('data', (chunk: Buffer) => err.push(Buffer.from(chunk)));
  const controller = new AbortController();
  const crashesBefore = rejections.length;
  const lastSpawn = spawnHistory().at(-1);
  const httpBefore = options.httpCount?.() ?? 0;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const running = main(argv, { stdout, stderr, env: options.env, cwd: options.cwd, signal: controller.signal });
  let code: number | 'timeout';
  try {
    code = await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
  if (code === 'timeout') {
    // stop it so the next case starts clean; give it a moment to unwind
    controller.abort(Object.assign(new Error('fuzz case time limit'), { name: 'AbortError' }));
    await Promise.race([running.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000))]);
  }
  // let stray promises of this case settle (and be reported) before counting
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return {
    argv,
    code,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    spawned: spawnedSince(lastSpawn),
    httpRequests: (options.httpCount?.() ?? 0) - httpBefore,
    crashes: rejections.slice(crashesBefore),
    ms: Date.now() - started,
    limitMs: options.timeoutMs,
  };
}

/** Characters that must never be copied raw from input to a terminal (C0 except \t \n, DEL, C1, bidi controls). */
// eslint-disable-next-line no-control-regex
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Most any run may print (an echo of a huge input value is not a readable message). */
export const MAX_OUTPUT_BYTES = 128 * 1024;

function withoutQuoted(text: string): string {
  return text.replace(/"(?:[^"\\\n]|\\.)*"/g, '""').replace(/'[^'\n]{0,8}'/g, "''");
}

/** Why `text` (everything a run printed) is not a readable message; empty when it is. */
export function readabilityProblems(text: string, maxBytes = MAX_OUTPUT_BYTES): string[] {
  const problems: string[] = [];
  const frame = /^\s*at (?:.+ \()?(?:file:\/\/|node:|\/)[^)\n]*:\d+:\d+\)?$/m.exec(text);
  if (frame) problems.push(`a stack trace frame: ${JSON.stringify(frame[0].trim())}`);
  const control = RAW_CONTROL.exec(text);
  if (control)
    problems.push(
      `a raw control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0')} at offset ${control.index}: ${JSON.stringify(text.slice(Math.max(0, control.index - 40), control.index + 10))}`,
    );
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) problems.push(`${bytes} bytes of output (more than ${maxBytes}: an echo of a huge input?)`);
  const plain = withoutQuoted(text);
  for (const [pattern, what] of [
    [
      /\b(TypeError|ReferenceError|RangeError|SyntaxError|EvalError|URIError|AggregateError)\b/,
      'a JavaScript error name',
    ],
    [/\[object \w+\]/, '[object ...]'],
    // "an undefined parameter" is English; "host undefined" or ": undefined" is a leaked JavaScript value
    [/(?<!\ban )\bundefined\b/, '"undefined"'],
    [/\bNaN\b/, '"NaN"'],
    [/INTERNAL_ERROR|unexpected internal error|this is a bug in forcedown/, 'an internal error'],
    [/\bERR_[A-Z_]{4,}\b/, 'a Node.js error code'],
  ] as const) {
    const match = pattern.exec(plain);
    if (match) {
      const at = plain.indexOf(match[0]);
      problems.push(`${what}: ${JSON.stringify(plain.slice(Math.max(0, at - 80), at + 80))}`);
    }
  }
  return problems;
}

/** What a run must satisfy in every case; returns its failures. */
export function checkAlways(run: CliRun): string[] {
  const failures: string[] = [];
  if (run.code === 'timeout') failures.push(`did not finish within the time limit (hang) after ${run.ms} ms`);
  // a synchronous stall (the event loop blocked, so the timer could not fire) is a hang too
  else if (run.ms > run.limitMs)
    failures.push(`took ${run.ms} ms, more than the ${run.limitMs} ms time limit (blocked the event loop?)`);
  else if (!DOCUMENTED_EXIT_CODES.has(run.code)) failures.push(`exit code ${run.code} is not a documented one`);
  for (const crash of run.crashes) failures.push(crash.split('\n').slice(0, 6).join('\n'));
  // a valid run's stdout may legitimately be big (--output json events carry the runbook text);
  // stderr (errors, warnings, progress) may not
  for (const problem of readabilityProblems(run.stdout, Infinity)) failures.push(`unreadable output: ${problem}`);
  for (const problem of readabilityProblems(run.stderr)) failures.push(`unreadable error output: ${problem}`);
  return failures;
}

/** What a run of invalid input must satisfy: exit 2, a hint, and no side effects. */
export function checkRejected(
  run: CliRun,
  options: { readonly stateDir?: string; readonly hintPattern?: RegExp } = {},
): string[] {
  const failures: string[] = [];
  if (run.code !== 2) failures.push(`invalid input must exit 2, not ${run.code}`);
  const bytes = Buffer.byteLength(run.stdout) + Buffer.byteLength(run.stderr);
  if (bytes > MAX_OUTPUT_BYTES)
    failures.push(
      `${bytes} bytes of output for invalid input (more than ${MAX_OUTPUT_BYTES}: an echo of a huge input?)`,
    );
  const hint = options.hintPattern ?? /what to do: \S/;
  if (!hint.test(run.stdout + run.stderr)) failures.push(`no message saying what to fix (expected ${hint})`);
  if (run.spawned.length > 0)
    failures.push(
      `spawned ${run.spawned.length} process(es) for invalid input: ${run.spawned.map((r) => [r.file, ...r.args].join(' ')).join('; ')}`,
    );
  if (run.httpRequests > 0) failures.push(`sent ${run.httpRequests} HTTP request(s) for invalid input`);
  if (options.stateDir) {
    const journals = journalFiles(options.stateDir);
    if (journals.length > 0) failures.push(`wrote a journal for invalid input: ${journals.join(', ')}`);
  }
  return failures;
}

/** Journal files under a state directory. */
export function journalFiles(stateDir: string): string[] {
  const runs = join(stateDir, 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs).filter((name) => name.endsWith('.jsonl'));
}

/** Writes a mutant where the input file should be. */
export async function writePayload(path: string, payload: Payload): Promise<void> {
  switch (payload.kind) {
    case 'bytes':
      await writeFile(path, payload.bytes, { mode: 0o600 });
      return;
    case 'directory':
      await mkdir(path, { recursive: true });
      return;
    case 'dangling-symlink':
      await symlink(join(path, '..', 'does-not-exist', 'file'), path);
      return;
    case 'symlink-loop':
      await symlink(path, path);
      return;
    case 'missing':
      return;
  }
}

/** Failures of one case, with everything needed to replay it. */
export interface CaseFailure {
  readonly target: string;
  readonly index: number;
  readonly base: string;
  readonly steps: readonly string[];
  readonly failures: readonly string[];
  readonly argv?: readonly string[];
  readonly output?: string;
}

/** Tally of a target's cases. */
export interface Tally {
  cases: number;
  rejected: number;
  stillValid: number;
  commands: number;
  slowestMs: number;
  /** The case of the slowest command (`target#index`). */
  slowestCase: string;
  readonly failures: CaseFailure[];
}

export function newTally(): Tally {
  return { cases: 0, rejected: 0, stillValid: 0, commands: 0, slowestMs: 0, slowestCase: '', failures: [] };
}

/** Records a command's duration. */
export function timed(tally: Tally, run: CliRun, caseName = ''): CliRun {
  tally.commands += 1;
  if (run.ms > tally.slowestMs) {
    tally.slowestMs = run.ms;
    tally.slowestCase = caseName;
  }
  return run;
}

/** The report printed after a target: counts, and every failure with its replay command. */
export function report(target: string, settings: FuzzSettings, tally: Tally, started: number): string {
  const lines = [
    `\nfuzz ${target}: seed=${JSON.stringify(settings.seed)} cases=${tally.cases} (rejected as invalid ${tally.rejected}, still valid ${tally.stillValid}), ${tally.commands} commands in ${((Date.now() - started) / 1000).toFixed(1)} s, slowest ${tally.slowestMs} ms${tally.slowestCase ? ` (${tally.slowestCase})` : ''}`,
  ];
  for (const failure of tally.failures.slice(0, 20)) {
    lines.push(
      `  FAILED ${failure.target}#${failure.index} (base ${failure.base}; ${failure.steps.join(' | ')})`,
      ...(failure.argv ? [`    argv: forcedown ${failure.argv.join(' ')}`] : []),
      ...failure.failures.map((f) => `    - ${f.replace(/\n/g, '\n      ')}`),
      ...(failure.output ? [`    output: ${JSON.stringify(failure.output.slice(0, 1500))}`] : []),
      `    replay: FORCEDOWN_FUZZ_SEED=${shellQuote(settings.seed)} FORCEDOWN_FUZZ_ONLY=${failure.target}#${failure.index} node scripts/run-tests.mjs fuzz '${target}\\.test\\.ts$'`,
    );
  }
  if (tally.failures.length > 20) lines.push(`  ... and ${tally.failures.length - 20} more failed cases`);
  if (tally.failures.length > 0) {
    // the distinct problems, so that one noisy bug does not hide another
    const kinds = new Map<string, { count: number; example: string }>();
    for (const failure of tally.failures) {
      for (const f of failure.failures) {
        const kind =
          f.split(':')[0].replace(/\d+/g, 'N').slice(0, 120) +
          (f.startsWith('unreadable output') ? `: ${f.split(':')[1] ?? ''}`.replace(/\d+/g, 'N') : '');
        const entry = kinds.get(kind) ?? { count: 0, example: `${failure.target}#${failure.index}` };
        entry.count += 1;
        kinds.set(kind, entry);
      }
    }
    lines.push('  distinct problems:');
    for (const [kind, { count, example }] of [...kinds].sort((a, b) => b[1].count - a[1].count))
      lines.push(`    ${count} x ${kind} (e.g. ${example})`);
  }
  return lines.join('\n');
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The body of a target's test: runs its cases (all, or the one the settings name), prints the
 * report, and fails on any failed case or when no case ran.
 */
export async function runTarget(
  target: string,
  settings: FuzzSettings,
  runCase: (index: number, tally: Tally) => Promise<void>,
): Promise<void> {
  const started = Date.now();
  const tally = newTally();
  for (const index of caseIndexes(settings, target)) await runCase(index, tally);
  const text = report(target, settings, tally, started);
  process.stdout.write(`${text}\n`);
  assert.ok(tally.cases > 0 || settings.only !== undefined, 'no cases ran');
  assert.is(
    tally.failures.length,
    0,
    `${tally.failures.length} failed case(s): see the report above (seed, case, mutations, replay command)`,
  );
}

/** Whether `check` accepts the mutant (does not throw), counted in the tally as still valid or rejected. */
export function judge(tally: Tally, check: () => unknown): boolean {
  let valid: boolean;
  try {
    check();
    valid = true;
  } catch {
    valid = false;
  }
  tally.cases += 1;
  if (valid) tally.stillValid += 1;
  else tally.rejected += 1;
  return valid;
}

/** Reads a target's base JSON files (paths from the package root): their texts and values by file, and the mutation dictionary built from them. */
export async function readBases(
  files: readonly string[],
): Promise<{ texts: Map<string, { text: string; value: unknown }>; dictionary: Dictionary }> {
  const texts = new Map<string, { text: string; value: unknown }>();
  for (const file of files) {
    const text = await readFile(join(root, file), 'utf8');
    texts.set(file, { text, value: JSON.parse(text) as unknown });
  }
  return { texts, dictionary: dictionaryOf([...texts.values()].map((t) => t.value)) };
}

/** A scratch directory for a target, removed by the returned function. */
export async function workspace(name: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `fd-fuzz-${name}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Removes a case's directory, unless the case failed and FORCEDOWN_FUZZ_KEEP is set (then its
 * inputs stay for a look, and the path is printed).
 */
export async function removeCase(caseDir: string, tally: Tally, failuresBefore: number): Promise<void> {
  if (process.env.FORCEDOWN_FUZZ_KEEP && tally.failures.length > failuresBefore) {
    const kept = join(tmpdir(), `fd-fuzz-kept-${caseDir.split('/').slice(-2).join('-')}`);
    await rm(kept, { recursive: true, force: true });
    await cp(caseDir, kept, { recursive: true, verbatimSymlinks: true });
    process.stdout.write(`fuzz: kept the inputs of a failed case in ${kept}\n`);
  }
  await rm(caseDir, { recursive: true, force: true });
}

/** The fuzz settings (seed, cases, replay) printed once per target. */
export function settingsFor(target: string): FuzzSettings {
  const settings = fuzzSettings();
  process.stdout.write(
    `\nfuzz ${target}: FORCEDOWN_FUZZ_SEED=${JSON.stringify(settings.seed)} FORCEDOWN_FUZZ_CASES=${settings.cases}${settings.only ? ` FORCEDOWN_FUZZ_ONLY=${process.env.FORCEDOWN_FUZZ_ONLY}` : ''}\n`,
  );
  return settings;
}

/**
 * A directory on PATH for this process's children with a harmless `ipmitool` (prints "Chassis
 * Power is on"), so that a still-valid mutant's plan that reads a BMC never reaches a real one.
 * Returns a function that restores PATH.
 */
export async function fakeToolsOnPath(dir: string): Promise<() => void> {
  const bin = join(dir, 'fake-bin');
  await mkdir(bin, { recursive: true });
  await writeFile(
    join(bin, 'ipmitool'),
    '#!/bin/sh\n# fuzz fixture: a BMC that is always on\nfor last; do :; done\ncase "$last" in\n  status) echo "Chassis Power is on" ;;\n  *) echo "fuzz: refusing $last" >&2; exit 1 ;;\nesac\n',
    { mode: 0o755 },
  );
  const previous = process.env.PATH;
  process.env.PATH = `${bin}:${previous ?? ''}`;
  return () => {
    process.env.PATH = previous;
  };
}

/** The environment every fuzz command gets: nothing from the caller's OS_* or state. */
export function baseEnv(caseDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: caseDir,
    XDG_STATE_HOME: join(caseDir, 'xdg-state'),
    NO_COLOR: '1',
    CI: '1',
    ...extra,
  };
}

/** Describes a mutant for the report. */
export function describeMutant(mutant: Mutant): readonly string[] {
  return mutant.steps;
}
