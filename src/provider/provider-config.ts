/**
 * The provider block → the OpenStack client's `loadCloudConfig` options. Set arguments become
 * `overrides` (they win); unset ones fall back to `OS_*` variables and clouds.yaml/secure.yaml,
 * which the client reads as openstacksdk does.
 */
import type { LoadCloudConfigOptions } from '../openstack/openstack.interface.js';
import { secrets } from '../secrets/index.js';
import { errorDiagnostic, warningDiagnostic, type Diagnostic } from './diagnostics.js';
import { ENDPOINT_TYPES, attributesOf, providerSchema } from './schema/index.js';
import { isUnknown, type TfObject, type TfValue } from './unknown.js';

/** The provider block's known values, by camelCase key (unset and unknown arguments are absent). */
export type ProviderConfigValues = {
  -readonly [K in keyof typeof providerSchema.attributes]?: (typeof providerSchema.attributes)[K]['type'] extends 'bool'
    ? boolean
    : string;
};

const SECRET_KEYS = ['password', 'token', 'applicationCredentialSecret'] as const;

/** Reads the provider block; registers secret values with the redaction registry at once. */
export function readProviderConfig(config: TfValue): { values: ProviderConfigValues; unknown: string[] } {
  const values: Record<string, string | boolean> = {};
  const unknown: string[] = [];
  const object: TfObject =
    config !== null && typeof config === 'object' && !Array.isArray(config) && !isUnknown(config)
      ? (config as TfObject)
      : {};
  for (const [key, name, spec] of attributesOf(providerSchema)) {
    const value = object[name];
    if (value === undefined || value === null) continue;
    if (isUnknown(value)) {
      unknown.push(name);
      continue;
    }
    if (spec.type === 'bool' && typeof value === 'boolean') values[key] = value;
    else if (spec.type === 'string' && typeof value === 'string') values[key] = value;
  }
  for (const key of SECRET_KEYS) {
    const value = values[key];
    if (typeof value === 'string') secrets.add(value);
  }
  return { values, unknown };
}

/** Problems with the provider block that need no cloud to detect (all at once). */
export function validateProviderConfig(values: ProviderConfigValues): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const [key, name, spec] of attributesOf(providerSchema)) {
    const value = values[key as keyof ProviderConfigValues];
    if (spec.type === 'string' && value === '') {
      diagnostics.push(
        errorDiagnostic(
          `Empty ${name}`,
          `The provider argument ${name} is an empty string. Remove it to use the OS_* variables / clouds.yaml, or give a value.`,
          [name],
        ),
      );
    }
  }
  if (
    values.endpointType !== undefined &&
    values.endpointType !== '' &&
    ENDPOINT_TYPES[values.endpointType] === undefined
  ) {
    diagnostics.push(
      errorDiagnostic(
        'Invalid endpoint_type',
        `endpoint_type is "${values.endpointType}"; expected one of ${Object.keys(ENDPOINT_TYPES).join(', ')}.`,
        ['endpoint_type'],
      ),
    );
  }
  if (
    values.token !== undefined &&
    (values.password !== undefined || values.applicationCredentialSecret !== undefined)
  ) {
    diagnostics.push(
      errorDiagnostic(
        'Conflicting credentials',
        'token is set together with password or application_credential_secret. Use one auth method: remove the token, or the other credential.',
        ['token'],
      ),
    );
  }
  if (values.applicationCredentialName !== undefined && values.userName === undefined && values.userId === undefined) {
    diagnostics.push(
      warningDiagnostic(
        'application_credential_name needs a user',
        'Keystone finds an application credential by name only together with its user: set user_name (and user_domain_name) or user_id, or use application_credential_id instead.',
        ['application_credential_name'],
      ),
    );
  }
  if (values.insecure === true) {
    diagnostics.push(
      warningDiagnostic(
        'TLS verification is off',
        'insecure = true skips TLS verification of the OpenStack endpoints. Use cacert_file for a private CA instead.',
        ['insecure'],
      ),
    );
  }
  return diagnostics;
}

/** `loadCloudConfig` options: provider arguments as overrides, the rest from the environment. */
export function cloudOptionsFromConfig(
  values: ProviderConfigValues,
  env?: Readonly<Record<string, string | undefined>>,
): LoadCloudConfigOptions {
  const auth: Record<string, string> = {};
  const put = (target: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') auth[target] = value;
  };
  put('authUrl', values.authUrl);
  put('username', values.userName);
  put('userId', values.userId);
  put('password', values.password);
  put('projectName', values.tenantName);
  put('projectId', values.tenantId);
  put('userDomainName', values.userDomainName);
  put('userDomainId', values.userDomainId);
  put('projectDomainName', values.projectDomainName);
  put('projectDomainId', values.projectDomainId);
  put('domainName', values.domainName);
  put('applicationCredentialId', values.applicationCredentialId);
  put('applicationCredentialName', values.applicationCredentialName);
  put('applicationCredentialSecret', values.applicationCredentialSecret);
  put('token', values.token);

  const overrides: Record<string, unknown> = {};
  if (Object.keys(auth).length > 0) overrides.auth = auth;
  if (values.token !== undefined) overrides.authType = 'token';
  else if (
    values.applicationCredentialId !== undefined ||
    values.applicationCredentialSecret !== undefined ||
    values.applicationCredentialName !== undefined
  ) {
    overrides.authType = 'v3applicationcredential';
  } else if (values.password !== undefined) overrides.authType = 'password';
  if (values.region !== undefined) overrides.regionName = values.region;
  if (values.endpointType !== undefined && ENDPOINT_TYPES[values.endpointType] !== undefined)
    overrides.interface = ENDPOINT_TYPES[values.endpointType];
  if (values.cacertFile !== undefined) overrides.cacert = values.cacertFile;
  if (values.insecure !== undefined) overrides.verify = !values.insecure;

  const options: {
    cloud?: string;
    env?: Readonly<Record<string, string | undefined>>;
    overrides?: LoadCloudConfigOptions['overrides'];
  } = {};
  if (values.cloud !== undefined) options.cloud = values.cloud;
  if (env !== undefined) options.env = env;
  if (Object.keys(overrides).length > 0) options.overrides = overrides;
  return options;
}
