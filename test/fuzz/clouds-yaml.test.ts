import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml } from 'yaml';
import { loadCloudConfig } from '../../src/openstack/index.js';
import { startOpenStackDouble, type OpenStackDouble } from '../support/openstack-double/index.js';
import {
  baseEnv,
  checkAlways,
  checkRejected,
  judge,
  removeCase,
  root,
  runCli,
  runTarget,
  settingsFor,
  type Tally,
  timed,
  workspace,
  writePayload,
} from './support/harness.js';
import { dictionaryOf, mutate, type Dictionary, type Payload } from './support/mutate.js';
import { Rng } from './support/rng.js';

/**
 * Mutated clouds.yaml / secure.yaml (the testbed's, stored in test/fuzz/fixtures, with auth_url
 * pointing at the in-process OpenStack double) through `forcedown services`, with
 * OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE naming the mutants. `loadCloudConfig` decides
 * whether a mutant is still a usable configuration; an unusable one must end with exit 2 and a
 * hint before any HTTP request (the double counts them), and no output may show the passwords of
 * secure.yaml while they still are passwords there.
 */
const TARGET = 'clouds-yaml';
const settings = settingsFor(TARGET);
/** Fixed-width stand-in for the double's port, replaced after mutation (ephemeral ports have 5 digits). */
const PORT = 'PORT5';
const PASSWORDS = ['adminpass', 'demopass'];

let double: OpenStackDouble;
let work: { dir: string; remove: () => Promise<void> };
const files: Record<'clouds' | 'secure', { text: string; value: unknown }> = {
  clouds: { text: '', value: {} },
  secure: { text: '', value: {} },
};
let dictionary: Dictionary;

test.before(async () => {
  double = await startOpenStackDouble();
  assert.match(new URL(double.url).port, /^\d{5}$/, 'the double listens on a 5-digit port');
  work = await workspace(TARGET);
  const clouds = (await readFile(join(root, 'test/fuzz/fixtures/testbed-clouds.yaml'), 'utf8')).replaceAll(
    'http://127.0.0.1:5000/v3',
    `http://127.0.0.1:${PORT}/v3`,
  );
  const secure = await readFile(join(root, 'test/fuzz/fixtures/testbed-secure.yaml'), 'utf8');
  files.clouds = { text: clouds, value: parseYaml(clouds) as unknown };
  files.secure = { text: secure, value: parseYaml(secure) as unknown };
  dictionary = dictionaryOf([
    files.clouds.value,
    files.secure.value,
    {
      clouds: {
        x: {
          auth_type: 'v3applicationcredential',
          verify: false,
          insecure: true,
          cacert: '/etc/ssl/certs/ca-certificates.crt',
          regions: ['RegionOne'],
          compute_api_version: '2.53',
          application_credential_secret: 's',
          auth: { token: 't', user_id: 'u', project_id: 'p' },
        },
      },
    },
  ]);
});

test.after(async () => {
  await double.close();
  await work.remove();
});

function withPort(payload: Payload): Payload {
  if (payload.kind !== 'bytes') return payload;
  const port = new URL(double.url).port;
  return { kind: 'bytes', bytes: Buffer.from(payload.bytes.toString('latin1').replaceAll(PORT, port), 'latin1') };
}

async function runCase(index: number, tally: Tally): Promise<void> {
  const rng = Rng.forCase(settings.seed, TARGET, index);
  const which = rng.chance(0.7) ? 'clouds' : 'secure';
  const mutant = mutate(rng, { ...files[which], format: 'yaml', dictionary });
  const cloud = rng.weighted<string | undefined>([
    ['testbed-admin', 8],
    ['testbed-demo', 1],
    [undefined, 1],
  ]);
  const extra = rng.weighted<string[]>([
    [[], 6],
    [['--output', 'json'], 2],
    [['--host', 'fake2'], 1],
    [['--insecure'], 1],
  ]);
  const caseDir = join(work.dir, `case-${index}`);
  const failuresBefore = tally.failures.length;
  await mkdir(caseDir, { recursive: true });
  const cloudsFile = join(caseDir, 'clouds.yaml');
  const secureFile = join(caseDir, 'secure.yaml');
  const fail = (failures: string[], argv?: readonly string[], output?: string): void => {
    if (failures.length > 0)
      tally.failures.push({
        target: TARGET,
        index,
        base: `${which}.yaml (OS_CLOUD=${cloud ?? '(unset)'})`,
        steps: mutant.steps,
        failures,
        ...(argv ? { argv } : {}),
        ...(output ? { output } : {}),
      });
  };
  try {
    const port = new URL(double.url).port;
    await writePayload(
      cloudsFile,
      which === 'clouds'
        ? withPort(mutant.payload)
        : { kind: 'bytes', bytes: Buffer.from(files.clouds.text.replaceAll(PORT, port)) },
    );
    await writePayload(
      secureFile,
      which === 'secure' ? mutant.payload : { kind: 'bytes', bytes: Buffer.from(files.secure.text) },
    );
    const env = baseEnv(caseDir, {
      OS_CLIENT_CONFIG_FILE: cloudsFile,
      OS_CLIENT_SECURE_FILE: secureFile,
      ...(cloud ? { OS_CLOUD: cloud } : {}),
    });
    const valid = judge(tally, () =>
      loadCloudConfig({
        env,
        cwd: caseDir,
        home: caseDir,
        etcDir: join(caseDir, 'etc'),
        warn: () => undefined,
        ...(extra.includes('--insecure') ? { overrides: { verify: false } } : {}),
      }),
    );
    const argv = ['services', ...extra];
    const ran = timed(
      tally,
      await runCli(argv, {
        env,
        cwd: caseDir,
        timeoutMs: settings.caseTimeoutMs,
        httpCount: () => Object.values(double.calls).reduce((a, b) => a + b, 0),
      }),
      `${TARGET}#${index}`,
    );
    const failures = checkAlways(ran);
    if (!valid) failures.push(...checkRejected(ran));
    // the passwords stay secret while secure.yaml still holds them as passwords
    const secureText =
      which === 'secure' && mutant.payload.kind === 'bytes' ? mutant.payload.bytes.toString('utf8') : files.secure.text;
    for (const password of PASSWORDS) {
      if (secureText.includes(`password: "${password}"`) && (ran.stdout + ran.stderr).includes(password))
        failures.push(`printed the password ${password}`);
    }
    fail(failures, argv, ran.stdout + ran.stderr);
  } finally {
    await removeCase(caseDir, tally, failuresBefore);
  }
}

test(`${TARGET}: mutated clouds.yaml and secure.yaml through forcedown services`, async () => {
  await runTarget(TARGET, settings, runCase);
});

test.run();
