/**
 * The provider process over its real transport: go-plugin handshake, mutual TLS, tfplugin6 gRPC,
 * msgpack DynamicValues — with a fake Nova (FakeCompute in a JSON file) behind it.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generateServerCertificate } from '../../../src/provider/tls.js';
import { UNKNOWN, isUnknown, isWhollyKnown, type TfObject } from '../../../src/provider/values.js';
import { FakeCompute, initialState } from './support/fake-compute.js';
import { dv, fromDv, mtlsCredentials, startPlugin, type PluginProcess } from './support/plugin-client.js';

const fixture = join(import.meta.dirname, 'support/serve-with-fake.ts');
const TYPE = 'forcedown_compute_service';

interface Context {
  dir: string;
  path: string;
  nova: FakeCompute;
  plugin: PluginProcess;
}

const test = suite<Context>('provider over gRPC');

test.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'forcedown-grpc-'));
  const path = join(ctx.dir, 'nova.json');
  ctx.path = path;
  ctx.nova = FakeCompute.file(path, initialState());
  ctx.plugin = await startPlugin(process.execPath, ['--import', 'tsx', fixture], { FORCEDOWN_FAKE_NOVA: path });
});

test.after((ctx) => {
  if (ctx.plugin.child.exitCode === null) ctx.plugin.kill();
  rmSync(ctx.dir, { recursive: true, force: true });
});

const config = (values: Record<string, unknown>): TfObject => ({
  id: null,
  host: null,
  binary: null,
  forced_down: null,
  fenced_reason: null,
  disabled: null,
  disabled_reason: null,
  break_lock: null,
  state: null,
  zone: null,
  ...values,
});

type Diag = {
  severity: number;
  summary: string;
  detail: string;
  attribute: { steps: { attribute_name?: string }[] } | null;
};
const diags = (response: Record<string, unknown>): Diag[] => (response.diagnostics as Diag[] | undefined) ?? [];
const errors = (response: Record<string, unknown>): Diag[] => diags(response).filter((d) => d.severity === 1);

test('handshake line: 1|6|tcp|127.0.0.1:PORT|grpc|<server cert DER, base64 without padding>', ({ plugin }) => {
  const h = plugin.handshake;
  assert.is(h.core, '1');
  assert.is(h.protocol, '6');
  assert.is(h.network, 'tcp');
  assert.match(h.address, /^127\.0\.0\.1:\d+$/);
  assert.is(h.transport, 'grpc');
  assert.not.match(h.line, '=', 'RawStdEncoding: no padding');
  assert.is(h.line.split('|').length, 6);
  const cert = new X509Certificate(h.certificateDer);
  assert.is(cert.checkHost('localhost'), 'localhost');
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
});

test('GetProviderSchema: resource, data source and provider schemas from the one definition', async ({ plugin }) => {
  const response = await plugin.call('GetProviderSchema');
  const resources = response.resource_schemas as Record<
    string,
    {
      block: {
        attributes: {
          name: string;
          type: Uint8Array;
          required: boolean;
          optional: boolean;
          computed: boolean;
          sensitive: boolean;
        }[];
      };
    }
  >;
  const resource = resources[TYPE];
  assert.ok(resource, 'resource schema present');
  const attrs = Object.fromEntries(resource.block.attributes.map((a) => [a.name, a]));
  assert.equal(Object.keys(attrs).sort(), [
    'binary',
    'break_lock',
    'disabled',
    'disabled_reason',
    'fenced_reason',
    'forced_down',
    'host',
    'id',
    'state',
    'zone',
  ]);
  assert.is(attrs.host?.required, true);
  assert.is(Buffer.from(attrs.forced_down?.type ?? []).toString(), '"bool"');
  assert.is(attrs.forced_down?.optional && attrs.forced_down.computed, true);
  assert.is(attrs.id?.computed && !attrs.id.optional, true);
  const provider = (response.provider as { block: { attributes: { name: string; sensitive: boolean }[] } }).block
    .attributes;
  const sensitive = provider
    .filter((a) => a.sensitive)
    .map((a) => a.name)
    .sort();
  assert.equal(sensitive, ['application_credential_secret', 'password', 'token']);
  const data = (
    response.data_source_schemas as Record<string, { block: { attributes: { name: string; type: Uint8Array }[] } }>
  ).forcedown_compute_services;
  const services = data?.block.attributes.find((a) => a.name === 'services');
  assert.equal((JSON.parse(Buffer.from(services?.type ?? []).toString()) as unknown[])[0], 'list');
  assert.is((response.server_capabilities as { plan_destroy: boolean }).plan_destroy, false);
});

test('mTLS: a client without a certificate, or with one the provider was not given, is refused', async ({ plugin }) => {
  const serverPem = Buffer.from(
    `-----BEGIN CERTIFICATE-----\n${plugin.handshake.certificateDer.toString('base64')}\n-----END CERTIFICATE-----\n`,
  );
  const anonymous = plugin.clientWith(grpc.credentials.createSsl(serverPem));
  const stranger = plugin.clientWith(mtlsCredentials(plugin.handshake.certificateDer, generateServerCertificate()));
  for (const client of [anonymous, stranger]) {
    const outcome = await new Promise<string>((resolve) => {
      client.GetProviderSchema?.({}, (error) => resolve(error === null ? 'accepted' : `refused: ${error.code}`));
    });
    assert.match(outcome, /^refused/);
  }
  // and the legitimate client still works
  const ok = await plugin.call('GetMetadata');
  assert.equal(
    (ok.resources as { type_name: string }[]).map((r) => r.type_name),
    [TYPE],
  );
});

test('ValidateResourceConfig: every problem at once, with attribute paths', async ({ plugin }) => {
  const response = await plugin.call('ValidateResourceConfig', {
    type_name: TYPE,
    config: dv(config({ host: 'fake2', forced_down: true, binary: 'nova-scheduler', disabled_reason: 'x' })),
  });
  const list = errors(response);
  const paths = list.map((d) => d.attribute?.steps[0]?.attribute_name).sort();
  assert.equal(paths, ['binary', 'disabled_reason', 'fenced_reason']);
  const fenced = list.find((d) => d.attribute?.steps[0]?.attribute_name === 'fenced_reason');
  assert.match(fenced?.summary ?? '', 'fenced_reason is required when forced_down = true');
  assert.match(fenced?.detail ?? '', 'power it off');
  const fine = await plugin.call('ValidateResourceConfig', {
    type_name: TYPE,
    config: dv(config({ host: 'fake2', forced_down: true, fenced_reason: 'INC-1: BMC off', disabled: UNKNOWN })),
  });
  assert.equal(errors(fine), []);
});

test('plan → apply (create) → read → drift → import → destroy, over gRPC with msgpack unknowns', async ({
  plugin,
  nova,
  path,
}) => {
  const configured = await plugin.call('ConfigureProvider', {
    terraform_version: '1.11.4',
    config: dv({ cloud: 'testbed', auth_url: null, password: 's3cret-pass', insecure: null }),
  });
  assert.equal(errors(configured), []);

  const cfg = config({
    host: 'fake2',
    forced_down: true,
    fenced_reason: 'INC-4711: BMC power-off confirmed',
    disabled: true,
  });
  // Terraform's proposed new state = config with computed attributes unknown... for a create, null
  const proposed = {
    ...cfg,
    id: UNKNOWN,
    state: UNKNOWN,
    zone: UNKNOWN,
    binary: UNKNOWN,
    disabled_reason: UNKNOWN,
  } as TfObject;
  const plan = await plugin.call('PlanResourceChange', {
    type_name: TYPE,
    prior_state: dv(null),
    proposed_new_state: dv(proposed),
    config: dv(cfg),
  });
  assert.equal(errors(plan), []);
  const planned = fromDv(plan.planned_state) as TfObject;
  assert.ok(
    isUnknown(planned.id) && isUnknown(planned.state) && isUnknown(planned.zone),
    'computed-only values unknown on create',
  );
  assert.is(planned.binary, 'nova-compute');
  assert.is(planned.forced_down, true);
  assert.is(planned.disabled_reason, 'forcedown: fenced: INC-4711: BMC power-off confirmed');
  assert.equal(nova.state.calls, [], 'plan changes nothing');

  const applied = await plugin.call('ApplyResourceChange', {
    type_name: TYPE,
    prior_state: dv(null),
    planned_state: plan.planned_state,
    config: dv(cfg),
  });
  assert.equal(errors(applied), []);
  const state = fromDv(applied.new_state) as TfObject;
  assert.ok(isWhollyKnown(state), 'apply state wholly known');
  for (const [key, value] of Object.entries(planned))
    if (!isUnknown(value)) assert.equal(state[key], value, `planned ${key} kept`);
  assert.is(state.id, 'ea3b7bb2-e162-4b5d-93cd-cf74da73fe7b');
  assert.is(state.state, 'down');
  assert.equal(
    nova.state.calls,
    ['setForcedDown fake2 true', 'disable fake2 forcedown: fenced: INC-4711: BMC power-off confirmed'],
    'force down first, then disable',
  );

  // the connect options came from the provider block (the fixture writes them redacted)
  const connect = JSON.parse(readFileSync(`${path}.connect.json`, 'utf8')) as {
    cloud: string;
    overrides: { authType: string; auth: Record<string, string> };
  };
  assert.is(connect.cloud, 'testbed');
  assert.is(connect.overrides.authType, 'password');
  assert.is(connect.overrides.auth.password, '***');

  // nothing changed: read returns the same
  const read = await plugin.call('ReadResource', { type_name: TYPE, current_state: applied.new_state });
  assert.equal(fromDv(read.new_state), state);

  // drift: someone clears forced_down behind Terraform's back
  nova.update((s) => {
    const svc = s.services.find((x) => x.host === 'fake2');
    if (svc) svc.forcedDown = false;
  });
  const drifted = fromDv(
    (await plugin.call('ReadResource', { type_name: TYPE, current_state: applied.new_state })).new_state,
  ) as TfObject;
  assert.is(drifted.forced_down, false);
  assert.is(drifted.state, 'up');
  assert.is(drifted.fenced_reason, 'INC-4711: BMC power-off confirmed', 'fenced_reason is ours, kept');

  // import by host and by UUID
  const byHost = await plugin.call('ImportResourceState', { type_name: TYPE, id: 'fake3' });
  const imported = (byHost.imported_resources as { type_name: string; state: unknown }[])[0];
  assert.is(imported?.type_name, TYPE);
  assert.is((fromDv(imported?.state) as TfObject).id, '35421f7c-ed5f-47e8-8be9-08bf7507c145');
  const byId = await plugin.call('ImportResourceState', {
    type_name: TYPE,
    id: '35421f7c-ed5f-47e8-8be9-08bf7507c145',
  });
  assert.is((fromDv((byId.imported_resources as { state: unknown }[])[0]?.state) as TfObject).host, 'fake3');
  const unknownHost = await plugin.call('ImportResourceState', { type_name: TYPE, id: 'nosuchhost' });
  assert.equal(unknownHost.imported_resources, []);
  assert.match(errors(unknownHost)[0]?.detail ?? '', 'fake1, fake2, fake3');

  // destroy (planned null): back up and enabled, never deleted
  const destroyed = await plugin.call('ApplyResourceChange', {
    type_name: TYPE,
    prior_state: dv(drifted),
    planned_state: dv(null),
    config: dv(null),
  });
  assert.equal(errors(destroyed), []);
  assert.is(fromDv(destroyed.new_state), null);
  const fake2 = nova.state.services.find((s) => s.host === 'fake2');
  assert.equal([fake2?.forcedDown, fake2?.disabled, fake2?.disabledReason], [false, false, null]);
  assert.is(nova.state.services.length, 4, 'no service deleted');
});

test('clearing forced_down while `done` evacuations remain: a diagnostic that says to restart the compute', async ({
  plugin,
  nova,
}) => {
  nova.update((s) => {
    const svc = s.services.find((x) => x.host === 'fake3');
    if (svc)
      Object.assign(svc, {
        forcedDown: true,
        disabled: true,
        disabledReason: 'forcedown: fenced: x',
        doneEvacuations: true,
      });
  });
  const prior = config({
    id: '35421f7c-ed5f-47e8-8be9-08bf7507c145',
    host: 'fake3',
    binary: 'nova-compute',
    forced_down: true,
    fenced_reason: 'x',
    disabled: true,
    disabled_reason: 'forcedown: fenced: x',
    state: 'down',
    zone: 'nova',
  });
  const cfg = config({ host: 'fake3', forced_down: false, disabled: false });
  const plan = await plugin.call('PlanResourceChange', {
    type_name: TYPE,
    prior_state: dv(prior),
    proposed_new_state: dv({ ...prior, ...cfg, id: prior.id, zone: 'nova', state: 'down', binary: 'nova-compute' }),
    config: dv(cfg),
  });
  const planned = fromDv(plan.planned_state) as TfObject;
  assert.is(planned.disabled_reason, null);
  assert.ok(isUnknown(planned.state));
  const applied = await plugin.call('ApplyResourceChange', {
    type_name: TYPE,
    prior_state: dv(prior),
    planned_state: plan.planned_state,
    config: dv(cfg),
  });
  const [error] = errors(applied);
  assert.match(error?.summary ?? '', 'compute must restart first');
  assert.match(error?.detail ?? '', 'Unable to force up host fake3');
  assert.match(error?.detail ?? '', 'nova-compute has started');
  assert.equal(error?.attribute?.steps[0]?.attribute_name, 'forced_down');
  const state = fromDv(applied.new_state) as TfObject;
  assert.is(state.forced_down, true, 'state says what Nova has: still forced down');
  assert.is(state.disabled, true, 'not enabled after the refusal');
});

test('Shutdown ends the process with exit code 0', async ({ plugin }) => {
  const code = await plugin.shutdown();
  assert.is(code, 0);
  assert.not.match(plugin.stderr(), 's3cret-pass', 'the password never reaches the logs');
});

test.run();
