import { spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SPAWN_AUDIT_ENV } from '../../src/exec/index.js';
import { loadRunbook } from '../../src/runbook/index.js';
import { doubleEnv, startOpenStackDouble, type OpenStackDouble } from '../support/openstack-double/index.js';
import { aliasBomb, mutate } from './support/mutate.js';
import {
  baseEnv,
  checkAlways,
  checkRejected,
  fakeToolsOnPath,
  journalFiles,
  readabilityProblems,
  root,
  runCli,
  settingsFor,
  workspace,
  writePayload,
  type CliRun,
} from './support/harness.js';
import { Rng } from './support/rng.js';

/**
 * The in-process results hold for the real binary: a handful of hostile inputs (fixed ones, and
 * mutants drawn from the run's seed as target `binary`) through `node bin/forcedown.js` and
 * through `main()` with the same arguments, environment and directory. Same exit code and, for
 * rejected input, the same output; the binary spawns nothing (FORCEDOWN_SPAWN_AUDIT stays empty),
 * sends no request to the double and writes no journal.
 */
const TARGET = 'binary';
const settings = settingsFor(TARGET);
const bin = join(root, 'bin/forcedown.js');
const RANDOM_CASES = 4;

let double: OpenStackDouble;
let work: { dir: string; remove: () => Promise<void> };
let restorePath: () => void;

test.before(async () => {
  const built = join(root, 'dist/cli/main.js');
  assert.ok(existsSync(built), 'dist/ is missing: run `npm run build` first (npm run test:fuzz does)');
  assert.ok(
    statSync(built).mtimeMs >= statSync(join(root, 'src/cli/main.ts')).mtimeMs - 1000,
    'dist/ is older than src/: run `npm run build`',
  );
  double = await startOpenStackDouble();
  work = await workspace(TARGET);
  restorePath = await fakeToolsOnPath(work.dir);
});
test.after(async () => {
  restorePath();
  await double.close();
  await work.remove();
});

const requests = (): number => Object.values(double.calls).reduce((a, b) => a + b, 0);

function binary(argv: readonly string[], env: Record<string, string>, cwd: string): Promise<CliRun> {
  const started = Date.now();
  const before = requests();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...argv], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), settings.caseTimeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        argv,
        code: code ?? (signal === 'SIGKILL' ? 'timeout' : 128),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        spawned: [],
        httpRequests: requests() - before,
        crashes: [],
        ms: Date.now() - started,
        limitMs: settings.caseTimeoutMs,
      });
    });
  });
}

interface Case {
  readonly name: string;
  /** Writes the inputs into the case directory; returns the arguments. */
  readonly setup: (dir: string) => Promise<string[]>;
  /** Expected to be rejected as invalid input (else: only the same exit code is required). */
  readonly invalid: boolean;
}

const cloudEnv = (): Record<string, string> => ({
  ...doubleEnv(double),
  FUZZ_BMC_PASSWORD: 'fuzz-bmc-password',
});

const inventoryFile = async (dir: string, bmc: unknown): Promise<string> => {
  const file = join(dir, 'inventory.json');
  await writeFile(file, JSON.stringify({ hosts: { fake2: { bmc } } }));
  return file;
};
const goodBmc = {
  driver: 'ipmi',
  address: '127.0.0.1',
  port: 2,
  username: 'admin',
  password: { env: 'FUZZ_BMC_PASSWORD' },
};

const fixed: readonly Case[] = [
  {
    name: 'validate: a runbook with an escape sequence in a key and a megabyte step type',
    invalid: true,
    setup: async (dir) => {
      await writeFile(
        join(dir, 'rb.json'),
        JSON.stringify({
          name: 'x',
          steps: [
            { id: 'a', type: 'command', command: ['true'], '\u001b[2J\u001b]0;owned\u0007': 1 },
            { id: 'b', type: 'x'.repeat(1_000_000) },
          ],
        }),
      );
      return ['validate', 'rb.json'];
    },
  },
  {
    name: 'plan with an inventory missing a BMC username',
    invalid: true,
    setup: async (dir) => [
      'plan',
      join(root, 'runbooks/host-failure.json'),
      '--var',
      'host=fake2',
      '--inventory',
      await inventoryFile(dir, { driver: 'ipmi', address: '127.0.0.1' }),
      '--state-dir',
      join(dir, 'state'),
    ],
  },
  {
    name: 'run --dry-run with an inventory whose password file is ../../etc/shadow (valid schema; the step refuses the open file)',
    invalid: false,
    setup: async (dir) => [
      'run',
      join(root, 'runbooks/host-failure.json'),
      '--var',
      'host=fake2',
      '--dry-run',
      '--inventory',
      await inventoryFile(dir, { ...goodBmc, password: { file: '../../../../../../etc/shadow' } }),
      '--state-dir',
      join(dir, 'state'),
    ],
  },
  {
    name: 'services with a YAML alias bomb as clouds.yaml',
    invalid: true,
    setup: async (dir) => {
      await writeFile(
        join(dir, 'clouds.yaml'),
        `${aliasBomb(9, 9)}clouds:\n  c:\n    auth: {auth_url: "${double.keystoneUrl}"}\n`,
      );
      return ['services'];
    },
  },
  {
    name: 'run --dry-run of a directory',
    invalid: true,
    setup: async (dir) => {
      await mkdir(join(dir, 'rb.json'));
      return ['run', 'rb.json', '--dry-run', '--state-dir', join(dir, 'state')];
    },
  },
  {
    name: 'validate a UTF-16 runbook with a BOM',
    invalid: true,
    setup: async (dir) => {
      await writeFile(
        join(dir, 'rb.json'),
        Buffer.concat([
          Buffer.from([0xff, 0xfe]),
          Buffer.from(await readFile(join(root, 'runbooks/host-failure.json'), 'utf8'), 'utf16le'),
        ]),
      );
      return ['validate', 'rb.json'];
    },
  },
  {
    name: 'plan of a UTF-16 runbook',
    invalid: true,
    setup: async (dir) => {
      await writeFile(
        join(dir, 'rb.json'),
        Buffer.from(await readFile(join(root, 'runbooks/host-failure.json'), 'utf8'), 'utf16le'),
      );
      return ['plan', 'rb.json', '--var', 'host=fake2'];
    },
  },
  {
    name: 'validate a desired state with a host named "constructor"',
    invalid: false,
    setup: async (dir) => {
      await writeFile(join(dir, 'ds.json'), JSON.stringify({ hosts: { constructor: { state: 'healthy' } } }));
      return ['validate', 'ds.json'];
    },
  },
];

async function compare(name: string, dir: string, argv: string[], invalid: boolean): Promise<string[]> {
  const stateDir = join(dir, 'state');
  const audit = join(dir, 'spawns.jsonl');
  const env = baseEnv(dir, argv[0] === 'services' ? { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') } : cloudEnv());
  const inProcess = await runCli(argv, { env, cwd: dir, timeoutMs: settings.caseTimeoutMs, httpCount: requests });
  const journalsInProcess = journalFiles(stateDir);
  const viaBinary = await binary(argv, { ...env, [SPAWN_AUDIT_ENV]: audit }, dir);
  const failures: string[] = [];
  const say = (what: string): number => failures.push(`${name}: ${what}`);
  if (inProcess.code !== viaBinary.code)
    say(`exit ${String(inProcess.code)} in process, ${String(viaBinary.code)} as a binary`);
  for (const f of checkAlways(viaBinary)) say(`binary: ${f}`);
  for (const f of checkAlways(inProcess)) say(`in process: ${f}`);
  if (invalid) {
    const hintPattern = argv[0] === 'validate' ? /INVALID {2}\S.*\n {2}\S/ : /what to do: \S/;
    for (const f of checkRejected(viaBinary, { stateDir, hintPattern })) say(`binary: ${f}`);
    for (const f of checkRejected(inProcess, { hintPattern })) say(`in process: ${f}`);
    if (journalsInProcess.length > 0) say(`in process: wrote a journal ${journalsInProcess.join(', ')}`);
    if (existsSync(audit)) say(`binary spawned: ${await readFile(audit, 'utf8')}`);
    if (inProcess.stdout !== viaBinary.stdout)
      say(
        `stdout differs:\n  in process ${JSON.stringify(inProcess.stdout.slice(0, 300))}\n  binary     ${JSON.stringify(viaBinary.stdout.slice(0, 300))}`,
      );
    if (inProcess.stderr !== viaBinary.stderr)
      say(
        `stderr differs:\n  in process ${JSON.stringify(inProcess.stderr.slice(0, 300))}\n  binary     ${JSON.stringify(viaBinary.stderr.slice(0, 300))}`,
      );
  } else if (
    viaBinary.code === 2 &&
    readabilityProblems(viaBinary.stderr).length === 0 &&
    inProcess.stderr !== viaBinary.stderr
  ) {
    say('stderr of the same input error differs between the binary and main()');
  }
  return failures;
}

test('fixed hostile inputs: the binary behaves as main() does', async () => {
  const failures: string[] = [];
  for (const [index, c] of fixed.entries()) {
    const dir = join(work.dir, `fixed-${index}`);
    await mkdir(dir, { recursive: true });
    failures.push(...(await compare(c.name, dir, await c.setup(dir), c.invalid)));
  }
  assert.equal(failures, []);
});

test(`${RANDOM_CASES} seeded mutants of host-failure.json: the binary behaves as main() does`, async () => {
  const text = await readFile(join(root, 'runbooks/host-failure.json'), 'utf8');
  const failures: string[] = [];
  const indexes = settings.only
    ? [...(settings.only.get(TARGET) ?? [])]
    : Array.from({ length: RANDOM_CASES }, (_, i) => i);
  for (const index of indexes) {
    const rng = Rng.forCase(settings.seed, TARGET, index);
    const mutant = mutate(rng, { text, value: JSON.parse(text) as unknown, format: 'json' });
    const dir = join(work.dir, `random-${index}`);
    await mkdir(dir, { recursive: true });
    await writePayload(join(dir, 'rb.json'), mutant.payload);
    const valid = await loadRunbook('rb.json', dir).then(
      () => true,
      () => false,
    );
    const inventory = await inventoryFile(dir, goodBmc);
    const name = `${TARGET}#${index} (${mutant.steps.join(' | ')}; replay: FORCEDOWN_FUZZ_SEED=${settings.seed} FORCEDOWN_FUZZ_ONLY=${TARGET}#${index})`;
    failures.push(
      ...(await compare(
        name,
        dir,
        [
          'run',
          'rb.json',
          '--var',
          'host=fake2',
          '--dry-run',
          '--inventory',
          inventory,
          '--state-dir',
          join(dir, 'state'),
        ],
        !valid,
      )),
    );
  }
  assert.equal(failures, []);
});

test.run();
