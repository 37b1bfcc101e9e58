/**
 * The registry's auth as the server uses it, through createRegistryAuth on a real state database: the
 * token endpoint (GET and OAuth2 POST), and the authorizer's allow / 401 challenge / 403 answers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { pino } from 'pino';
import { StateDb } from '../../../db/state-db.ts';
import type { AuthDecision, RequiredAccess } from './authorizer.ts';
import { createRegistryAuth, type RegistryAuth } from './create-registry-auth.ts';

const origin = 'http://127.0.0.1:5000';
const realm = `Bearer realm="${origin}/auth/token",service="marina-registry"`;

interface Harness {
  auth: RegistryAuth;
  root: string;
  db: StateDb;
  advance(seconds: number): void;
}

async function setup(t: TestContext): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'marina-registry-auth-'));
  const db = new StateDb(join(root, 'state.db'));
  t.after(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });
  let now = Date.now();
  const auth = await createRegistryAuth({
    db,
    root,
    service: 'marina-registry',
    tokenTtlSeconds: 60,
    logger: pino({ level: 'silent' }),
    clock: () => now,
  });
  await auth.access.addUser('alice', 'alice-secret');
  await auth.access.addUser('reader', 'reader-secret', { pullOnly: true });
  await auth.access.addAnonymousPull('public/*');
  return { auth, root, db, advance: (seconds) => (now += seconds * 1000) };
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const repo = (name: string, ...actions: ('pull' | 'push' | 'delete')[]): RequiredAccess => ({
  type: 'repository',
  name,
  actions,
});
const catalog: RequiredAccess = { type: 'registry', name: 'catalog', actions: ['*'] };

function authorize(
  h: Harness,
  authorization: string | undefined,
  required: RequiredAccess,
): Promise<AuthDecision> {
  return h.auth.authorizer.authorize(authorization === undefined ? {} : { authorization }, required, origin);
}

async function tokenAnswer(
  h: Harness,
  authorization: string | undefined,
  query: Record<string, string | string[]>,
) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) for (const v of [value].flat()) params.append(key, v);
  return h.auth.tokenEndpoint.handle({
    method: 'GET',
    headers: authorization === undefined ? {} : { authorization },
    query: params,
  });
}

/** A Bearer header for a token the endpoint gives `authorization` for `scope`. */
async function bearer(h: Harness, authorization: string | undefined, ...scope: string[]): Promise<string> {
  const answer = await tokenAnswer(h, authorization, { service: 'marina-registry', scope });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return `Bearer ${(answer.body as { token: string }).token}`;
}

async function postForm(h: Harness, form: Record<string, string>) {
  return h.auth.tokenEndpoint.handle({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    query: new URLSearchParams(),
    form: new URLSearchParams(form),
  });
}

function grantedAccess(answer: { body: unknown }): unknown {
  const token = (answer.body as { token: string }).token;
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).access;
}

function assertChallenge(decision: AuthDecision, challenge: string, message?: RegExp): void {
  assert.equal(decision.allowed, false, 'expected a 401');
  if (decision.allowed) return;
  assert.equal(decision.status, 401);
  assert.equal(decision.code, 'UNAUTHORIZED');
  assert.equal(decision.headers['www-authenticate'], challenge);
  if (message) assert.match(decision.message, message);
}

function assertDenied(decision: AuthDecision, message: RegExp): void {
  assert.equal(decision.allowed, false, 'expected a 403');
  if (decision.allowed) return;
  assert.equal(decision.status, 403);
  assert.equal(decision.code, 'DENIED');
  assert.match(decision.message, message);
}

test('/v2/: no credentials is a challenge without scope; any valid credential, anonymous token too, is let in', async (t) => {
  const h = await setup(t);
  assertChallenge(await authorize(h, undefined, { type: 'base' }), realm);
  assert.deepEqual(await authorize(h, await bearer(h, undefined), { type: 'base' }), {
    allowed: true,
    subject: undefined,
  });
  assert.deepEqual(await authorize(h, basic('alice', 'alice-secret'), { type: 'base' }), {
    allowed: true,
    subject: 'alice',
  });
  assert.deepEqual(await authorize(h, await bearer(h, basic('reader', 'reader-secret')), { type: 'base' }), {
    allowed: true,
    subject: 'reader',
  });
  assertChallenge(
    await authorize(h, basic('alice', 'wrong'), { type: 'base' }),
    realm,
    /wrong user name or password/,
  );
});

test('token endpoint GET: Docker body; the grant is what was asked as far as the caller may have it', async (t) => {
  const h = await setup(t);
  const scope = ['repository:app:pull,push', 'registry:catalog:*'];
  const answer = await tokenAnswer(h, basic('alice', 'alice-secret'), {
    service: 'marina-registry',
    scope,
    account: 'alice',
  });
  assert.equal(answer.status, 200);
  const body = answer.body as Record<string, unknown>;
  assert.equal(body.token, body.access_token);
  assert.equal(body.expires_in, 60);
  assert.match(String(body.issued_at), /^\d{4}-\d\d-\d\dT/);
  assert.equal(body.refresh_token, undefined);
  assert.deepEqual(grantedAccess(answer), [
    { type: 'repository', name: 'app', actions: ['pull', 'push'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
  const forReader = await tokenAnswer(h, basic('reader', 'reader-secret'), { scope });
  assert.deepEqual(grantedAccess(forReader), [{ type: 'repository', name: 'app', actions: ['pull'] }]);
  const anonymous = await tokenAnswer(h, undefined, {
    scope: 'repository:public/app:pull,push repository:app:pull',
  });
  assert.deepEqual(grantedAccess(anonymous), [{ type: 'repository', name: 'public/app', actions: ['pull'] }]);
});

test('token endpoint GET: wrong credentials 401, bad scope / service / account 400', async (t) => {
  const h = await setup(t);
  const wrong = await tokenAnswer(h, basic('alice', 'nope'), { scope: 'repository:app:pull' });
  assert.equal(wrong.status, 401);
  assert.equal((wrong.body as { errors: { code: string }[] }).errors[0]!.code, 'UNAUTHORIZED');
  assert.equal((await tokenAnswer(h, basic('nobody', 'nope'), {})).status, 401);
  const badQueries: Record<string, string>[] = [
    { scope: 'repository:app' },
    { service: 'elsewhere' },
    { account: 'bob' },
  ];
  for (const query of badQueries) {
    const answer = await tokenAnswer(h, basic('alice', 'alice-secret'), query);
    assert.equal(answer.status, 400, JSON.stringify(query));
    assert.match((answer.body as { errors: { message: string }[] }).errors[0]!.message, /./);
  }
  assert.equal((await tokenAnswer(h, 'Bearer abc', {})).status, 400);
});

test('anonymous: pulls what a pattern opens, is challenged elsewhere, denied a push once it holds a token', async (t) => {
  const h = await setup(t);
  assert.deepEqual(await authorize(h, undefined, repo('public/app', 'pull')), {
    allowed: true,
    subject: undefined,
  });
  assertChallenge(
    await authorize(h, undefined, repo('private/app', 'pull')),
    `${realm},scope="repository:private/app:pull"`,
    /authentication required/,
  );
  assertChallenge(
    await authorize(h, undefined, repo('public/app', 'push')),
    `${realm},scope="repository:public/app:pull,push"`,
  );
  const token = await bearer(h, undefined, 'repository:public/app:pull,push');
  assert.equal((await authorize(h, token, repo('public/app', 'pull'))).allowed, true);
  assertDenied(
    await authorize(h, token, repo('public/app', 'push')),
    /anonymous push on repository public\/app is not allowed: log in/,
  );
  assertDenied(await authorize(h, token, catalog), /anonymous catalog listing/);
  // Closing the pattern takes effect on tokens already issued.
  await h.auth.access.removeAnonymousPull('public/*');
  assertDenied(await authorize(h, token, repo('public/app', 'pull')), /anonymous pull/);
});

test('Basic credentials on a request: a user may do everything, wrong ones are challenged', async (t) => {
  const h = await setup(t);
  const alice = basic('alice', 'alice-secret');
  for (const required of [repo('app', 'pull'), repo('app', 'push'), repo('app', 'delete'), catalog]) {
    assert.deepEqual(await authorize(h, alice, required), { allowed: true, subject: 'alice' });
  }
  // Checked again from the cache: still the same answer.
  assert.deepEqual(await authorize(h, alice, repo('app', 'push')), { allowed: true, subject: 'alice' });
  assertChallenge(
    await authorize(h, basic('alice', 'wrong'), repo('app', 'pull')),
    `${realm},scope="repository:app:pull"`,
    /wrong user name or password/,
  );
  assertChallenge(
    await authorize(h, 'Digest abc', repo('app', 'pull')),
    `${realm},scope="repository:app:pull"`,
  );
});

test('pull-only user: pulls everywhere, push and catalog are 403 with Basic and with a token', async (t) => {
  const h = await setup(t);
  const reader = basic('reader', 'reader-secret');
  assert.deepEqual(await authorize(h, reader, repo('private/app', 'pull')), {
    allowed: true,
    subject: 'reader',
  });
  assertDenied(await authorize(h, reader, repo('app', 'push')), /user reader may only pull/);
  assertDenied(await authorize(h, reader, repo('app', 'delete')), /user reader may only pull/);
  assertDenied(await authorize(h, reader, catalog), /user reader may only pull/);
  const token = await bearer(h, reader, 'repository:app:pull,push');
  assert.equal((await authorize(h, token, repo('app', 'pull'))).allowed, true);
  assertDenied(await authorize(h, token, repo('app', 'push')), /user reader may only pull/);
});

test('a token lacking a scope its user could get is a 401 insufficient_scope challenge for it', async (t) => {
  const h = await setup(t);
  const token = await bearer(h, basic('alice', 'alice-secret'), 'repository:app:pull');
  assert.deepEqual(await authorize(h, token, repo('app', 'pull')), { allowed: true, subject: 'alice' });
  assertChallenge(
    await authorize(h, token, repo('app', 'push')),
    `${realm},scope="repository:app:pull,push",error="insufficient_scope"`,
  );
  assertChallenge(
    await authorize(h, token, repo('other', 'pull')),
    `${realm},scope="repository:other:pull",error="insufficient_scope"`,
  );
  assertChallenge(
    await authorize(h, token, catalog),
    `${realm},scope="registry:catalog:*",error="insufficient_scope"`,
  );
});

test('an expired or altered token is a 401 invalid_token challenge', async (t) => {
  const h = await setup(t);
  const token = await bearer(h, basic('alice', 'alice-secret'), 'repository:app:pull');
  const invalidToken = `${realm},scope="repository:app:pull",error="invalid_token"`;
  const altered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
  assertChallenge(await authorize(h, altered, repo('app', 'pull')), invalidToken, /not valid/);
  h.advance(61);
  assertChallenge(await authorize(h, token, repo('app', 'pull')), invalidToken, /expired/);
});

test('a removed user: its tokens and Basic credentials stop at once, and do not come back with a new user of that name', async (t) => {
  const h = await setup(t);
  const alice = basic('alice', 'alice-secret');
  const token = await bearer(h, alice, 'repository:app:pull,push');
  assert.equal((await authorize(h, token, repo('app', 'push'))).allowed, true);
  assert.equal((await authorize(h, alice, repo('app', 'push'))).allowed, true);
  await h.auth.access.removeUser('alice');
  assertChallenge(
    await authorize(h, token, repo('app', 'push')),
    `${realm},scope="repository:app:pull,push",error="invalid_token"`,
    /alice was removed/,
  );
  assertChallenge(
    await authorize(h, alice, repo('app', 'push')),
    `${realm},scope="repository:app:pull,push"`,
  );
  await h.auth.access.addUser('alice', 'alice-secret');
  assert.equal((await authorize(h, token, repo('app', 'push'))).allowed, false);
  assert.equal((await authorize(h, alice, repo('app', 'push'))).allowed, true);
});

test('token endpoint POST: password grant with offline access gives a refresh token, which gets access tokens', async (t) => {
  const h = await setup(t);
  const first = await postForm(h, {
    grant_type: 'password',
    username: 'alice',
    password: 'alice-secret',
    access_type: 'offline',
    client_id: 'marina',
    service: 'marina-registry',
  });
  assert.equal(first.status, 200);
  const { refresh_token: refreshToken, access_token: accessToken } = first.body as Record<string, string>;
  assert.equal(typeof refreshToken, 'string');
  assert.deepEqual(grantedAccess(first), []);
  assert.equal((await authorize(h, `Bearer ${accessToken}`, { type: 'base' })).allowed, true);
  // A refresh token is not an access token.
  assert.equal((await authorize(h, `Bearer ${refreshToken}`, { type: 'base' })).allowed, false);
  const refreshed = await postForm(h, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken!,
    scope: 'repository:app:pull,push repository:db:pull',
    client_id: 'marina',
  });
  assert.equal(refreshed.status, 200);
  assert.deepEqual(grantedAccess(refreshed), [
    { type: 'repository', name: 'app', actions: ['pull', 'push'] },
    { type: 'repository', name: 'db', actions: ['pull'] },
  ]);
  await h.auth.access.removeUser('alice');
  const afterRemoval = await postForm(h, { grant_type: 'refresh_token', refresh_token: refreshToken! });
  assert.equal(afterRemoval.status, 401);
  assert.match(JSON.stringify(afterRemoval.body), /alice was removed/);
});

test('token endpoint POST: wrong password 401, unknown grant or missing fields 400; GET offline_token gives a refresh token', async (t) => {
  const h = await setup(t);
  assert.equal(
    (await postForm(h, { grant_type: 'password', username: 'alice', password: 'nope' })).status,
    401,
  );
  assert.equal((await postForm(h, { grant_type: 'password', username: 'alice' })).status, 400);
  assert.equal((await postForm(h, { grant_type: 'client_credentials' })).status, 400);
  assert.equal((await postForm(h, { grant_type: 'refresh_token', refresh_token: 'junk' })).status, 401);
  const offline = await tokenAnswer(h, basic('alice', 'alice-secret'), { offline_token: 'true' });
  assert.equal(typeof (offline.body as Record<string, unknown>).refresh_token, 'string');
  const anonymousOffline = await tokenAnswer(h, undefined, { offline_token: 'true' });
  assert.equal((anonymousOffline.body as Record<string, unknown>).refresh_token, undefined);
});

test('the signing key is kept under <root>/registry: tokens survive a restart', async (t) => {
  const h = await setup(t);
  const token = await bearer(h, basic('alice', 'alice-secret'), 'repository:app:pull');
  const restarted = await createRegistryAuth({
    db: h.db,
    root: h.root,
    service: 'marina-registry',
    tokenTtlSeconds: 60,
    logger: pino({ level: 'silent' }),
  });
  assert.deepEqual(
    await restarted.authorizer.authorize({ authorization: token }, repo('app', 'pull'), origin),
    {
      allowed: true,
      subject: 'alice',
    },
  );
  await assert.rejects(
    createRegistryAuth({
      db: h.db,
      root: h.root,
      service: 's',
      tokenTtlSeconds: 0,
      logger: pino({ level: 'silent' }),
    }),
    /token lifetime/,
  );
});
