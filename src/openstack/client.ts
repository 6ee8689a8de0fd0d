/**
 * `connect`: one Keystone session, the compute endpoint's microversion range, and the compute and
 * image APIs, sharing one HTTP transport and one set of counters.
 */
import { HttpTransport } from './http/transport.js';
import { DEFAULT_DEADLINES, OpenStackHttp, type MutableStats, type RequestEvent } from './http/http-client.js';
import type { RetryPolicy } from './http/retry.js';
import { selectEndpoint } from './keystone/catalog.js';
import { KeystoneSession } from './keystone/session.js';
import { discoverComputeVersions } from './compute/version-document.js';
import { negotiateMicroversions } from './compute/microversion.js';
import { NovaComputeApi } from './compute/compute-api.js';
import { GlanceImageApi } from './image/image-api.js';
import type {
  ClientStats,
  CloudConfig,
  ComputeApi,
  ImageApi,
  OpenStackClient,
  RequestDeadlines,
  WaitNotice,
} from './openstack.interface.js';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Retries of idempotent calls. @defaultValue `{ retries: 3, baseDelayMs: 500, maxDelayMs: 8000 }` */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Time limits of each call for this command (a run rides out longer outages than `services`).
   * Limits the user set in the cloud configuration (`config.deadlines`) win.
   * @defaultValue 10 s to connect, 30 s per answer, 30 s per call with its retries
   */
  readonly deadlines?: Partial<RequestDeadlines>;
  /** Told, at least every 5 s, about a call that is still waiting (no answer yet, or retrying). */
  readonly onWait?: (notice: WaitNotice) => void;
  /** Renew the token this long before it expires. @defaultValue `120000` (ms) */
  readonly renewBeforeMs?: number;
  /** Sockets per origin. @defaultValue `32` */
  readonly maxSockets?: number;
  /** Warnings (TLS verification off...). @defaultValue a line on stderr */
  readonly warn?: (message: string) => void;
  /** Called after every HTTP attempt (debug logs; never holds tokens or bodies). */
  readonly onRequest?: (event: RequestEvent) => void;
  /** Cancels connecting. */
  readonly signal?: AbortSignal;
  /** Clock for token expiry (tests). @defaultValue `Date.now` */
  readonly now?: () => number;
  /** Jitter source (tests). @defaultValue `Math.random` */
  readonly random?: () => number;
}

class Client implements OpenStackClient {
  readonly config: CloudConfig;
  readonly compute: ComputeApi;
  readonly image: ImageApi;
  readonly #stats: MutableStats;
  readonly #session: KeystoneSession;
  readonly #transport: HttpTransport;

  constructor(
    config: CloudConfig,
    compute: ComputeApi,
    image: ImageApi,
    stats: MutableStats,
    session: KeystoneSession,
    transport: HttpTransport,
  ) {
    this.config = config;
    this.compute = compute;
    this.image = image;
    this.#stats = stats;
    this.#session = session;
    this.#transport = transport;
  }

  get stats(): ClientStats {
    return {
      requests: this.#stats.requests,
      retries: this.#stats.retries,
      reauthentications: this.#stats.reauthentications,
    };
  }

  get projectId(): string | undefined {
    return this.#session.info.projectId;
  }

  close(): Promise<void> {
    this.#transport.close();
    return Promise.resolve();
  }
}

/** The image API when the catalog has no image service: every call explains that. */
class MissingImageApi implements ImageApi {
  readonly #error: unknown;
  constructor(error: unknown) {
    this.#error = error;
  }
  getImage(): Promise<never> {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what selectEndpoint threw, as a rethrow would
    return Promise.reject(this.#error);
  }
}

/**
 * Authenticates with Keystone, finds the compute (and image) endpoints in the catalog, reads the
 * compute version document and negotiates microversions.
 *
 * @throws OpenStackApiError (Keystone 401 → exit 4), OpenStackConnectionError, or ForcedownError
 *   (exit 2) for catalog and microversion problems; each with a hint.
 */
export async function connect(config: CloudConfig, options: ConnectOptions = {}): Promise<OpenStackClient> {
  const warn = options.warn ?? ((message: string) => process.stderr.write(`forcedown: warning: ${message}\n`));
  if (!config.verify) {
    warn(
      `TLS certificate verification is OFF for cloud "${config.cloudName}" (insecure): anyone on the network path can read the credentials and impersonate the cloud`,
    );
  }
  const deadlines: RequestDeadlines = { ...DEFAULT_DEADLINES, ...options.deadlines, ...config.deadlines };
  const transport = new HttpTransport({
    ...(config.cacert === undefined ? {} : { cacert: config.cacert }),
    verify: config.verify,
    connectTimeoutMs: deadlines.connectTimeoutMs,
    responseTimeoutMs: deadlines.responseTimeoutMs,
    ...(options.maxSockets === undefined ? {} : { maxSockets: options.maxSockets }),
  });
  const stats: MutableStats = { requests: 0, retries: 0, reauthentications: 0 };
  try {
    const http = new OpenStackHttp({
      transport,
      stats,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      deadlines,
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
      ...(options.onWait === undefined ? {} : { onWait: options.onWait }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    const session = new KeystoneSession(config, http, stats, {
      ...(options.renewBeforeMs === undefined ? {} : { renewBeforeMs: options.renewBeforeMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    http.useTokens(session);
    const info = await session.authenticate(options.signal);
    const query = {
      interface: config.interface,
      ...(config.regionName === undefined ? {} : { region: config.regionName }),
    };
    const computeEndpoint = selectEndpoint(info.catalog, { serviceType: 'compute', ...query });
    let image: ImageApi;
    try {
      image = new GlanceImageApi(http, selectEndpoint(info.catalog, { serviceType: 'image', ...query }));
    } catch (error) {
      image = new MissingImageApi(error);
    }
    const range = await discoverComputeVersions(http, computeEndpoint, options.signal);
    const microversions = negotiateMicroversions(range, config.computeApiVersion);
    const compute = new NovaComputeApi({ http, endpoint: computeEndpoint, range, microversions });
    return new Client(config, compute, image, stats, session, transport);
  } catch (error) {
    transport.close();
    throw error;
  }
}
