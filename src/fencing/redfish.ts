import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { RedfishBmc } from '../generated/inventory.types.js';
import { redact, secrets } from '../secrets/index.js';
import { callTimeout, fencingError, withWaitNotices, type DriverContext } from './driver-context.js';
import type { FencingError, FencingFailure, FencingOperation } from './fencing-error.js';
import type {
  PowerAction,
  PowerCallOptions,
  PowerController,
  PowerRequestResult,
  PowerState,
} from './power.interface.js';
import { RedfishHttp, RedfishTransportError, type RedfishResponse } from './redfish-http.js';

/**
 * The `redfish` driver (DMTF Redfish over HTTPS, Basic auth):
 *
 * 1. discovery: `GET /redfish/v1/` → `Systems.@odata.id` → the collection's `Members`; the one
 *    member, or the one whose id is `systemId`;
 * 2. status: `GET <system>` → `PowerState` (`On`, `Off`, `PoweringOn`, `PoweringOff`, `Paused`);
 * 3. off/on: `POST` to `Actions["#ComputerSystem.Reset"].target` (read from the system resource,
 *    never assumed) with `{"ResetType": "ForceOff" | "On" ...}`, after checking the type against
 *    `ResetType@Redfish.AllowableValues` (or the action's `@Redfish.ActionInfo`) when the BMC
 *    publishes it. 200, 202 and 204 mean accepted.
 *
 * HTTP errors are reported with the messages of Redfish's `error.@Message.ExtendedInfo`.
 */

/** Defaults of a `redfish` entry (the inventory schema's). */
export const REDFISH_DEFAULTS = {
  offResetType: 'ForceOff',
  onResetType: 'On',
  insecure: false,
} as const;

const POWER_STATES: Record<string, PowerState> = {
  On: 'on',
  Off: 'off',
  PoweringOn: 'powering-on',
  PoweringOff: 'powering-off',
  // Paused (ComputerSystem v1.15+): power is applied, the CPUs are halted. Not off.
  Paused: 'on',
};

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The human messages of a Redfish error body (`error.@Message.ExtendedInfo[].Message`, else `error.message`). */
export function redfishErrorMessages(body: unknown): string[] {
  if (!isObject(body)) return [];
  const error = isObject(body.error) ? body.error : body;
  const out: string[] = [];
  const info = error['@Message.ExtendedInfo'];
  if (Array.isArray(info)) {
    for (const item of info) {
      if (!isObject(item)) continue;
      const text = typeof item.Message === 'string' ? item.Message : undefined;
      const id = typeof item.MessageId === 'string' ? item.MessageId : undefined;
      if (text || id) out.push(text && id ? `${text} [${id}]` : (text ?? id ?? ''));
    }
  }
  if (out.length === 0 && typeof error.message === 'string') out.push(error.message);
  if (out.length === 0 && typeof error.code === 'string') out.push(error.code);
  return out;
}

function lastSegment(uri: string): string {
  const parts = uri.replace(/\/+$/, '').split('/');
  return decodeURIComponent(parts.at(-1) ?? '');
}

/** Power control through a Redfish BMC. Created by {@link createPowerController}. */
export class RedfishPowerController implements PowerController {
  readonly driver = 'redfish' as const;
  readonly host: string;
  readonly target: string;
  readonly credentialSource: string | undefined;
  readonly #ctx: DriverContext;
  readonly #bmc: RedfishBmc;
  readonly #http: RedfishHttp;
  #systemUri: URL | undefined;

  constructor(
    ctx: DriverContext,
    bmc: RedfishBmc,
    password: string,
    options: { warn: (message: string) => void; baseDir: string },
  ) {
    this.#ctx = ctx;
    this.host = ctx.host;
    this.target = ctx.target;
    this.credentialSource = ctx.credentialSource;
    this.#bmc = bmc;
    secrets.add(password);
    const baseUrl = new URL(bmc.url);
    if (baseUrl.password) secrets.add(decodeURIComponent(baseUrl.password));
    baseUrl.username = '';
    baseUrl.password = '';
    const caCertPath =
      bmc.caCert === undefined
        ? undefined
        : isAbsolute(bmc.caCert)
          ? bmc.caCert
          : resolvePath(options.baseDir, bmc.caCert);
    this.#http = new RedfishHttp({
      baseUrl,
      username: bmc.username,
      password,
      caCertPath,
      insecure: bmc.insecure ?? REDFISH_DEFAULTS.insecure,
      warn: options.warn,
      label: `host ${ctx.host}`,
    });
  }

  async status(options: PowerCallOptions = {}): Promise<PowerState> {
    const system = await this.#getSystem('status', options);
    const raw = system.PowerState;
    const state = typeof raw === 'string' ? POWER_STATES[raw] : undefined;
    if (!state) {
      throw fencingError(
        this.#ctx,
        'status',
        'unknown-state',
        `the ComputerSystem's PowerState is ${JSON.stringify(raw ?? null)}`,
        {
          details: { powerState: raw ?? null },
        },
      );
    }
    return state;
  }

  off(options: PowerCallOptions = {}): Promise<PowerRequestResult> {
    return this.#reset('off', this.#bmc.offResetType ?? REDFISH_DEFAULTS.offResetType, options);
  }

  on(options: PowerCallOptions = {}): Promise<PowerRequestResult> {
    return this.#reset('on', this.#bmc.onResetType ?? REDFISH_DEFAULTS.onResetType, options);
  }

  async #reset(action: PowerAction, resetType: string, options: PowerCallOptions): Promise<PowerRequestResult> {
    const system = await this.#getSystem(action, options);
    const actions = isObject(system.Actions) ? system.Actions : {};
    const reset = actions['#ComputerSystem.Reset'];
    if (!isObject(reset) || typeof reset.target !== 'string' || !reset.target) {
      throw fencingError(this.#ctx, action, 'rejected', 'the ComputerSystem offers no #ComputerSystem.Reset action', {
        extraHint: 'this BMC cannot be power-controlled through Redfish; use the ipmi or command driver',
      });
    }
    const targetUrl = this.#http.resolve(reset.target);
    const allowed = await this.#allowedResetTypes(reset, action, options);
    if (allowed && !allowed.includes(resetType)) {
      throw fencingError(
        this.#ctx,
        action,
        'config',
        `the BMC does not allow ResetType ${resetType} (allowed: ${allowed.join(', ') || 'none'})`,
        {
          extraHint: `set \`${action === 'off' ? 'offResetType' : 'onResetType'}\` to one of the allowed values`,
          details: { allowedResetTypes: allowed },
        },
      );
    }
    const body = { ResetType: resetType };
    const request = redact(`POST ${targetUrl.href} ${JSON.stringify(body)}`);
    if (options.dryRun) return { action, dryRun: true, request };
    const response = await this.#send(action, 'POST', targetUrl, options, body);
    if (response.status === 200 || response.status === 202 || response.status === 204) {
      return { action, dryRun: false, request };
    }
    throw this.#httpError(action, 'POST', targetUrl, response);
  }

  async #allowedResetTypes(reset: Json, action: PowerAction, options: PowerCallOptions): Promise<string[] | undefined> {
    const inline = reset['ResetType@Redfish.AllowableValues'];
    if (Array.isArray(inline)) return inline.filter((value): value is string => typeof value === 'string');
    const infoUri = reset['@Redfish.ActionInfo'];
    if (typeof infoUri !== 'string') return undefined;
    // ActionInfo is advisory: when it cannot be read, let the BMC judge the request itself.
    try {
      const response = await this.#send(action, 'GET', this.#http.resolve(infoUri), options);
      if (response.status !== 200 || !isObject(response.json) || !Array.isArray(response.json.Parameters))
        return undefined;
      const parameter = response.json.Parameters.find(
        (item): item is Json => isObject(item) && item.Name === 'ResetType',
      );
      const values = parameter?.AllowableValues;
      return Array.isArray(values) ? values.filter((value): value is string => typeof value === 'string') : undefined;
    } catch (error) {
      if ((error as FencingError).isCanceled) throw error;
      return undefined;
    }
  }

  async #getSystem(operation: FencingOperation, options: PowerCallOptions): Promise<Json> {
    const uri = await this.#discover(operation, options);
    const response = await this.#send(operation, 'GET', uri, options);
    if (response.status !== 200) {
      if (response.status === 404) this.#systemUri = undefined;
      throw this.#httpError(operation, 'GET', uri, response);
    }
    if (!isObject(response.json)) {
      throw fencingError(
        this.#ctx,
        operation,
        operation === 'status' ? 'unknown-state' : 'error',
        `GET ${uri.pathname} did not return a JSON object`,
      );
    }
    return response.json;
  }

  async #discover(operation: FencingOperation, options: PowerCallOptions): Promise<URL> {
    if (this.#systemUri) return this.#systemUri;
    const rootUrl = this.#http.resolve('/redfish/v1/');
    const root = await this.#send(operation, 'GET', rootUrl, options);
    if (root.status !== 200 || !isObject(root.json)) {
      if (root.status === 401 || root.status === 403 || root.status >= 500)
        throw this.#httpError(operation, 'GET', rootUrl, root);
      throw fencingError(
        this.#ctx,
        operation,
        'config',
        `no Redfish service root at ${rootUrl.href} (HTTP ${root.status})`,
        {
          extraHint: "check `url`: it is the BMC's base URL, e.g. https://bmc.example.net",
        },
      );
    }
    const systemsRef = isObject(root.json.Systems) ? root.json.Systems['@odata.id'] : undefined;
    const systemsUrl = this.#http.resolve(typeof systemsRef === 'string' ? systemsRef : '/redfish/v1/Systems');
    const collection = await this.#send(operation, 'GET', systemsUrl, options);
    if (collection.status !== 200 || !isObject(collection.json))
      throw this.#httpError(operation, 'GET', systemsUrl, collection);
    const members = (Array.isArray(collection.json.Members) ? collection.json.Members : [])
      .map((member) => (isObject(member) ? member['@odata.id'] : undefined))
      .filter((id): id is string => typeof id === 'string');
    const ids = members.map(lastSegment);
    const wanted = this.#bmc.systemId;
    let chosen: string | undefined;
    if (wanted !== undefined) {
      chosen = members[ids.indexOf(wanted)];
      if (chosen === undefined) {
        throw fencingError(
          this.#ctx,
          operation,
          'config',
          `the BMC has no system "${wanted}" (it lists: ${ids.join(', ') || 'none'})`,
          {
            extraHint: 'set `systemId` to one of the listed ids',
            details: { systems: ids },
          },
        );
      }
    } else if (members.length === 1) {
      chosen = members[0];
    } else {
      throw fencingError(
        this.#ctx,
        operation,
        'config',
        members.length === 0
          ? 'the BMC lists no ComputerSystem'
          : `the BMC lists ${members.length} systems (${ids.join(', ')}) and the inventory names none`,
        {
          extraHint: members.length === 0 ? undefined : 'set `systemId` to the one that is this host',
          details: { systems: ids },
        },
      );
    }
    this.#systemUri = this.#http.resolve(chosen);
    return this.#systemUri;
  }

  async #send(
    operation: FencingOperation,
    method: 'GET' | 'POST',
    url: URL,
    options: PowerCallOptions,
    body?: unknown,
  ): Promise<RedfishResponse> {
    const timeoutMs = callTimeout(this.#ctx, options.timeoutMs);
    try {
      return await withWaitNotices(this.#ctx, { operation, timeoutMs, request: `${method} ${url.pathname}` }, () =>
        this.#http.request(method, url, { body, signal: options.signal, timeoutMs }),
      );
    } catch (error) {
      if (error instanceof RedfishTransportError) {
        const failure: FencingFailure =
          error.kind === 'timeout'
            ? 'unreachable'
            : error.kind === 'canceled'
              ? 'canceled'
              : error.kind === 'tls'
                ? 'tls'
                : error.kind === 'config'
                  ? 'config'
                  : 'unreachable';
        throw fencingError(
          this.#ctx,
          operation,
          failure,
          `${method} ${url.pathname}: ${error.message}`,
          {
            details: { errno: error.errno, ...(error.kind === 'timeout' ? { callTimedOut: true } : {}) },
          },
          error,
        );
      }
      throw fencingError(
        this.#ctx,
        operation,
        'error',
        `${method} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`,
        {},
        error,
      );
    }
  }

  #httpError(operation: FencingOperation, method: string, url: URL, response: RedfishResponse): FencingError {
    const messages = redfishErrorMessages(response.json);
    const text = messages.length ? messages.join(' | ') : response.text.trim().slice(0, 200);
    const reason = `${method} ${url.pathname} answered HTTP ${response.status}${text ? `: ${text}` : ''}`;
    let failure: FencingFailure;
    let extraHint: string | undefined;
    if (response.status === 401) {
      failure = 'auth';
    } else if (response.status === 403) {
      failure = 'auth';
      extraHint =
        'HTTP 403: the user logged in but may not do this (Redfish privilege ConfigureComponents is needed to reset)';
    } else if (response.status === 404 && method === 'GET') {
      failure = 'config';
      extraHint = 'check `url` and `systemId`';
    } else if (response.status >= 400 && response.status < 500) {
      failure = method === 'POST' ? 'rejected' : 'error';
    } else {
      failure = 'error';
    }
    return fencingError(this.#ctx, operation, failure, reason, {
      extraHint,
      details: { httpStatus: response.status, redfishMessages: messages },
    });
  }
}
