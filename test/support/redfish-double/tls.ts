// Test TLS material made with openssl in a temporary directory: a CA, a server certificate for
// 127.0.0.1/localhost signed by it, and a second, unrelated CA (to prove that trust is per CA).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestTls {
  readonly dir: string;
  /** PEM file of the CA that signed the server certificate. */
  readonly caPath: string;
  /** PEM file of another CA, which did not. */
  readonly otherCaPath: string;
  readonly cert: string;
  readonly key: string;
  /** Removes the directory. */
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=forcedown test ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

/** Creates a CA and a server certificate for 127.0.0.1 (openssl must be installed). */
export function createTestTls(): TestTls {
  const dir = mkdtempSync(join(tmpdir(), 'forcedown-redfish-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'bmc.key',
      '-out',
      'bmc.csr',
      '-subj',
      '/CN=127.0.0.1',
    ],
    dir,
  );
  writeFileSync(
    join(dir, 'bmc.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'bmc.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'bmc.pem',
      '-days',
      '2',
      '-extfile',
      'bmc.ext',
    ],
    dir,
  );
  return {
    dir,
    caPath: join(dir, 'ca.pem'),
    otherCaPath: join(dir, 'other-ca.pem'),
    cert: readFileSync(join(dir, 'bmc.pem'), 'utf8'),
    key: readFileSync(join(dir, 'bmc.key'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
