/**
 * The etcd client: the npm `etcd3` package (Microsoft's, on @grpc/grpc-js, which the provider
 * already uses; pure JavaScript, works on Node 24). It is the one maintained, typed etcd v3
 * client for Node: the alternatives are v2-API clients (`node-etcd`) or thin wrappers around
 * this one. forcedown uses its KV, transactions, leases and watches, and keeps its own lease
 * deadline on top (see lease.ts): etcd3 reports a lease "lost" only after twice its TTL without
 * an answer, too late for a lock that guards a fence.
 */
import { Etcd3, isRecoverableError, type IOptions } from 'etcd3';
import { handleWhen, retry } from 'cockatiel';
import { authFailed, isForcedownError, refused, type ForcedownError } from '../errors/index.js';
import { redact } from '../secrets/index.js';
import type { CoordinationSettings } from './config.js';
import type { EtcdCredentials } from './credentials.js';
import { KeyLayout } from './keys.js';

/** A connection to the etcd cluster of one region's coordination. */
export interface EtcdConnection {
  readonly client: Etcd3;
  readonly keys: KeyLayout;
  readonly settings: CoordinationSettings;
  /** Closes the client: its leases stop being kept alive (they expire after their TTL). */
  close(): void;
}

function clientOptions(settings: CoordinationSettings, credentials: EtcdCredentials): IOptions {
  const { tls, auth } = credentials;
  return {
    hosts: [...settings.endpoints],
    dialTimeout: settings.timeoutMs,
    // every unary call has a deadline: with no quorum etcd may hold a request for a long time
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + settings.timeoutMs }),
    // one retry on another member for connection-level errors (a stopped member)
    faultHandling: { global: retry(handleWhen(isRecoverableError), { maxAttempts: 2 }) },
    ...(tls
      ? {
          credentials: {
            rootCertificate: tls.ca as Buffer,
            ...(tls.key ? { privateKey: tls.key } : {}),
            ...(tls.cert ? { certChain: tls.cert } : {}),
          },
        }
      : {}),
    ...(auth ? { auth: { username: auth.username, password: auth.password } } : {}),
  };
}

/** Opens a client (connections are made lazily, on the first request). */
export function connectEtcd(settings: CoordinationSettings, credentials: EtcdCredentials): EtcdConnection {
  const client = new Etcd3(clientOptions(settings, credentials));
  return {
    client,
    keys: new KeyLayout(settings.prefix, settings.region),
    settings,
    close: () => client.close(),
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.constructor.name : typeof error;
}

/** The error's message, redacted, without grpc's empty "Resolution note: " tail. */
function messageOf(error: unknown): string {
  const message = redact(error instanceof Error ? error.message : String(error));
  return message.replace(/\s*Resolution note:\s*$/, '');
}

/**
 * What an etcd failure means for the user: wrong credentials or permissions (exit 4), or no
 * coordination possible (etcd unreachable, no quorum, timeouts): a safety refusal (exit 3),
 * because forcedown never acts on a host it could not lock.
 */
export function coordinationError(error: unknown, what: string, settings: CoordinationSettings): ForcedownError {
  if (isForcedownError(error)) return error;
  const name = errorName(error);
  const message = messageOf(error);
  const details = { endpoints: settings.endpoints, error: name, cause: message };
  if (/Authentication|PermissionDenied|Unauthenticated|InvalidAuthToken|UserNotFound|RoleNotGranted/.test(name)) {
    return authFailed(
      'COORDINATION_AUTH_FAILED',
      `etcd refused ${what}: ${message}`,
      `check the etcd user and password (FORCEDOWN_ETCD_USER / FORCEDOWN_ETCD_PASSWORD[_FILE]) and that its role may read and write ${settings.prefix}/`,
      details,
      error,
    );
  }
  return refused(
    'COORDINATION_UNAVAILABLE',
    `cannot coordinate through etcd (${settings.endpoints.join(', ')}): ${what} failed: ${message}`,
    'nothing was changed on any host. Check that a majority of the etcd members are up (`etcdctl endpoint health`), then run again; forcedown acts on no host it could not lock',
    details,
    error,
  );
}
