/** The signing key file and the JWTs: issue, verify, expiry, tampering, kinds not interchangeable. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { RegistryTokens } from './registry-tokens.ts';
import { loadOrCreateSigningKey, signingKeyFile } from './token-keys.ts';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'marina-registry-tokens-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const alice = { name: 'alice', created: '2025-01-01T00:00:00.000Z' };
const pullApp = [{ type: 'repository', name: 'app', actions: ['pull'] }];

async function makeTokens(t: TestContext, ttl = 60) {
  const dir = join(tempDir(t), 'registry');
  let now = Date.parse('2025-06-01T12:00:00Z');
  const tokens = new RegistryTokens({
    keys: await loadOrCreateSigningKey(dir),
    service: 'marina-registry',
    accessTtlSeconds: ttl,
    clock: () => now,
  });
  return { tokens, dir, advance: (seconds: number) => (now += seconds * 1000) };
}

test('signing key: made once with mode 0600 in a fresh directory, the same key when loaded again', async (t) => {
  const dir = join(tempDir(t), 'registry');
  const first = await loadOrCreateSigningKey(dir);
  const path = join(dir, signingKeyFile);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.match(readFileSync(path, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  const second = await loadOrCreateSigningKey(dir);
  assert.equal(second.publicKey.equals(first.publicKey), true);
});

test('signing key: an unreadable key file is an error naming the file, not silently replaced', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, signingKeyFile), 'not a key');
  await assert.rejects(loadOrCreateSigningKey(dir), /token-signing-key\.pem cannot be read.*remove it/);
});

test('access token: Docker claims, verified back to its user and access', async (t) => {
  const { tokens } = await makeTokens(t);
  const issued = await tokens.issueAccess(alice, pullApp);
  assert.equal(issued.expiresIn, 60);
  assert.equal(issued.issuedAt, '2025-06-01T12:00:00.000Z');
  assert.deepEqual(decodeProtectedHeader(issued.token), { alg: 'ES256', typ: 'JWT' });
  const claims = decodeJwt(issued.token);
  assert.equal(claims.iss, 'marina-registry');
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.aud, 'marina-registry');
  assert.equal(claims.exp! - claims.iat!, 60);
  assert.equal(typeof claims.jti, 'string');
  assert.deepEqual(claims.access, pullApp);
  assert.deepEqual(await tokens.verifyAccess(issued.token), { valid: true, user: alice, access: pullApp });
});

test('access token: anonymous tokens have no subject', async (t) => {
  const { tokens } = await makeTokens(t);
  const issued = await tokens.issueAccess(undefined, pullApp);
  assert.equal(decodeJwt(issued.token).sub, undefined);
  assert.deepEqual(await tokens.verifyAccess(issued.token), {
    valid: true,
    user: undefined,
    access: pullApp,
  });
});

test('access token: expires after its lifetime', async (t) => {
  const { tokens, advance } = await makeTokens(t, 2);
  const { token } = await tokens.issueAccess(alice, pullApp);
  advance(1);
  assert.equal((await tokens.verifyAccess(token)).valid, true);
  advance(2);
  const verified = await tokens.verifyAccess(token);
  assert.equal(verified.valid, false);
  assert.match(verified.valid ? '' : verified.reason, /expired/);
});

test('access token: a changed payload, a foreign key or another service is refused', async (t) => {
  const { tokens } = await makeTokens(t);
  const { token } = await tokens.issueAccess(alice, pullApp);
  const [header, , signature] = token.split('.');
  const widened = Buffer.from(
    JSON.stringify({
      ...decodeJwt(token),
      access: [{ type: 'repository', name: 'app', actions: ['pull', 'push'] }],
    }),
  ).toString('base64url');
  assert.equal((await tokens.verifyAccess(`${header}.${widened}.${signature}`)).valid, false);
  assert.equal((await tokens.verifyAccess('not.a.jwt')).valid, false);
  const other = await makeTokens(t);
  assert.equal((await other.tokens.verifyAccess(token)).valid, false, 'signed by another daemon');
  const otherService = new RegistryTokens({
    keys: await loadOrCreateSigningKey(other.dir),
    service: 'other-service',
    accessTtlSeconds: 60,
  });
  const foreign = await otherService.issueAccess(alice, pullApp);
  assert.equal((await other.tokens.verifyAccess(foreign.token)).valid, false, 'audience of another service');
});

test('refresh token: long-lived, names its user, and is not an access token (nor the reverse)', async (t) => {
  const { tokens, advance } = await makeTokens(t);
  const refresh = await tokens.issueRefresh(alice);
  assert.equal(decodeProtectedHeader(refresh).typ, 'refresh+jwt');
  advance(7 * 24 * 3600);
  assert.deepEqual(await tokens.verifyRefresh(refresh), { valid: true, user: alice });
  assert.equal((await tokens.verifyAccess(refresh)).valid, false);
  const access = await tokens.issueAccess(alice, pullApp);
  assert.equal((await tokens.verifyRefresh(access.token)).valid, false);
});
