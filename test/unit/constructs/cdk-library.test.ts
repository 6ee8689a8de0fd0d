import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseCdkLibrary } from '../../../src/constructs/cdk.js';

/** Which CDK library the constructs load: FORCEDOWN_CDK, else what is installed (cdktf first). */
const test = suite('cdk library choice');
const only =
  (...names: string[]) =>
  (name: string): boolean =>
    names.includes(name);

test('FORCEDOWN_CDK wins; else cdktf when installed, else cdktn; neither is a clear error', () => {
  assert.is(chooseCdkLibrary({ FORCEDOWN_CDK: 'cdktn' }, only('cdktf', 'cdktn')), 'cdktn');
  assert.is(chooseCdkLibrary({ FORCEDOWN_CDK: 'cdktf' }, only('cdktn')), 'cdktf');
  assert.is(chooseCdkLibrary({}, only('cdktf', 'cdktn')), 'cdktf');
  assert.is(chooseCdkLibrary({}, only('cdktn')), 'cdktn');
  assert.throws(() => chooseCdkLibrary({}, only()), /npm install cdktf@0\.21 \(or cdktn@0\.24/);
  assert.throws(() => chooseCdkLibrary({ FORCEDOWN_CDK: 'pulumi' }, only('cdktf')), /must be cdktf or cdktn/);
});

test('this repository: both installed, the real resolution finds them', () => {
  assert.is(chooseCdkLibrary({}), 'cdktf');
  assert.is(chooseCdkLibrary({ FORCEDOWN_CDK: 'cdktn' }), 'cdktn');
});

test('the same constructs synthesize under cdktn: a child process with FORCEDOWN_CDK=cdktn', () => {
  const root = join(import.meta.dirname, '../../..');
  const script = `
    import { cdk, cdkLibraryName } from './src/constructs/cdk.ts';
    import { FailedHost, ForcedownProvider } from './src/constructs/index.ts';
    const app = cdk.Testing.app();
    const stack = new cdk.TerraformStack(app, 's');
    new ForcedownProvider(stack, 'p', { cloud: 'c' });
    new FailedHost(stack, 'h', { host: 'cmp-07', reason: 'INC-1: fenced by BMC' });
    const json = JSON.parse(cdk.Testing.synth(stack));
    const cdktn = await import('cdktn');
    console.log(cdkLibraryName, stack instanceof cdktn.TerraformStack, Object.keys(json.resource.forcedown_compute_service).length);
  `;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, FORCEDOWN_CDK: 'cdktn' },
    encoding: 'utf8',
  });
  assert.is(result.status, 0, result.stderr);
  assert.match(result.stdout, /^cdktn true 1$/m);
});

test.run();
