/**
 * Serving the provider the way go-plugin expects (Terraform launches `terraform-provider-forcedown`
 * and reads one line from its stdout):
 *
 * 1. `TF_PLUGIN_MAGIC_COOKIE` must hold go-plugin's Terraform cookie; otherwise the binary was
 *    run by hand: say what it is and exit 1.
 * 2. `PLUGIN_PROTOCOL_VERSIONS` (when set) must include 6.
 * 3. AutoMTLS: `PLUGIN_CLIENT_CERT` is Terraform's client certificate (PEM). The server makes
 *    its own certificate, requires and verifies the client's against that one, and sends its
 *    certificate (DER, base64 without padding) in the handshake line. Without a client cert the
 *    provider refuses, unless `TF_DISABLE_PLUGIN_TLS` is set (plaintext, Terraform's test mode).
 * 4. It listens on 127.0.0.1 (a port in `PLUGIN_MIN_PORT..PLUGIN_MAX_PORT` when given) and prints
 *    `1|6|tcp|127.0.0.1:PORT|grpc|CERT` — core protocol 1, app protocol 6.
 * 5. It runs until `plugin.GRPCController/Shutdown` (or SIGTERM). SIGINT is ignored, as go-plugin
 *    plugins do: Terraform forwards interrupts as `StopProvider`.
 *
 * Heavy modules (grpc-js, msgpack, the OpenStack client) load only after the cookie
 * check, and the OpenStack client only when an operation needs Nova.
 */
import { X509Certificate } from 'node:crypto';
import type { Connector } from './provider.js';
import type { ProviderTable } from './resource-type.js';

/** go-plugin's handshake cookie for Terraform providers (the same for OpenTofu). */
export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';

/** go-plugin's core protocol version (the first handshake field). */
export const CORE_PROTOCOL_VERSION = 1;

/** Options of {@link serve}. */
export interface ServeOptions {
  /** @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the handshake line goes. @defaultValue `process.stdout` */
  readonly stdout?: { write(text: string): unknown };
  /** Where messages for humans go. @defaultValue `process.stderr` */
  readonly stderr?: { write(text: string): unknown };
  /** How the provider reaches OpenStack. @defaultValue forcedown's OpenStack client */
  readonly connect?: Connector;
  /** The resources and data sources to serve. @defaultValue forcedown's (resources/index.ts) */
  readonly table?: ProviderTable;
}

/** The text shown when someone runs the provider binary by hand. */
export const NOT_A_COMMAND_MESSAGE = [
  'terraform-provider-forcedown is a Terraform plugin: Terraform (or OpenTofu) starts it, it is not run by hand.',
  '',
  'To use it:',
  '  forcedown provider install --print-config   # put it where Terraform finds it',
  '  terraform init && terraform plan             # in a configuration that uses the "forcedown" provider',
  '',
  'See docs/iac.md. (The process exits because TF_PLUGIN_MAGIC_COOKIE is not set to the value Terraform uses.)',
  '',
].join('\n');

/** The handshake line (without newline). */
export function handshakeLine(port: number, certificateDer: Uint8Array | undefined, protocolVersion = 6): string {
  const cert = certificateDer === undefined ? '' : Buffer.from(certificateDer).toString('base64').replace(/=+$/, '');
  return `${CORE_PROTOCOL_VERSION}|${protocolVersion}|tcp|127.0.0.1:${port}|grpc|${cert}`;
}

/** The ports to try: `PLUGIN_MIN_PORT..PLUGIN_MAX_PORT` when both are set, else any. */
export function portsFromEnv(env: Readonly<Record<string, string | undefined>>): number[] {
  const min = Number(env.PLUGIN_MIN_PORT);
  const max = Number(env.PLUGIN_MAX_PORT);
  if (!Number.isInteger(min) || !Number.isInteger(max) || min <= 0 || max < min || max > 65535) return [0];
  const ports: number[] = [];
  for (let port = min; port <= max && ports.length < 1000; port++) ports.push(port);
  return ports;
}

/** What Terraform's environment allows: a refusal message, or how to listen (plaintext or mTLS). */
function checkHandshakeEnv(
  env: Readonly<Record<string, string | undefined>>,
): { readonly refusal: string } | { readonly plaintext: boolean; readonly clientCert: string | undefined } {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    return { refusal: NOT_A_COMMAND_MESSAGE };
  }
  const versions = env.PLUGIN_PROTOCOL_VERSIONS;
  if (
    versions !== undefined &&
    versions !== '' &&
    !versions
      .split(',')
      .map((v) => v.trim())
      .includes('6')
  ) {
    return {
      refusal: `terraform-provider-forcedown speaks plugin protocol 6 only; this Terraform offers ${versions}. Use Terraform 1.0 or later (or OpenTofu).\n`,
    };
  }
  const clientCert = env.PLUGIN_CLIENT_CERT;
  const plaintext =
    (clientCert === undefined || clientCert === '') &&
    env.TF_DISABLE_PLUGIN_TLS !== undefined &&
    env.TF_DISABLE_PLUGIN_TLS !== '';
  if ((clientCert === undefined || clientCert === '') && !plaintext) {
    return {
      refusal:
        'terraform-provider-forcedown: PLUGIN_CLIENT_CERT is not set, so the connection cannot be mutually authenticated. ' +
        'Terraform sets it for every provider it starts; set TF_DISABLE_PLUGIN_TLS=1 only for a plaintext test harness.\n',
    };
  }
  return { plaintext, clientCert };
}

/**
 * Runs the plugin server until Terraform shuts it down. Resolves with the process exit code:
 * 0 after a shutdown, 1 when refused (no cookie, no protocol 6, no client certificate) or failed.
 */
export async function serve(options: ServeOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;

  const handshake = checkHandshakeEnv(env);
  if ('refusal' in handshake) {
    stderr.write(handshake.refusal);
    return 1;
  }
  const { plaintext, clientCert } = handshake;

  const [
    { ServerCredentials },
    { generateServerCertificate },
    { startGrpcServer },
    { ForcedownProvider },
    { log },
    { PROVIDER_TABLE },
  ] = await Promise.all([
    import('@grpc/grpc-js'),
    import('./tls.js'),
    import('./grpc-server.js'),
    import('./provider.js'),
    import('./log.js'),
    import('./resources/index.js'),
  ]);

  let certificate: { der: Buffer; certPem: string; keyPem: string } | undefined;
  let credentials;
  if (plaintext) {
    credentials = ServerCredentials.createInsecure();
  } else {
    certificate = generateServerCertificate();
    try {
      // grpc-js takes any bytes as a CA and would then refuse every client: check it parses
      new X509Certificate(clientCert ?? '');
      credentials = ServerCredentials.createSsl(
        Buffer.from(clientCert ?? '', 'utf8'),
        [{ private_key: Buffer.from(certificate.keyPem), cert_chain: Buffer.from(certificate.certPem) }],
        true,
      );
    } catch (error) {
      stderr.write(
        `terraform-provider-forcedown: PLUGIN_CLIENT_CERT is not a usable PEM certificate (${error instanceof Error ? error.message : String(error)}).\n`,
      );
      return 1;
    }
  }

  const connect: Connector =
    options.connect ??
    (async (cloudOptions) => {
      const { connectOpenStack } = await import('./openstack-connector.js');
      return connectOpenStack(cloudOptions);
    });
  const provider = new ForcedownProvider({
    connect,
    env,
    table: options.table ?? PROVIDER_TABLE,
    openLocks: async (settings, lockEnv) => {
      const { openCoordination } = await import('../coordination/index.js');
      const coordinator = await openCoordination(settings, lockEnv);
      return { locks: coordinator.locks, close: () => coordinator.close() };
    },
  });

  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let started: Awaited<ReturnType<typeof startGrpcServer>>;
  try {
    started = await startGrpcServer({ provider, credentials, ports: portsFromEnv(env), onShutdown: () => finish(0) });
  } catch (error) {
    stderr.write(
      `terraform-provider-forcedown: cannot listen on 127.0.0.1 (${error instanceof Error ? error.message : String(error)}).\n`,
    );
    return 1;
  }
  const onInterrupt = (): void => log('trace', 'ignoring SIGINT (Terraform sends StopProvider)');
  const onTerminate = (): void => finish(0);
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onTerminate);

  stdout.write(`${handshakeLine(started.port, certificate?.der)}\n`);
  log('debug', 'forcedown provider listening', { port: started.port, tls: !plaintext });

  const code = await finished;
  process.off('SIGINT', onInterrupt);
  process.off('SIGTERM', onTerminate);
  await provider.close();
  await shutdown(started.server);
  return code;
}

/** Stops the gRPC server: gracefully, forced after a second. */
function shutdown(server: { tryShutdown(done: () => void): void; forceShutdown(): void }): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
