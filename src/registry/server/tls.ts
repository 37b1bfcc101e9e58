/**
 * The self-signed certificate `--registry-tls-self-signed` serves with. Made once with the openssl CLI
 * and reused while it is valid, matches its key and names every host asked for, so clients that trust
 * it (Docker-style `certs.d/<host:port>/ca.crt`) keep trusting it across daemon restarts.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { isMarinaError, MarinaError } from '../../errors.ts';
import { readTextIfPresent } from '../../read-text.ts';
import { runChecked } from '../../run-command.ts';

export interface SelfSignedCertificate {
  cert: string;
  key: string;
  certPath: string;
}

const validDays = 825;
/** Renewed this long before it expires, so a running daemon never serves an expired one for long. */
const renewBeforeMs = 30 * 24 * 60 * 60 * 1000;
const alwaysNamed = ['127.0.0.1', 'localhost'];

/** A host as it appears in an address (`[::1]`, `0.0.0.0`) to the name a certificate carries. */
function hostName(host: string): string {
  return host.trim().replace(/^\[(.*)\]$/, '$1');
}

/** The `subjectAltName` value naming each host once: IP entries for addresses, DNS entries for names. */
export function subjectAltName(hosts: readonly string[]): string {
  const names = [...new Set([...alwaysNamed, ...hosts].map(hostName).filter((h) => h !== ''))];
  return names.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
}

/** Whether an existing certificate and key can be kept for these hosts. */
export function isReusable(
  certPem: string,
  keyPem: string,
  hosts: readonly string[],
  now = Date.now(),
): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return false;
    if (Date.parse(cert.validTo) - renewBeforeMs < now || Date.parse(cert.validFrom) > now) return false;
    return [...alwaysNamed, ...hosts]
      .map(hostName)
      .filter((h) => h !== '')
      .every((h) => (isIP(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
  } catch {
    return false;
  }
}

export async function ensureSelfSignedCertificate(
  dir: string,
  hosts: string[],
): Promise<SelfSignedCertificate> {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const [existingCert, existingKey] = await Promise.all([
    readTextIfPresent(certPath),
    readTextIfPresent(keyPath),
  ]);
  if (
    existingCert !== undefined &&
    existingKey !== undefined &&
    isReusable(existingCert, existingKey, hosts)
  ) {
    return { cert: existingCert, key: existingKey, certPath };
  }

  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Written beside and renamed into place: a crash half way leaves the old pair or a pair that fails
  // isReusable (key and certificate not matching) and is made again.
  const tmpKey = `${keyPath}.${process.pid}.tmp`;
  const tmpCert = `${certPath}.${process.pid}.tmp`;
  const commonName = hostName(hosts[0] ?? '') || 'localhost';
  try {
    await runChecked('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      tmpKey,
      '-out',
      tmpCert,
      '-days',
      String(validDays),
      '-subj',
      `/O=Marina registry/CN=${commonName}`,
      '-addext',
      `subjectAltName=${subjectAltName(hosts)}`,
      '-addext',
      'extendedKeyUsage=serverAuth',
    ]);
    await chmod(tmpKey, 0o600);
    await rename(tmpKey, keyPath);
    await rename(tmpCert, certPath);
  } catch (err) {
    await Promise.all([rm(tmpKey, { force: true }), rm(tmpCert, { force: true })]);
    if (isMarinaError(err, 'Unavailable')) {
      throw new MarinaError(
        'Unavailable',
        'openssl is needed to make a self-signed registry certificate; install it (Debian: apt-get install openssl) or give --registry-tls-cert and --registry-tls-key',
        { cause: err },
      );
    }
    throw err;
  }
  const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { cert, key, certPath };
}
