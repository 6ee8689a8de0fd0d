/**
 * The provider's ephemeral TLS server certificate, made at start-up for go-plugin's AutoMTLS.
 *
 * node:crypto makes an ECDSA P-256 key in about a millisecond but has no X.509 writer, and the
 * packages that have one (node-forge via `selfsigned`, `@peculiar/x509` with its ASN.1 schema
 * stack) cost tens of milliseconds to import or seconds to make RSA keys; spawning openssl costs a
 * process. A self-signed certificate is a small, fixed DER structure, so it is written here
 * directly: ~1 ms, no dependency. Shape (as go-plugin makes its own): subject and issuer
 * CN=localhost, SAN DNS:localhost + IP:127.0.0.1, CA:TRUE, key usage digitalSignature +
 * keyCertSign, extended key usage serverAuth + clientAuth, ecdsa-with-SHA256.
 *
 * The certificate is trusted by Terraform only because its DER goes back in the handshake line;
 * it lives as long as the process and is never written to disk.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/** A generated certificate and its key. */
export interface ServerCertificate {
  /** DER of the certificate (what the handshake line carries, base64 without padding). */
  readonly der: Buffer;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Options of {@link generateServerCertificate}. */
export interface CertificateOptions {
  /** @defaultValue `'localhost'` (the server name go-plugin's client verifies) */
  readonly commonName?: string;
  /** @defaultValue `new Date()` */
  readonly now?: Date;
  /** @defaultValue 30 days */
  readonly validForMs?: number;
}

// ---- a minimal DER writer ----------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);
const octetString = (content: Buffer): Buffer => tlv(0x04, content);
const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const bitString = (content: Buffer, unusedBits = 0): Buffer =>
  tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));
const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));

function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let content = bytes.subarray(start);
  if ((content[0] ?? 0) & 0x80) content = Buffer.concat([Buffer.from([0]), content]);
  return tlv(0x02, content);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const first = parts[0] ?? 0;
  const second = parts[1] ?? 0;
  const out: number[] = [first * 40 + second];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(date: Date): Buffer {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const year = date.getUTCFullYear();
  const body = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050
  return year < 2050
    ? tlv(0x17, Buffer.from(`${pad(year % 100)}${body}`, 'ascii'))
    : tlv(0x18, Buffer.from(`${year}${body}`, 'ascii'));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** Makes a fresh ECDSA P-256 key and a self-signed certificate for it. */
export function generateServerCertificate(options: CertificateOptions = {}): ServerCertificate {
  const commonName = options.commonName ?? 'localhost';
  const now = options.now ?? new Date();
  const validForMs = options.validForMs ?? 30 * 24 * 3600 * 1000;
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive
  if (serial[0] === 0) serial[0] = 1;
  const extensions = sequence(
    extension(OID.basicConstraints, true, sequence(boolean(true))),
    // digitalSignature (bit 0) + keyCertSign (bit 5): 1000 0100, 2 unused bits
    extension(OID.keyUsage, true, bitString(Buffer.from([0x84]), 2)),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth), oid(OID.clientAuth))),
    extension(
      OID.subjectAltName,
      false,
      sequence(tlv(0x82, Buffer.from(commonName, 'ascii')), tlv(0x87, Buffer.from([127, 0, 0, 1]))),
    ),
  );
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    algorithm,
    name,
    sequence(time(new Date(now.getTime() - 5 * 60_000)), time(new Date(now.getTime() + validForMs))),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = sequence(tbs, algorithm, bitString(signature));
  const base64 = der.toString('base64');
  const certPem = `-----BEGIN CERTIFICATE-----\n${(base64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { der, certPem, keyPem };
}
