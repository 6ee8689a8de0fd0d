/** Keystone v3 of the double: `POST /v3/auth/tokens` (password, application credential, token). */
import { randomUUID } from 'node:crypto';
import { keystoneError, keystoneTime, type DoubleRequest, type DoubleResponse } from './http-kit.js';
import { newToken, type CloudState, type DoubleUser, type TokenRecord } from './state.js';

/** What Keystone needs from the double. */
export interface KeystoneContext {
  readonly state: CloudState;
  readonly tokenTtlMs: number;
  readonly now: () => number;
  readonly catalog: () => unknown[];
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

const UNAUTHORIZED = keystoneError(401, 'Unauthorized', 'The request you have made requires authentication.');

function findUser(state: CloudState, ref: Json): DoubleUser | undefined {
  if (typeof ref.id === 'string') return state.users.get(ref.id);
  if (typeof ref.name !== 'string') return undefined;
  const domain = obj(ref.domain);
  for (const user of state.users.values()) {
    if (user.name !== ref.name) continue;
    if (typeof domain.id === 'string' && domain.id === user.domainId) return user;
    if (typeof domain.name === 'string' && domain.name.toLowerCase() === user.domainId.toLowerCase()) return user;
  }
  return undefined;
}

/** Validates a token of a request (`X-Auth-Token`); undefined when missing, unknown or expired. */
export function validToken(state: CloudState, token: string | undefined, now: number): TokenRecord | undefined {
  if (token === undefined) return undefined;
  const record = state.tokens.get(token);
  if (record === undefined || record.expiresAt <= now) return undefined;
  return record;
}

/** Handles `POST /v3/auth/tokens`. */
export function issueToken(ctx: KeystoneContext, req: DoubleRequest): DoubleResponse {
  const auth = obj(obj(req.body).auth);
  const identity = obj(auth.identity);
  const methods = Array.isArray(identity.methods) ? (identity.methods as string[]) : [];
  const now = ctx.now();
  let user: DoubleUser | undefined;
  let inherited: TokenRecord | undefined;
  let appCredProject: string | undefined;
  const method = methods[0];
  if (method === 'password') {
    const ref = obj(obj(identity.password).user);
    if (typeof ref.name === 'string' && ref.domain === undefined) {
      return keystoneError(
        400,
        'Bad Request',
        'Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.',
      );
    }
    user = findUser(ctx.state, ref);
    if (user === undefined || user.password !== ref.password) return UNAUTHORIZED;
  } else if (method === 'application_credential') {
    const ref = obj(identity.application_credential);
    let credential = typeof ref.id === 'string' ? ctx.state.appCredentials.get(ref.id) : undefined;
    if (credential === undefined && typeof ref.name === 'string') {
      const owner = findUser(ctx.state, obj(ref.user));
      credential = [...ctx.state.appCredentials.values()].find((c) => c.name === ref.name && c.userId === owner?.id);
    }
    if (credential === undefined || credential.secret !== ref.secret) return UNAUTHORIZED;
    if (auth.scope !== undefined)
      return keystoneError(401, 'Unauthorized', 'Application credentials cannot request a scope.');
    user = ctx.state.users.get(credential.userId);
    appCredProject = user?.projectId;
  } else if (method === 'token') {
    const id = obj(identity.token).id;
    inherited = validToken(ctx.state, typeof id === 'string' ? id : undefined, now);
    if (inherited === undefined) return keystoneError(404, 'Not Found', 'Could not find token.');
    user = ctx.state.users.get(inherited.userId);
  } else {
    return keystoneError(400, 'Bad Request', `Attempted to authenticate with an unsupported method.`);
  }
  if (user === undefined) return UNAUTHORIZED;

  const scope = obj(auth.scope);
  let projectId = appCredProject;
  let domainId: string | undefined;
  if (auth.scope !== undefined) {
    const project = obj(scope.project);
    if (Object.keys(project).length > 0) {
      let found = typeof project.id === 'string' ? ctx.state.projects.get(project.id) : undefined;
      if (found === undefined && typeof project.name === 'string') {
        const domain = obj(project.domain);
        found = [...ctx.state.projects.values()].find(
          (p) =>
            p.name === project.name &&
            ((typeof domain.id === 'string' && domain.id === p.domainId) ||
              (typeof domain.name === 'string' && domain.name.toLowerCase() === p.domainId.toLowerCase())),
        );
      }
      if (found === undefined || found.id !== user.projectId)
        return keystoneError(401, 'Unauthorized', 'The request you have made requires authentication.');
      projectId = found.id;
    } else {
      const domain = obj(scope.domain);
      domainId =
        typeof domain.id === 'string'
          ? domain.id
          : typeof domain.name === 'string'
            ? domain.name.toLowerCase()
            : undefined;
      if (domainId !== user.domainId || !user.roles.includes('admin')) return UNAUTHORIZED;
    }
  }
  const token = newToken();
  const expiresAt = inherited?.expiresAt ?? now + ctx.tokenTtlMs;
  const record: TokenRecord = {
    userId: user.id,
    projectId,
    domainId,
    roles: user.roles,
    methods,
    expiresAt,
    issuedAt: now,
  };
  ctx.state.tokens.set(token, record);
  const project = projectId === undefined ? undefined : ctx.state.projects.get(projectId);
  return {
    status: 201,
    headers: { 'x-subject-token': token },
    body: {
      token: {
        methods,
        user: {
          id: user.id,
          name: user.name,
          domain: { id: user.domainId, name: user.domainId === 'default' ? 'Default' : user.domainId },
          password_expires_at: null,
        },
        audit_ids: [randomUUID().slice(0, 22)],
        expires_at: keystoneTime(expiresAt),
        issued_at: keystoneTime(now),
        ...(project === undefined
          ? {}
          : {
              project: { id: project.id, name: project.name, domain: { id: project.domainId, name: 'Default' } },
              is_domain: false,
            }),
        ...(domainId === undefined ? {} : { domain: { id: domainId, name: 'Default' } }),
        roles: user.roles.map((name) => ({ id: `role-${name}`, name })),
        ...(projectId === undefined && domainId === undefined ? {} : { catalog: ctx.catalog() }),
      },
    },
  };
}
