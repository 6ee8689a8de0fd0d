/**
 * A test client for the provider process, playing Terraform's part of go-plugin: start the
 * process with the magic cookie and a client certificate, read the handshake line, connect over
 * mutual TLS and call `tfplugin6.Provider` / `plugin.GRPCController` methods.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { loadProtocol, serviceDefinition } from '../../../../src/provider/protocol/codec.js';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../../src/provider/serve.js';
import { generateServerCertificate, type ServerCertificate } from '../../../../src/provider/tls.js';
import { decodeValue, encodeValue, type TfValue } from '../../../../src/provider/values.js';

export interface Handshake {
  readonly core: string;
  readonly protocol: string;
  readonly network: string;
  readonly address: string;
  readonly transport: string;
  readonly certificateDer: Buffer;
  readonly line: string;
}

export function parseHandshake(line: string): Handshake {
  const [core = '', protocol = '', network = '', address = '', transport = '', cert = ''] = line.trim().split('|');
  return { core, protocol, network, address, transport, certificateDer: Buffer.from(cert, 'base64'), line };
}

export function derToPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
}

type Unary = (
  request: object,
  callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void,
) => void;

export interface PluginProcess {
  readonly child: ChildProcess;
  readonly handshake: Handshake;
  readonly clientCert: ServerCertificate;
  /** stderr so far. */
  stderr(): string;
  /** Calls `tfplugin6.Provider/<method>`. */
  call(method: string, request?: object): Promise<Record<string, unknown>>;
  /** Calls `plugin.GRPCController/Shutdown` and waits for the process to exit; resolves with its code. */
  shutdown(): Promise<number | null>;
  /** A raw client with other credentials (negative tests). */
  clientWith(credentials: grpc.ChannelCredentials): Record<string, Unary>;
  kill(): void;
}

const root = loadProtocol();
const ProviderClient = grpc.makeGenericClientConstructor(serviceDefinition(root, 'tfplugin6.Provider'), 'Provider');
const ControllerClient = grpc.makeGenericClientConstructor(
  serviceDefinition(root, 'plugin.GRPCController'),
  'GRPCController',
);
const CHANNEL_OPTIONS = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' };

export function mtlsCredentials(serverDer: Buffer, client: ServerCertificate): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(
    Buffer.from(derToPem(serverDer)),
    Buffer.from(client.keyPem),
    Buffer.from(client.certPem),
  );
}

function promisify(client: Record<string, Unary>, method: string, request: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const fn = client[method];
    if (fn === undefined) {
      reject(new Error(`no method ${method}`));
      return;
    }
    fn.call(client, request, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** Starts `command args` as Terraform would and connects to it. */
export async function startPlugin(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<PluginProcess> {
  const clientCert = generateServerCertificate();
  const child = spawn(command, [...args], {
    env: {
      ...process.env,
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: '5,6',
      PLUGIN_CLIENT_CERT: clientCert.certPem,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    once(child, 'exit').then(([code]) => {
      throw new Error(`provider exited (${String(code)}) before the handshake: ${stderr}`);
    }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no handshake within 20 s: ${stderr}`)), 20_000).unref(),
    ),
  ]);
  const handshake = parseHandshake(first);
  const credentials = mtlsCredentials(handshake.certificateDer, clientCert);
  const provider = new ProviderClient(handshake.address, credentials, CHANNEL_OPTIONS) as unknown as Record<
    string,
    Unary
  > &
    grpc.Client;
  const controller = new ControllerClient(handshake.address, credentials, CHANNEL_OPTIONS) as unknown as Record<
    string,
    Unary
  > &
    grpc.Client;
  return {
    child,
    handshake,
    clientCert,
    stderr: () => stderr,
    call: (method, request = {}) => promisify(provider, method, request),
    async shutdown() {
      const exited = child.exitCode !== null ? Promise.resolve([child.exitCode]) : once(child, 'exit');
      await promisify(controller, 'Shutdown', {});
      const [code] = (await exited) as [number | null];
      provider.close();
      controller.close();
      return code;
    },
    clientWith(other) {
      return new ProviderClient(handshake.address, other, CHANNEL_OPTIONS) as unknown as Record<string, Unary>;
    },
    kill() {
      provider.close();
      controller.close();
      child.kill('SIGKILL');
    },
  };
}

/** A DynamicValue for a request. */
export function dv(value: TfValue): { msgpack: Uint8Array } {
  return { msgpack: encodeValue(value) };
}

/** Decodes a DynamicValue of a response. */
export function fromDv(value: unknown): TfValue {
  const bytes = (value as { msgpack?: Uint8Array } | null)?.msgpack;
  if (bytes === undefined || bytes.length === 0) return null;
  return decodeValue(bytes);
}
