/**
 * The body of Keystone v3 `POST /v3/auth/tokens` for each auth method, and the token endpoint URL.
 */
import { invalidInput } from '../../errors/index.js';
import type { CloudConfig } from '../openstack.interface.js';

/** `{auth_url}/auth/tokens`: `…/v3` is used as is, a versionless URL gets `/v3` appended. */
export function tokensUrl(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, '');
  if (/\/v2\.0$/.test(base)) {
    throw invalidInput(
      'CLOUD_CONFIG_KEYSTONE_V2',
      `auth_url ${authUrl} is a Keystone v2.0 endpoint`,
      'use the Keystone v3 endpoint (usually the same URL ending in /v3)',
      { authUrl },
    );
  }
  if (/\/v3$/.test(base)) return `${base}/auth/tokens`;
  return `${base}/v3/auth/tokens`;
}

function domainRef(id: string | undefined, name: string | undefined): Record<string, string> | undefined {
  if (id !== undefined) return { id };
  if (name !== undefined) return { name };
  return undefined;
}

function userRef(auth: CloudConfig['auth']): Record<string, unknown> {
  if (auth.userId !== undefined) return { id: auth.userId };
  const domain = domainRef(auth.userDomainId, auth.userDomainName);
  return { name: auth.username, ...(domain === undefined ? {} : { domain }) };
}

/** The request body for the cloud's auth method and scope. */
export function authRequestBody(config: CloudConfig): Record<string, unknown> {
  const auth = config.auth;
  let identity: Record<string, unknown>;
  switch (config.authType) {
    case 'password':
      identity = { methods: ['password'], password: { user: { ...userRef(auth), password: auth.password } } };
      break;
    case 'v3applicationcredential': {
      const credential: Record<string, unknown> =
        auth.applicationCredentialId !== undefined
          ? { id: auth.applicationCredentialId, secret: auth.applicationCredentialSecret }
          : { name: auth.applicationCredentialName, secret: auth.applicationCredentialSecret, user: userRef(auth) };
      // an application credential carries its scope: Keystone refuses a scope in the request
      return { auth: { identity: { methods: ['application_credential'], application_credential: credential } } };
    }
    case 'token':
      identity = { methods: ['token'], token: { id: auth.token } };
      break;
  }
  let scope: Record<string, unknown> | undefined;
  if (auth.projectId !== undefined) scope = { project: { id: auth.projectId } };
  else if (auth.projectName !== undefined) {
    const domain = domainRef(auth.projectDomainId, auth.projectDomainName);
    scope = { project: { name: auth.projectName, ...(domain === undefined ? {} : { domain }) } };
  } else {
    const domain = domainRef(auth.domainId, auth.domainName);
    if (domain !== undefined) scope = { domain };
  }
  return { auth: { identity, ...(scope === undefined ? {} : { scope }) } };
}
