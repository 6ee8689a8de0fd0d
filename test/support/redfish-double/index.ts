// An in-process Redfish BMC for tests: HTTPS on 127.0.0.1, Basic auth, the DMTF resource shapes
// (service root, Systems collection, ComputerSystem with PowerState and the #ComputerSystem.Reset
// action, optional ActionInfo), Redfish error bodies (error.@Message.ExtendedInfo with Base
// registry MessageIds), and power transitions through PoweringOff/PoweringOn after a delay.
//
// Control API: setPower, setRawPowerState, setDelay, failNext, delayNext, setCredentials,
// conflictWhenAlreadyInState, calls/count, and an onPower hook.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export { createTestTls, type TestTls } from './tls.js';

export type RedfishPowerState = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff' | 'Paused';

/** The ResetType values the double accepts unless told otherwise (ComputerSystem's ResetType enum). */
export const DEFAULT_RESET_TYPES = [
  'On',
  'ForceOff',
  'GracefulShutdown',
  'GracefulRestart',
  'ForceRestart',
  'Nmi',
  'ForceOn',
  'PushPowerButton',
  'PowerCycle',
];

const BASE = 'Base.1.16';

export interface RedfishDoubleOptions {
  readonly tls: { readonly cert: string; readonly key: string };
  /** @defaultValue `'admin'` */
  readonly username?: string;
  readonly password: string;
  /** Ids of the ComputerSystems. @defaultValue `['1']` */
  readonly systems?: readonly string[];
  /** Initial power state of every system. @defaultValue `'On'` */
  readonly powerState?: RedfishPowerState;
  /** Milliseconds a reset stays in PoweringOff/PoweringOn; Infinity: forever. @defaultValue `0` */
  readonly transitionDelayMs?: number;
  /** ResetType@Redfish.AllowableValues. @defaultValue {@link DEFAULT_RESET_TYPES} */
  readonly allowableResetTypes?: readonly string[];
  /** Publish the allowable values through `@Redfish.ActionInfo` instead of inline. @defaultValue `false` */
  readonly actionInfo?: boolean;
  /**
   * Path (below the system's URI) of the Reset action's target, as the BMC publishes it in
   * `Actions`. @defaultValue `'/Actions/ComputerSystem.Reset'`
   */
  readonly resetTargetSuffix?: string;
  /** Omit the Actions object (a BMC that cannot reset). @defaultValue `false` */
  readonly noResetAction?: boolean;
  /** Called when a system's power really changes (after the transition). */
  readonly onPower?: (state: 'On' | 'Off', systemId: string) => void;
}

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly authorized: boolean;
  /** The ResetType of a Reset POST. */
  readonly resetType?: string;
  readonly authorization?: string;
}

export type InjectedFailure =
  { readonly status: number; readonly messageId?: string; readonly message?: string } | 'drop' | 'hang';

interface SystemState {
  power: RedfishPowerState;
  raw: unknown;
  timer: NodeJS.Timeout | undefined;
}

interface Pending {
  remaining: number;
  failure: InjectedFailure;
  method: string | undefined;
  path: string | undefined;
}

function message(
  id: string,
  text: string,
  args: string[],
  resolution: string,
  severity = 'Critical',
): Record<string, unknown> {
  return {
    '@odata.type': '#Message.v1_1_1.Message',
    MessageId: `${BASE}.${id}`,
    Message: text,
    MessageArgs: args,
    MessageSeverity: severity,
    Severity: severity,
    Resolution: resolution,
  };
}

function errorBody(info: Record<string, unknown>[]): Record<string, unknown> {
  return {
    error: {
      code: `${BASE}.GeneralError`,
      message:
        'A general error has occurred. See Resolution for information on how to resolve the error, or @Message.ExtendedInfo if Resolution is not provided.',
      '@Message.ExtendedInfo': info,
    },
  };
}

export class RedfishDouble {
  readonly url: string;
  readonly port: number;
  readonly calls: RecordedCall[] = [];
  readonly #server: https.Server;
  readonly #sockets = new Set<Socket>();
  readonly #systems = new Map<string, SystemState>();
  readonly #options: RedfishDoubleOptions;
  #username: string;
  #password: string;
  #delayMs: number;
  #conflict = false;
  #pending: Pending[] = [];
  #delays: { remaining: number; ms: number; method: string | undefined; path: string | undefined }[] = [];

  private constructor(server: https.Server, port: number, options: RedfishDoubleOptions) {
    this.#server = server;
    this.port = port;
    this.url = `https://127.0.0.1:${port}`;
    this.#options = options;
    this.#username = options.username ?? 'admin';
    this.#password = options.password;
    this.#delayMs = options.transitionDelayMs ?? 0;
    for (const id of options.systems ?? ['1']) {
      this.#systems.set(id, { power: options.powerState ?? 'On', raw: undefined, timer: undefined });
    }
  }

  /** Starts a double on 127.0.0.1 and a free port. */
  static async start(options: RedfishDoubleOptions): Promise<RedfishDouble> {
    const server = https.createServer({ cert: options.tls.cert, key: options.tls.key });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const double = new RedfishDouble(server, (server.address() as AddressInfo).port, options);
    server.on('connection', (socket: Socket) => {
      double.#sockets.add(socket);
      socket.on('close', () => double.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => double.#handle(req, res));
    return double;
  }

  /** Stops the server, drops open connections and pending transitions. */
  async close(): Promise<void> {
    for (const system of this.#systems.values()) clearTimeout(system.timer);
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #system(id: string | undefined): SystemState {
    const key = id ?? [...this.#systems.keys()][0];
    const system = key === undefined ? undefined : this.#systems.get(key);
    if (!system) throw new Error(`redfish double: no system ${String(id)}`);
    return system;
  }

  /** Sets a system's power state now (cancels a transition in progress). */
  setPower(state: RedfishPowerState, systemId?: string): void {
    const system = this.#system(systemId);
    clearTimeout(system.timer);
    system.timer = undefined;
    system.power = state;
    system.raw = undefined;
  }

  /** The system's power state as the double holds it. */
  power(systemId?: string): RedfishPowerState {
    return this.#system(systemId).power;
  }

  /** Serves `value` as PowerState (e.g. `"Unknown"` or `null`) until {@link setPower}. */
  setRawPowerState(value: unknown, systemId?: string): void {
    this.#system(systemId).raw = value;
  }

  /** Milliseconds later resets take to complete; `Infinity` leaves them in PoweringOff/On. */
  setDelay(ms: number): void {
    this.#delayMs = ms;
  }

  /** Answers the next `count` matching requests with `failure` instead of serving them. */
  failNext(
    count: number,
    failure: InjectedFailure = { status: 503 },
    match: { method?: string; path?: string } = {},
  ): void {
    this.#pending.push({ remaining: count, failure, method: match.method, path: match.path });
  }

  /** Answers the next `count` matching requests normally, but only after `ms` milliseconds (a slow BMC). */
  delayNext(count: number, ms: number, match: { method?: string; path?: string } = {}): void {
    this.#delays.push({ remaining: count, ms, method: match.method, path: match.path });
  }

  #takeDelay(method: string, path: string): number {
    const delay = this.#delays.find(
      (d) => d.remaining > 0 && (!d.method || d.method === method) && (!d.path || path.includes(d.path)),
    );
    if (!delay) return 0;
    delay.remaining -= 1;
    this.#delays = this.#delays.filter((d) => d.remaining > 0);
    return delay.ms;
  }

  /** Changes the accepted credentials (a client with the old password then gets 401). */
  setCredentials(username: string, password: string): void {
    this.#username = username;
    this.#password = password;
  }

  /** Answer 409 to a reset that would not change the power state (some BMCs do). */
  conflictWhenAlreadyInState(on: boolean): void {
    this.#conflict = on;
  }

  /** Number of recorded calls matching method and/or a path substring. */
  count(method?: string, pathIncludes?: string): number {
    return this.calls.filter(
      (call) => (!method || call.method === method) && (!pathIncludes || call.path.includes(pathIncludes)),
    ).length;
  }

  /** The ResetTypes POSTed so far, in order. */
  resets(): string[] {
    return this.calls.filter((call) => call.resetType !== undefined).map((call) => call.resetType as string);
  }

  #send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
    const text = body === undefined ? '' : JSON.stringify(body, null, 2);
    res.writeHead(status, {
      'OData-Version': '4.0',
      'Cache-Control': 'no-cache',
      ...(body === undefined
        ? {}
        : { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) }),
      ...headers,
    });
    res.end(text);
    return status;
  }

  #authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const match = /^Basic\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return false;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && decoded.slice(0, colon) === this.#username && decoded.slice(colon + 1) === this.#password;
  }

  #takeFailure(method: string, path: string): InjectedFailure | undefined {
    const pending = this.#pending.find(
      (p) => p.remaining > 0 && (!p.method || p.method === method) && (!p.path || path.includes(p.path)),
    );
    if (!pending) return undefined;
    pending.remaining -= 1;
    this.#pending = this.#pending.filter((p) => p.remaining > 0);
    return pending.failure;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
      const authorized = this.#authorized(req);
      const record = (status: number, resetType?: string): void => {
        this.calls.push({
          method,
          path,
          status,
          authorized,
          ...(resetType ? { resetType } : {}),
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        });
      };
      const failure = this.#takeFailure(method, path);
      if (failure === 'drop') {
        record(0);
        req.socket.destroy();
        return;
      }
      if (failure === 'hang') {
        record(0);
        return;
      }
      if (failure) {
        const id = failure.messageId ?? (failure.status === 503 ? 'ServiceTemporarilyUnavailable' : 'InternalError');
        const text =
          failure.message ??
          (failure.status === 503
            ? 'The service is temporarily unavailable.  Retry in 1 seconds.'
            : 'The request failed due to an internal service error.  The service is still operational.');
        record(
          this.#send(
            res,
            failure.status,
            errorBody([message(id, text, failure.status === 503 ? ['1'] : [], 'Resubmit the request.')]),
            failure.status === 503 ? { 'Retry-After': '1' } : {},
          ),
        );
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const serve = (): void => {
        if (res.destroyed) return;
        const { status, resetType } = this.#route(method, path, body, authorized, res);
        record(status, resetType);
      };
      const delayMs = this.#takeDelay(method, path);
      if (delayMs > 0) setTimeout(serve, delayMs);
      else serve();
    });
  }

  #route(
    method: string,
    rawPath: string,
    body: string,
    authorized: boolean,
    res: ServerResponse,
  ): { status: number; resetType?: string } {
    const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
    // The service root and the version document are readable without authentication (DSP0266).
    if (path === '/redfish' && method === 'GET') return { status: this.#send(res, 200, { v1: '/redfish/v1/' }) };
    if (path === '/redfish/v1' && method === 'GET') return { status: this.#send(res, 200, this.#serviceRoot()) };
    if (!authorized) {
      return {
        status: this.#send(
          res,
          401,
          errorBody([
            message(
              'ResourceAtUriUnauthorized',
              `While accessing the resource at '${rawPath}', the service received an authorization error 'Invalid username or password'.`,
              [rawPath, 'Invalid username or password'],
              'Ensure that the appropriate access is provided for the service in order for it to access the URI.',
            ),
          ]),
          { 'WWW-Authenticate': 'Basic realm="forcedown Redfish double"' },
        ),
      };
    }
    if (path === '/redfish/v1/Systems') {
      if (method !== 'GET') return { status: this.#notAllowed(res, 'GET') };
      return { status: this.#send(res, 200, this.#collection()) };
    }
    const systemMatch = /^\/redfish\/v1\/Systems\/([^/]+)(\/.*)?$/.exec(path);
    const id = systemMatch?.[1] ? decodeURIComponent(systemMatch[1]) : undefined;
    const system = id === undefined ? undefined : this.#systems.get(id);
    if (systemMatch && system && id !== undefined) {
      const rest = systemMatch[2] ?? '';
      if (rest === '') {
        if (method !== 'GET') return { status: this.#notAllowed(res, 'GET') };
        return { status: this.#send(res, 200, this.#computerSystem(id, system)) };
      }
      if (rest === '/ResetActionInfo' && this.#options.actionInfo) {
        if (method !== 'GET') return { status: this.#notAllowed(res, 'GET') };
        return { status: this.#send(res, 200, this.#actionInfo(id)) };
      }
      if (
        rest === (this.#options.resetTargetSuffix ?? '/Actions/ComputerSystem.Reset').replace(/\/+$/, '') &&
        !this.#options.noResetAction
      ) {
        if (method !== 'POST') return { status: this.#notAllowed(res, 'POST') };
        return this.#reset(res, id, system, body);
      }
    }
    return {
      status: this.#send(
        res,
        404,
        errorBody([
          message(
            'ResourceNotFound',
            `The requested resource of type ComputerSystem named '${id ?? rawPath}' was not found.`,
            ['ComputerSystem', id ?? rawPath],
            'Provide a valid resource identifier and resubmit the request.',
          ),
        ]),
      ),
    };
  }

  #notAllowed(res: ServerResponse, allow: string): number {
    return this.#send(
      res,
      405,
      errorBody([message('OperationNotAllowed', 'The HTTP method is not allowed on this resource.', [], 'None.')]),
      { Allow: allow },
    );
  }

  #reset(res: ServerResponse, id: string, system: SystemState, body: string): { status: number; resetType?: string } {
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(body) : {};
    } catch {
      return {
        status: this.#send(
          res,
          400,
          errorBody([
            message(
              'MalformedJSON',
              'The request body submitted was malformed JSON and could not be parsed by the receiving service.',
              [],
              'Ensure that the request body is valid JSON and resubmit the request.',
            ),
          ]),
        ),
      };
    }
    const resetType =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).ResetType : undefined;
    const action = 'ComputerSystem.Reset';
    if (typeof resetType !== 'string') {
      return {
        status: this.#send(
          res,
          400,
          errorBody([
            message(
              'ActionParameterMissing',
              `The action ${action} requires the parameter ResetType to be present in the request body.`,
              [action, 'ResetType'],
              'Supply the action with the required parameter in the request body when the request is resubmitted.',
            ),
          ]),
        ),
      };
    }
    const allowed = this.#options.allowableResetTypes ?? DEFAULT_RESET_TYPES;
    if (!allowed.includes(resetType)) {
      return {
        status: this.#send(
          res,
          400,
          errorBody([
            message(
              'ActionParameterValueNotInList',
              `The value '${resetType}' for the parameter ResetType in the action ${action} is not in the list of acceptable values.`,
              [resetType, 'ResetType', action],
              'Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.',
              'Warning',
            ),
          ]),
        ),
        resetType,
      };
    }
    const settled =
      system.power === 'PoweringOff'
        ? 'Off'
        : system.power === 'PoweringOn'
          ? 'On'
          : system.power === 'Paused'
            ? 'On'
            : system.power;
    let goal: 'On' | 'Off' | undefined;
    if (resetType === 'ForceOff' || resetType === 'GracefulShutdown') goal = 'Off';
    else if (resetType === 'On' || resetType === 'ForceOn') goal = 'On';
    else if (resetType === 'PushPowerButton') goal = settled === 'On' ? 'Off' : 'On';
    else if (resetType === 'Nmi') goal = undefined;
    else goal = 'On'; // restarts and PowerCycle end powered on
    if (goal === undefined) return { status: this.#send(res, 204, undefined), resetType };
    const alreadyThere = goal === system.power && /Force|^On$|GracefulShutdown/.test(resetType);
    if (alreadyThere && this.#conflict) {
      return {
        status: this.#send(
          res,
          409,
          errorBody([
            message(
              'ResourceInUse',
              `The change to the requested resource failed because the resource is in use or in transition. The system is already powered ${goal.toLowerCase()}.`,
              [],
              'Remove the condition and resubmit the request if the operation failed.',
              'Warning',
            ),
          ]),
        ),
        resetType,
      };
    }
    if (!alreadyThere) this.#transition(id, system, goal);
    return { status: this.#send(res, 204, undefined), resetType };
  }

  #transition(id: string, system: SystemState, goal: 'On' | 'Off'): void {
    clearTimeout(system.timer);
    system.timer = undefined;
    const finish = (): void => {
      system.timer = undefined;
      system.power = goal;
      this.#options.onPower?.(goal, id);
    };
    if (this.#delayMs <= 0) {
      finish();
      return;
    }
    system.power = goal === 'Off' ? 'PoweringOff' : 'PoweringOn';
    if (Number.isFinite(this.#delayMs)) system.timer = setTimeout(finish, this.#delayMs);
  }

  #serviceRoot(): Record<string, unknown> {
    return {
      '@odata.type': '#ServiceRoot.v1_16_0.ServiceRoot',
      '@odata.id': '/redfish/v1/',
      Id: 'RootService',
      Name: 'Root Service',
      RedfishVersion: '1.18.0',
      UUID: '6a1f3c2e-4b5d-4e6f-8a7b-9c0d1e2f3a4b',
      Systems: { '@odata.id': '/redfish/v1/Systems' },
      Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' } },
    };
  }

  #collection(): Record<string, unknown> {
    const members = [...this.#systems.keys()].map((id) => ({
      '@odata.id': `/redfish/v1/Systems/${encodeURIComponent(id)}`,
    }));
    return {
      '@odata.type': '#ComputerSystemCollection.ComputerSystemCollection',
      '@odata.id': '/redfish/v1/Systems',
      Name: 'Computer System Collection',
      'Members@odata.count': members.length,
      Members: members,
    };
  }

  #computerSystem(id: string, system: SystemState): Record<string, unknown> {
    const base = `/redfish/v1/Systems/${encodeURIComponent(id)}`;
    const reset: Record<string, unknown> = {
      target: `${base}${this.#options.resetTargetSuffix ?? '/Actions/ComputerSystem.Reset'}`,
    };
    if (this.#options.actionInfo) reset['@Redfish.ActionInfo'] = `${base}/ResetActionInfo`;
    else reset['ResetType@Redfish.AllowableValues'] = [...(this.#options.allowableResetTypes ?? DEFAULT_RESET_TYPES)];
    return {
      '@odata.type': '#ComputerSystem.v1_20_0.ComputerSystem',
      '@odata.id': base,
      Id: id,
      Name: `System ${id}`,
      SystemType: 'Physical',
      Manufacturer: 'forcedown test double',
      Status: { State: 'Enabled', Health: 'OK' },
      PowerState: system.raw !== undefined ? system.raw : system.power,
      // not required by the schema, but every real BMC has it and OpenStack's sushy insists on it
      Boot: {
        BootSourceOverrideEnabled: 'Disabled',
        BootSourceOverrideTarget: 'None',
        'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Hdd', 'Cd', 'BiosSetup'],
        BootSourceOverrideMode: 'UEFI',
      },
      ...(this.#options.noResetAction ? {} : { Actions: { '#ComputerSystem.Reset': reset } }),
    };
  }

  #actionInfo(id: string): Record<string, unknown> {
    return {
      '@odata.type': '#ActionInfo.v1_4_0.ActionInfo',
      '@odata.id': `/redfish/v1/Systems/${encodeURIComponent(id)}/ResetActionInfo`,
      Id: 'ResetActionInfo',
      Name: 'Reset Action Info',
      Parameters: [
        {
          Name: 'ResetType',
          Required: true,
          DataType: 'String',
          AllowableValues: [...(this.#options.allowableResetTypes ?? DEFAULT_RESET_TYPES)],
        },
      ],
    };
  }
}
