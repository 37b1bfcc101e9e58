import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runChecked } from '../../run-command.ts';
import { ensureSelfSignedCertificate, isReusable, subjectAltName } from './tls.ts';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'marina-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('subjectAltName names loopback and every host once, addresses as IP entries', () => {
  assert.equal(
    subjectAltName(['registry.example', '10.1.2.3', '[::1]', 'localhost', '']),
    'IP:127.0.0.1,DNS:localhost,DNS:registry.example,IP:10.1.2.3,IP:::1',
  );
});

test('makes a key (0600) and a self-signed certificate naming the hosts', async (t) => {
  const dir = await tempDir(t);
  const made = await ensureSelfSignedCertificate(join(dir, 'registry'), ['registry.example', '10.1.2.3']);
  assert.equal(made.certPath, join(dir, 'registry', 'cert.pem'));
  assert.equal((await stat(join(dir, 'registry', 'key.pem'))).mode & 0o777, 0o600);
  const text = await runChecked('openssl', ['x509', '-in', made.certPath, '-noout', '-text']);
  const sans = /X509v3 Subject Alternative Name:\s*\n\s*(.+)/.exec(text)?.[1]?.trim();
  assert.equal(sans, 'IP Address:127.0.0.1, DNS:localhost, DNS:registry.example, IP Address:10.1.2.3');
  const cert = new X509Certificate(made.cert);
  assert.equal(cert.issuer, cert.subject);
  assert.ok(isReusable(made.cert, made.key, ['registry.example']));
});

test('reuses a valid pair, makes a new one for a new host or a mismatched key', async (t) => {
  const dir = await tempDir(t);
  const first = await ensureSelfSignedCertificate(dir, ['a.example']);
  const again = await ensureSelfSignedCertificate(dir, ['a.example']);
  assert.equal(again.cert, first.cert);
  assert.equal(again.key, first.key);

  const wider = await ensureSelfSignedCertificate(dir, ['a.example', 'b.example']);
  assert.notEqual(wider.cert, first.cert);
  assert.ok(new X509Certificate(wider.cert).checkHost('b.example'));

  await writeFile(join(dir, 'key.pem'), first.key);
  const repaired = await ensureSelfSignedCertificate(dir, ['a.example', 'b.example']);
  assert.notEqual(repaired.cert, wider.cert);
  assert.ok(isReusable(repaired.cert, repaired.key, ['a.example', 'b.example']));
});

test('a pair is not reusable when it expires soon or is garbage', async (t) => {
  const dir = await tempDir(t);
  const made = await ensureSelfSignedCertificate(dir, []);
  const validTo = Date.parse(new X509Certificate(made.cert).validTo);
  assert.equal(isReusable(made.cert, made.key, [], validTo - 24 * 60 * 60 * 1000), false);
  assert.equal(isReusable('not a certificate', made.key, []), false);
});
