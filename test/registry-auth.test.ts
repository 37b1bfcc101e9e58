/**
 * The registry's default token authentication on a real marinad: the Bearer challenge, users added with
 * `marina registry user add`, skopeo pushing and pulling with credentials, bad credentials and expired
 * tokens (401 with the challenge), a pull-only user pushing and an anonymous token pushing (403),
 * anonymous pull per repository pattern, and TLS with a self-signed certificate.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { uniqueName } from './harness.ts';
import {
  basicAuth,
  type HttpAnswer,
  layoutDigest,
  makeOciLayout,
  type OciLayout,
  type RegistryDaemon,
  request,
  skopeo,
  skopeoPull,
  skopeoPush,
  skopeoPushArgs,
  skopeoResult,
  useRegistryDaemon,
} from './registry-fixtures.ts';

const service = 'marina-registry';

let work: string;
let layout: OciLayout;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'marina-registry-auth-'));
  layout = await makeOciLayout(join(work, 'layout'), {
    layers: [{ sizeBytes: 64 * 1024 }, { sizeBytes: 1024 }],
    tag: 'v1',
  });
});
after(() => rm(work, { recursive: true, force: true }));

async function addUser(reg: RegistryDaemon, name: string, password: string, pullOnly = false): Promise<void> {
  await reg.daemon.ok(
    ['registry', 'user', 'add', name, '--password-stdin', ...(pullOnly ? ['--pull-only'] : [])],
    {
      input: `${password}\n`,
    },
  );
}

/** Parses `Bearer realm="…",service="…",scope="…"` into its parameters. */
function bearerChallenge(answer: HttpAnswer): Record<string, string> {
  const header = String(answer.headers['www-authenticate'] ?? '');
  assert.match(header, /^Bearer /, `WWW-Authenticate: ${header}`);
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

function assertChallenge(answer: HttpAnswer, reg: RegistryDaemon, what: string): Record<string, string> {
  assert.equal(answer.status, 401, `${what}: ${answer.status} ${answer.body.toString().slice(0, 300)}`);
  const challenge = bearerChallenge(answer);
  assert.equal(challenge.realm, `${reg.url}/auth/token`);
  assert.equal(challenge.service, service);
  return challenge;
}

async function token(
  reg: RegistryDaemon,
  scope: string,
  credentials?: [string, string],
): Promise<HttpAnswer> {
  return request(`${reg.url}/auth/token?service=${service}&scope=${encodeURIComponent(scope)}`, {
    headers: credentials ? { authorization: basicAuth(...credentials) } : {},
    insecure: true,
  });
}

function tokenOf(answer: HttpAnswer): string {
  assert.equal(answer.status, 200, `token endpoint: ${answer.status} ${answer.body.toString()}`);
  const body = answer.json as { token?: string; access_token?: string };
  const value = body.token ?? body.access_token;
  assert.ok(value, `no token in ${answer.body.toString()}`);
  return value;
}

const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

describe('registry token auth', () => {
  const registry = useRegistryDaemon({ seedBusybox: false });

  before(async () => {
    await addUser(registry(), 'alice', 'alice-secret');
    await addUser(registry(), 'bob', 'bob-secret', true);
  });

  test('/v2/ without credentials is 401 with a Bearer challenge naming the token endpoint', async () => {
    const answer = await request(`${registry().url}/v2/`);
    assertChallenge(answer, registry(), '/v2/ anonymous');
    assert.equal(answer.errorCode, 'UNAUTHORIZED');
    const push = await request(`${registry().url}/v2/team/app/blobs/uploads/`, { method: 'POST' });
    const challenge = assertChallenge(push, registry(), 'upload anonymous');
    assert.equal(challenge.scope, 'repository:team/app:pull,push');
  });

  test('users are listed without their passwords', async () => {
    const out = await registry().daemon.ok(['registry', 'user', 'ls']);
    assert.match(out, /alice/);
    assert.match(out, /bob/);
    assert.doesNotMatch(out, /secret/);
  });

  test('skopeo pushes and pulls with --dest-creds / --src-creds', async () => {
    const repo = uniqueName('team/app');
    await skopeoPush(layout.dir, 'v1', `${registry().host}/${repo}:v1`, { creds: 'alice:alice-secret' });
    const out = join(work, uniqueName('pulled'));
    await skopeoPull(`${registry().host}/${repo}:v1`, out, 'v1', { creds: 'alice:alice-secret' });
    assert.equal(await layoutDigest(out), layout.digest, 'the manifest came back byte for byte');

    // The token carries the scope and works on the next request; Basic credentials work directly too.
    const t = tokenOf(await token(registry(), `repository:${repo}:pull`, ['alice', 'alice-secret']));
    const byToken = await request(`${registry().url}/v2/${repo}/manifests/v1`, {
      method: 'HEAD',
      headers: { ...bearer(t), accept: layout.mediaType },
    });
    assert.equal(byToken.status, 200);
    const byBasic = await request(`${registry().url}/v2/${repo}/tags/list`, {
      headers: { authorization: basicAuth('alice', 'alice-secret') },
    });
    assert.equal(byBasic.status, 200);
    assert.deepEqual((byBasic.json as { tags: string[] }).tags, ['v1']);
  });

  test('a wrong password is 401: at the token endpoint, in Basic auth, and for skopeo', async () => {
    const denied = await token(registry(), 'repository:team/app:pull', ['alice', 'wrong']);
    assert.equal(denied.status, 401, denied.body.toString());
    const unknownUser = await token(registry(), 'repository:team/app:pull', ['nobody', 'alice-secret']);
    assert.equal(unknownUser.status, 401);
    const basic = await request(`${registry().url}/v2/`, {
      headers: { authorization: basicAuth('alice', 'wrong') },
    });
    assertChallenge(basic, registry(), 'Basic with a wrong password');
    const forged = await request(`${registry().url}/v2/`, { headers: bearer('not.a.token') });
    assertChallenge(forged, registry(), 'a malformed token');

    const r = await skopeoResult(
      skopeoPushArgs(layout.dir, 'v1', `${registry().host}/team/wrong:v1`, { creds: 'alice:wrong' }),
    );
    assert.notEqual(r.code, 0, 'skopeo with a wrong password must fail');
    assert.match(r.stderr, /401|unauthorized|authentication required/i, r.stderr);
  });

  test('a pull-only user may pull but pushing is 403 DENIED', async () => {
    const repo = uniqueName('team/readonly');
    await skopeoPush(layout.dir, 'v1', `${registry().host}/${repo}:v1`, { creds: 'alice:alice-secret' });
    await skopeo([
      'inspect',
      '--creds',
      'bob:bob-secret',
      '--tls-verify=false',
      `docker://${registry().host}/${repo}:v1`,
    ]);
    const basic = await request(`${registry().url}/v2/${repo}/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: basicAuth('bob', 'bob-secret') },
    });
    assert.equal(basic.status, 403, basic.body.toString());
    assert.equal(basic.errorCode, 'DENIED');

    // The token endpoint grants bob pull only; with that token a push is 403, not another challenge.
    const t = tokenOf(await token(registry(), `repository:${repo}:pull,push`, ['bob', 'bob-secret']));
    const withToken = await request(`${registry().url}/v2/${repo}/blobs/uploads/`, {
      method: 'POST',
      headers: bearer(t),
    });
    assert.equal(withToken.status, 403, withToken.body.toString());
    assert.equal(withToken.errorCode, 'DENIED');

    const r = await skopeoResult(
      skopeoPushArgs(layout.dir, 'v1', `${registry().host}/${repo}:v2`, { creds: 'bob:bob-secret' }),
    );
    assert.notEqual(r.code, 0, 'skopeo push as a pull-only user must fail');
    assert.match(r.stderr, /denied|403/i, r.stderr);
    const tags = await request(`${registry().url}/v2/${repo}/tags/list`, {
      headers: { authorization: basicAuth('alice', 'alice-secret') },
    });
    assert.deepEqual((tags.json as { tags: string[] }).tags, ['v1'], 'bob tagged nothing');
  });

  test('a token without push scope that the user could get is answered with a new challenge (401)', async () => {
    const repo = uniqueName('team/scope');
    const t = tokenOf(await token(registry(), `repository:${repo}:pull`, ['alice', 'alice-secret']));
    const answer = await request(`${registry().url}/v2/${repo}/blobs/uploads/`, {
      method: 'POST',
      headers: bearer(t),
    });
    const challenge = assertChallenge(answer, registry(), 'pull token used to push');
    assert.equal(challenge.scope, `repository:${repo}:pull,push`);
  });

  test('anonymous pull is allowed only where a pattern allows it', async () => {
    const open = `public/${uniqueName('app')}`;
    const closed = uniqueName('private/app');
    for (const repo of [open, closed]) {
      await skopeoPush(layout.dir, 'v1', `${registry().host}/${repo}:v1`, { creds: 'alice:alice-secret' });
    }
    const beforePattern = await request(`${registry().url}/v2/${open}/manifests/v1`, {
      headers: { accept: layout.mediaType },
    });
    assertChallenge(beforePattern, registry(), 'anonymous pull before the pattern');

    await registry().daemon.ok(['registry', 'anonymous-pull', 'add', 'public/*']);
    assert.match(await registry().daemon.ok(['registry', 'anonymous-pull', 'ls']), /^public\/\*$/m);
    try {
      const out = join(work, uniqueName('anonymous'));
      await skopeoPull(`${registry().host}/${open}:v1`, out, 'v1');
      assert.equal(await layoutDigest(out), layout.digest);

      const anonymousToken = tokenOf(await token(registry(), `repository:${open}:pull,push`));
      const get = await request(`${registry().url}/v2/${open}/manifests/v1`, {
        headers: { ...bearer(anonymousToken), accept: layout.mediaType },
      });
      assert.equal(get.status, 200, 'an anonymous token pulls the open repository');
      const push = await request(`${registry().url}/v2/${open}/blobs/uploads/`, {
        method: 'POST',
        headers: bearer(anonymousToken),
      });
      assert.equal(push.status, 403, `anonymous push: ${push.status} ${push.body.toString()}`);
      assert.equal(push.errorCode, 'DENIED');

      const elsewhere = await request(`${registry().url}/v2/${closed}/manifests/v1`, {
        headers: { accept: layout.mediaType },
      });
      assertChallenge(elsewhere, registry(), 'anonymous pull of a repository no pattern allows');
      const r = await skopeoResult([
        'inspect',
        '--tls-verify=false',
        `docker://${registry().host}/${closed}:v1`,
      ]);
      assert.notEqual(r.code, 0, 'skopeo cannot read it anonymously');
    } finally {
      await registry().daemon.ok(['registry', 'anonymous-pull', 'rm', 'public/*']);
    }
    const afterPattern = await request(`${registry().url}/v2/${open}/manifests/v1`, {
      headers: { accept: layout.mediaType },
    });
    assertChallenge(afterPattern, registry(), 'anonymous pull after the pattern was removed');
  });

  test('a removed user can no longer log in', async () => {
    await addUser(registry(), 'carol', 'carol-secret');
    tokenOf(await token(registry(), 'repository:x:pull', ['carol', 'carol-secret']));
    await registry().daemon.ok(['registry', 'user', 'rm', 'carol']);
    const answer = await token(registry(), 'repository:x:pull', ['carol', 'carol-secret']);
    assert.equal(answer.status, 401);
  });
});

describe('registry token expiry (--registry-token-ttl 1)', () => {
  const registry = useRegistryDaemon({ seedBusybox: false, args: ['--registry-token-ttl', '1'] });

  test('a token works until it expires, then the request is 401 with the challenge', async () => {
    await addUser(registry(), 'alice', 'alice-secret');
    const answer = await token(registry(), 'repository:team/app:pull', ['alice', 'alice-secret']);
    const t = tokenOf(answer);
    const expiresIn = (answer.json as { expires_in?: number }).expires_in;
    assert.equal(expiresIn, 1);
    assert.equal((await request(`${registry().url}/v2/`, { headers: bearer(t) })).status, 200);
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await request(`${registry().url}/v2/`, { headers: bearer(t) });
    assertChallenge(expired, registry(), 'an expired token');
  });
});

describe('registry TLS (--registry-tls-self-signed)', () => {
  const registry = useRegistryDaemon({ seedBusybox: false, tls: true, args: ['--registry-tls-self-signed'] });

  test('serves HTTPS with a self-signed certificate; skopeo pushes and pulls over it', async () => {
    const reg = registry();
    const strict = await request(`${reg.url}/v2/`).then(
      () => 'accepted',
      (err: Error) => err.message,
    );
    assert.notEqual(strict, 'accepted', 'a verifying client refuses the self-signed certificate');
    assertChallenge(await request(`${reg.url}/v2/`, { insecure: true }), reg, 'HTTPS /v2/');

    await addUser(reg, 'alice', 'alice-secret');
    const repo = uniqueName('tls/app');
    await skopeoPush(layout.dir, 'v1', `${reg.host}/${repo}:v1`, { creds: 'alice:alice-secret' });
    const raw = await skopeo([
      'inspect',
      '--raw',
      '--creds',
      'alice:alice-secret',
      '--tls-verify=false',
      `docker://${reg.host}/${repo}:v1`,
    ]);
    const manifest = JSON.parse(raw) as { layers: unknown[] };
    assert.equal(manifest.layers.length, 2);
  });
});

describe('registry TLS with a given certificate (--registry-tls-cert, --registry-tls-key)', () => {
  // Made before the daemon starts: the flags name these files.
  const certDir = mkdtempSync(join(tmpdir(), 'marina-registry-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(certDir, 'server-key.pem'),
      '-out',
      join(certDir, 'ca.crt'),
    ],
    { stdio: 'ignore' },
  );
  after(() => rm(certDir, { recursive: true, force: true }));
  const registry = useRegistryDaemon({
    seedBusybox: false,
    tls: true,
    args: [
      '--registry-auth',
      'none',
      '--registry-tls-cert',
      join(certDir, 'ca.crt'),
      '--registry-tls-key',
      join(certDir, 'server-key.pem'),
    ],
  });

  test('serves that certificate: skopeo verifying it against the CA pushes and reads back', async () => {
    const reg = registry();
    const repo = uniqueName('tls/given');
    await skopeo([
      'copy',
      '--dest-cert-dir',
      certDir,
      `oci:${layout.dir}:v1`,
      `docker://${reg.host}/${repo}:v1`,
    ]);
    const raw = await skopeo(['inspect', '--raw', '--cert-dir', certDir, `docker://${reg.host}/${repo}:v1`]);
    assert.equal((JSON.parse(raw) as { layers: unknown[] }).layers.length, 2);
    const unverified = await skopeoResult(['inspect', '--raw', `docker://${reg.host}/${repo}:v1`]);
    assert.notEqual(unverified.code, 0, 'without the CA, a verifying client refuses the certificate');
  });
});
