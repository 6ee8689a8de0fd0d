import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateServerCertificate } from '../../../src/provider/tls.js';

test('a self-signed ECDSA P-256 certificate for localhost, as go-plugin verifies it', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const cert = generateServerCertificate({ now, validForMs: 3600_000 });
  const x509 = new X509Certificate(cert.der);
  assert.is(x509.subject, 'CN=localhost');
  assert.is(x509.issuer, 'CN=localhost');
  assert.is(x509.checkHost('localhost'), 'localhost');
  assert.is(x509.checkIP('127.0.0.1'), '127.0.0.1');
  assert.ok(x509.ca, 'CA:TRUE so it can anchor its own chain');
  assert.ok(x509.verify(x509.publicKey), 'signature verifies with its own key');
  assert.equal(x509.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'serverAuth + clientAuth');
  assert.is(new Date(x509.validFrom).getTime(), now.getTime() - 5 * 60_000);
  assert.is(new Date(x509.validTo).getTime(), now.getTime() + 3600_000);
  assert.is(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  // the key in the PEM is the certificate's key
  const fromKey = createPublicKey(createPrivateKey(cert.keyPem)).export({ type: 'spki', format: 'der' });
  assert.equal(fromKey, x509.publicKey.export({ type: 'spki', format: 'der' }));
  assert.equal(new X509Certificate(cert.certPem).raw, cert.der);
});

test('every certificate has its own key and serial', () => {
  const a = new X509Certificate(generateServerCertificate().der);
  const b = new X509Certificate(generateServerCertificate().der);
  assert.is.not(a.serialNumber, b.serialNumber);
  assert.is.not(a.fingerprint256, b.fingerprint256);
  assert.not.match(a.serialNumber, /^[89A-F]/, 'serial is a positive INTEGER');
});

test('dates from 2050 use GeneralizedTime (RFC 5280)', () => {
  const x509 = new X509Certificate(
    generateServerCertificate({ now: new Date('2049-12-31T23:00:00Z'), validForMs: 7200_000 }).der,
  );
  assert.is(new Date(x509.validTo).toISOString(), '2050-01-01T01:00:00.000Z');
});

test.run();
