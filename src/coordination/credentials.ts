import { readFile, stat } from 'node:fs/promises';
import { invalidInput } from '../errors/index.js';
import { secrets } from '../secrets/index.js';
import type { CoordinationSettings } from './config.js';

/** What the etcd client is given: the TLS material and the password, read and registered as secrets. */
export interface EtcdCredentials {
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  readonly auth?: { readonly username: string; readonly password: string };
}

async function privateFile(file: string, what: string, hint: string): Promise<Buffer> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw invalidInput('COORDINATION_FILE_MISSING', `the etcd ${what} ${file} does not exist`, hint, { file });
  }
  if (!info.isFile())
    throw invalidInput('COORDINATION_FILE_INVALID', `the etcd ${what} ${file} is not a regular file`, hint, { file });
  if ((info.mode & 0o077) !== 0) {
    throw invalidInput(
      'COORDINATION_FILE_INSECURE',
      `the etcd ${what} ${file} is readable by other users (mode ${(info.mode & 0o777).toString(8)})`,
      `chmod 600 ${file}`,
      { file },
    );
  }
  return readFile(file);
}

async function publicFile(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch {
    throw invalidInput(
      'COORDINATION_FILE_MISSING',
      `the etcd ${what} ${file} cannot be read`,
      'point the TLS setting at a readable PEM file',
      { file },
    );
  }
}

async function password(settings: CoordinationSettings, env: Readonly<Record<string, string | undefined>>) {
  const source = settings.auth?.password;
  if (source === undefined) return undefined;
  if ('env' in source) {
    const value = env[source.env];
    if (value === undefined || value === '') {
      throw invalidInput(
        'COORDINATION_PASSWORD_MISSING',
        `the etcd password should be in environment variable ${source.env}, which is not set`,
        `export ${source.env}=... (or use a 0600 password file)`,
        { env: source.env },
      );
    }
    return value;
  }
  const text = (
    await privateFile(source.file, 'password file', 'write the password on the first line of a 0600 file')
  ).toString('utf8');
  const value = text.split(/\r?\n/)[0] ?? '';
  if (value === '')
    throw invalidInput(
      'COORDINATION_PASSWORD_MISSING',
      `the etcd password file ${source.file} is empty`,
      'write the password on its first line',
      { file: source.file },
    );
  return value;
}

/**
 * Reads what the settings point at: the CA bundle, the client certificate and its key (which
 * must not be readable by others) and the password (environment variable or 0600 file). The
 * password is registered as a secret the moment it is read, so no log, event or error shows it.
 */
export async function loadCredentials(
  settings: CoordinationSettings,
  env: Readonly<Record<string, string | undefined>>,
): Promise<EtcdCredentials> {
  const { tls } = settings;
  const files = tls
    ? {
        ...(tls.ca ? { ca: await publicFile(tls.ca, 'CA bundle') } : {}),
        ...(tls.cert ? { cert: await publicFile(tls.cert, 'client certificate') } : {}),
        ...(tls.key ? { key: await privateFile(tls.key, 'client key', 'keep the key in a 0600 file') } : {}),
      }
    : undefined;
  const secret = await password(settings, env);
  secrets.add(secret);
  return {
    ...(files ? { tls: files } : {}),
    ...(settings.auth && secret !== undefined ? { auth: { username: settings.auth.username, password: secret } } : {}),
  };
}
