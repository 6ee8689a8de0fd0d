import { Testing, TerraformOutput, TerraformStack, type TerraformMetaArguments } from 'cdktf';
import type { Construct } from 'constructs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ComputeService,
  DataComputeServices,
  FailedHost,
  ForcedownProvider,
  HealthyHost,
  MaintenanceHost,
  PROVIDER_SOURCE,
  PROVIDER_VERSION,
  type ComputeServiceConfig,
  type ForcedownProviderConfig,
} from '../../../src/constructs/index.js';

type Json = Record<string, Record<string, Record<string, Record<string, unknown>>>>;

function stackWith(build: (scope: Construct) => void): TerraformStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  build(stack);
  return stack;
}

/** Synth with validations on: the message cdktf throws (all problems), or '' when valid. */
function validationErrors(build: (scope: Construct) => void): string {
  try {
    Testing.synth(stackWith(build), true);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

test('ForcedownProvider: required_providers source and version, provider block in snake_case', () => {
  const synthesized = Testing.synthScope((scope) => {
    new ForcedownProvider(scope, 'forcedown', {
      cloud: 'prod',
      region: 'RegionOne',
      endpointType: 'internal',
      insecure: false,
    });
  });
  const json = JSON.parse(synthesized) as { terraform: { required_providers: Record<string, unknown> } } & Json;
  assert.equal(json.terraform.required_providers.forcedown, {
    source: PROVIDER_SOURCE,
    version: `>= ${PROVIDER_VERSION}`,
  });
  assert.is(PROVIDER_SOURCE, 'registry.forcedown.dev/forcedown/forcedown');
  assert.ok(
    Testing.toHaveProviderWithProperties(synthesized, 'forcedown', {
      cloud: 'prod',
      region: 'RegionOne',
      endpoint_type: 'internal',
      insecure: false,
    }),
  );
});

test('ForcedownProvider: a literal password draws a synth warning; an alias is synthesized', () => {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  const provider = new ForcedownProvider(stack, 'p', { password: 'literal-secret', alias: 'dr' });
  const warnings = provider.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
  assert.is(warnings.length, 1);
  assert.match(warnings[0] ?? '', 'OS_PASSWORD');
  assert.not.match(warnings[0] ?? '', 'literal-secret');
  const json = JSON.parse(Testing.synth(stack)) as { provider: { forcedown: Record<string, unknown>[] } };
  assert.is(json.provider.forcedown[0]?.alias, 'dr');
});

test('ComputeService: typed props synthesize to the schema attribute names', () => {
  const synthesized = Testing.synthScope((scope) => {
    new ForcedownProvider(scope, 'forcedown');
    new ComputeService(scope, 'cmp07', {
      host: 'cmp-07',
      forcedDown: true,
      fencedReason: 'INC-4711: BMC off',
      disabled: true,
      disabledReason: 'INC-4711',
    });
  });
  assert.ok(
    Testing.toHaveResourceWithProperties(synthesized, ComputeService.tfResourceType, {
      host: 'cmp-07',
      forced_down: true,
      fenced_reason: 'INC-4711: BMC off',
      disabled: true,
      disabled_reason: 'INC-4711',
    }),
  );
  const resource = (JSON.parse(synthesized) as Json).resource?.forcedown_compute_service?.cmp07 ?? {};
  assert.not.ok('binary' in resource, 'unset props are not synthesized (the provider plans the default)');
  assert.not.ok('state' in resource, 'computed attributes are not inputs');
});

test('ComputeService: computed attributes are references usable elsewhere', () => {
  const stack = stackWith((scope) => {
    new ForcedownProvider(scope, 'forcedown');
    const service = new ComputeService(scope, 'cmp07', { host: 'cmp-07' });
    new TerraformOutput(scope, 'uuid', { value: service.id });
    new TerraformOutput(scope, 'state', { value: service.state });
    new TerraformOutput(scope, 'down', { value: service.forcedDown });
  });
  const outputs = (JSON.parse(Testing.synth(stack)) as { output: Record<string, { value: string }> }).output;
  assert.is(outputs.uuid?.value, '${forcedown_compute_service.cmp07.id}');
  assert.is(outputs.state?.value, '${forcedown_compute_service.cmp07.state}');
  assert.is(outputs.down?.value, '${forcedown_compute_service.cmp07.forced_down}');
});

test("ComputeService: the provider's own rules run at synth, every problem reported at once", () => {
  const message = validationErrors((scope) => {
    new ForcedownProvider(scope, 'forcedown');
    new ComputeService(scope, 'bad', { host: '', forcedDown: true, binary: 'nova-scheduler', disabledReason: 'x' });
  });
  assert.match(message, "ComputeService 'test/bad': fenced_reason is required when forced_down = true");
  assert.match(message, "ComputeService 'test/bad': Unsupported binary");
  assert.match(message, "ComputeService 'test/bad': disabled_reason needs disabled = true");
  assert.match(message, "ComputeService 'test/bad': Empty host");
});

test('ComputeService: values only known at deploy time are not judged at synth', () => {
  const message = validationErrors((scope) => {
    new ForcedownProvider(scope, 'forcedown');
    const data = new DataComputeServices(scope, 'all');
    new ComputeService(scope, 'ok', { host: data.id, forcedDown: true, fencedReason: data.id });
  });
  assert.is(message, '');
});

test('ComputeService.generateConfigForImport: an import block by host or UUID', () => {
  const stack = stackWith((scope) => {
    new ForcedownProvider(scope, 'forcedown');
    ComputeService.generateConfigForImport(scope, 'cmp07', 'cmp-07');
  });
  const json = JSON.parse(Testing.synth(stack)) as { import: { to: string; id: string }[] };
  assert.is(json.import.length, 1);
  assert.is(json.import[0]?.to, 'forcedown_compute_service.cmp07');
  assert.is(json.import[0]?.id, 'cmp-07');
});

test('FailedHost: forced down, fenced_reason recorded, disabled by default', () => {
  const synthesized = Testing.synthScope((scope) => {
    new ForcedownProvider(scope, 'forcedown');
    new FailedHost(scope, 'cmp07', { host: 'cmp-07', reason: 'INC-4711: BMC power-off confirmed' });
    new FailedHost(scope, 'cmp08', { host: 'cmp-08', reason: 'INC-4712: network cut', disable: false });
  });
  assert.ok(
    Testing.toHaveResourceWithProperties(synthesized, ComputeService.tfResourceType, {
      host: 'cmp-07',
      forced_down: true,
      fenced_reason: 'INC-4711: BMC power-off confirmed',
      disabled: true,
    }),
  );
  assert.ok(
    Testing.toHaveResourceWithProperties(synthesized, ComputeService.tfResourceType, {
      host: 'cmp-08',
      forced_down: true,
      disabled: false,
    }),
  );
});

test('FailedHost: all problems at once, each with path, received value, what is allowed and the fix', () => {
  const message = validationErrors((scope) => {
    new ForcedownProvider(scope, 'forcedown');
    new FailedHost(scope, 'a', { host: 'bad host!', reason: '  ', disable: false, disabledReason: 'x'.repeat(300) });
    new FailedHost(scope, 'b', { host: 'cmp-01', reason: 'INC-1' });
    new HealthyHost(scope, 'c', { host: 'cmp-01' });
  });
  const lines = message.split('\n').filter((line) => line.includes("Host '"));
  assert.is(lines.length, 5, message);
  assert.match(message, `FailedHost 'test/a': host must be a Nova service host name`);
  assert.match(message, 'received "bad host!"');
  assert.match(
    message,
    `FailedHost 'test/a': reason must be a non-empty text (1-1024 characters); received "  ". Fix: say why`,
  );
  assert.match(message, `FailedHost 'test/a': disabledReason may have at most 255 characters; received 300`);
  assert.match(message, `FailedHost 'test/a': disabledReason is set but disable is false`);
  assert.match(message, `HealthyHost 'test/c': host "cmp-01" is also declared by 'test/b'`);
  assert.not.match(message, 'ComputeService', 'the L1 does not repeat what its parent reports');
});

test('FailedHost → HealthyHost under the same id keeps the resource address (an update in place, not a replacement)', () => {
  const failed = JSON.parse(
    Testing.synthScope((scope) => {
      new ForcedownProvider(scope, 'forcedown');
      new FailedHost(scope, 'cmp07', { host: 'cmp-07', reason: 'INC-1' });
    }),
  ) as Json;
  const healthy = JSON.parse(
    Testing.synthScope((scope) => {
      new ForcedownProvider(scope, 'forcedown');
      new HealthyHost(scope, 'cmp07', { host: 'cmp-07' });
    }),
  ) as Json;
  const keysOf = (json: Json): string[] => Object.keys(json.resource?.forcedown_compute_service ?? {});
  assert.equal(keysOf(failed), keysOf(healthy));
  assert.is(keysOf(failed).length, 1);
  const [key] = keysOf(healthy);
  assert.equal(
    { ...healthy.resource?.forcedown_compute_service?.[key ?? ''], '//': undefined },
    { '//': undefined, host: 'cmp-07', forced_down: false, disabled: false },
  );
});

test('MaintenanceHost: disabled with a reason, not forced down', () => {
  const synthesized = Testing.synthScope((scope) => {
    new ForcedownProvider(scope, 'forcedown');
    new MaintenanceHost(scope, 'cmp09', { host: 'cmp-09', reason: 'CHG-1234: firmware upgrade' });
  });
  assert.ok(
    Testing.toHaveResourceWithProperties(synthesized, ComputeService.tfResourceType, {
      host: 'cmp-09',
      forced_down: false,
      disabled: true,
      disabled_reason: 'CHG-1234: firmware upgrade',
    }),
  );
});

test('DataComputeServices: filters synthesize; services is a reference', () => {
  const synthesized = Testing.synthScope((scope) => {
    new ForcedownProvider(scope, 'forcedown');
    const data = new DataComputeServices(scope, 'cmp07', { host: 'cmp-07' });
    new TerraformOutput(scope, 'services', { value: data.services });
  });
  assert.ok(
    Testing.toHaveDataSourceWithProperties(synthesized, DataComputeServices.tfResourceType, { host: 'cmp-07' }),
  );
  assert.match(synthesized, '${data.forcedown_compute_services.cmp07.services}');
});

test('the props types are the schema: exactly these inputs (checked at compile time too)', () => {
  // a missing or extra key here fails `npm run typecheck`
  const inputs: Record<keyof Omit<ComputeServiceConfig, keyof TerraformMetaArguments>, true> = {
    host: true,
    binary: true,
    forcedDown: true,
    fencedReason: true,
    disabled: true,
    disabledReason: true,
    breakLock: true,
  };
  const providerArgs: Record<keyof Omit<ForcedownProviderConfig, 'alias'>, true> = {
    cloud: true,
    authUrl: true,
    userName: true,
    userId: true,
    password: true,
    tenantName: true,
    tenantId: true,
    userDomainName: true,
    userDomainId: true,
    projectDomainName: true,
    projectDomainId: true,
    domainName: true,
    region: true,
    endpointType: true,
    applicationCredentialId: true,
    applicationCredentialName: true,
    applicationCredentialSecret: true,
    token: true,
    insecure: true,
    cacertFile: true,
  };
  assert.is(Object.keys(inputs).length, 7);
  assert.is(Object.keys(providerArgs).length, 20);
  // @ts-expect-error host is required
  const missingHost: ComputeServiceConfig = {};
  void missingHost;
});

test.run();
