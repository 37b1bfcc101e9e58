/**
 * The HTTP layer end to end over loopback, against an in-memory Distribution (just enough of the role
 * for the wire protocol to be exercised) and a small Authorizer. The real Distribution and real clients
 * (skopeo, docker-registry) are tested under test/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { Digest } from '../../../content/content-store.ts';
import { sha256Digest } from '../../../content/digest.ts';
import { type ImageIndex, MediaType } from '../../../image/image-types.ts';
import { registryError } from '../../registry-errors.ts';
import type { AuthDecision, Authorizer, RequiredAccess, TokenEndpoint } from '../auth/authorizer.ts';
import type { Distribution, ManifestContent, Page, UploadStatus } from '../distribution.ts';
import { ensureSelfSignedCertificate } from '../tls.ts';
import { createRegistryServer } from './registry-server.ts';

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function page<T>(all: T[], query: { n?: number; last?: string }): Page<T> {
  const rest = all.filter((item) => query.last === undefined || String(item) > query.last);
  const items = query.n === undefined ? rest : rest.slice(0, query.n);
  return items.length < rest.length ? { items, next: String(items.at(-1)) } : { items };
}

/** Blobs and manifests in maps; validates only what the HTTP layer's behaviour depends on. */
class MemoryDistribution implements Distribution {
  readonly blobs = new Map<string, Buffer>(); // `${repo}@${digest}`
  readonly uploads = new Map<string, { repository: string; data: Buffer }>();
  readonly manifests = new Map<string, ManifestContent & { subject?: Digest; artifactType?: string }>(); // `${repo}@${digest}`
  readonly tags = new Map<string, Digest>(); // `${repo}:${tag}`

  async statBlob(repository: string, digest: string) {
    const data = this.blobs.get(`${repository}@${digest}`);
    if (!data) throw registryError('BLOB_UNKNOWN', `blob ${digest} is not in ${repository}`);
    return { digest: digest as Digest, size: data.length };
  }
  openBlob(repository: string, digest: string, range?: { start: number; end: number }) {
    const data = this.blobs.get(`${repository}@${digest}`)!;
    return Readable.from([range ? data.subarray(range.start, range.end + 1) : data]);
  }
  async startUpload(repository: string): Promise<UploadStatus> {
    const uuid = randomUUID();
    this.uploads.set(uuid, { repository, data: Buffer.alloc(0) });
    return { uuid, repository, offset: 0 };
  }
  async mountBlob(repository: string, fromRepository: string, digest: string) {
    const data = this.blobs.get(`${fromRepository}@${digest}`);
    if (!data) return undefined;
    this.blobs.set(`${repository}@${digest}`, data);
    return { digest: digest as Digest, size: data.length };
  }
  #upload(repository: string, uuid: string) {
    const upload = this.uploads.get(uuid);
    if (!upload || upload.repository !== repository)
      throw registryError('BLOB_UPLOAD_UNKNOWN', `no upload ${uuid}`);
    return upload;
  }
  async uploadStatus(repository: string, uuid: string) {
    return { uuid, repository, offset: this.#upload(repository, uuid).data.length };
  }
  async appendUpload(repository: string, uuid: string, body: Readable, start?: number) {
    const upload = this.#upload(repository, uuid);
    if (start !== undefined && start !== upload.data.length) {
      throw registryError('RANGE_INVALID', `chunk starts at ${start}, upload is at ${upload.data.length}`);
    }
    upload.data = Buffer.concat([upload.data, await readAll(body)]);
    return { uuid, repository, offset: upload.data.length };
  }
  async completeUpload(repository: string, uuid: string, digest: string, body?: Readable) {
    const upload = this.#upload(repository, uuid);
    if (body) upload.data = Buffer.concat([upload.data, await readAll(body)]);
    this.uploads.delete(uuid);
    if (sha256Digest(upload.data) !== digest)
      throw registryError('DIGEST_INVALID', `content is not ${digest}`);
    this.blobs.set(`${repository}@${digest}`, upload.data);
    return { digest: digest as Digest, size: upload.data.length };
  }
  async cancelUpload(repository: string, uuid: string) {
    this.#upload(repository, uuid);
    this.uploads.delete(uuid);
  }
  async deleteBlob(repository: string, digest: string) {
    await this.statBlob(repository, digest);
    this.blobs.delete(`${repository}@${digest}`);
  }
  async getManifest(repository: string, reference: string): Promise<ManifestContent> {
    const digest = reference.startsWith('sha256:') ? reference : this.tags.get(`${repository}:${reference}`);
    const manifest = digest && this.manifests.get(`${repository}@${digest}`);
    if (!manifest) throw registryError('MANIFEST_UNKNOWN', `${repository}:${reference} is unknown`);
    return manifest;
  }
  async putManifest(repository: string, reference: string, mediaType: string, body: Buffer) {
    const parsed = JSON.parse(body.toString()) as { subject?: { digest: Digest }; artifactType?: string };
    const digest = sha256Digest(body);
    const subject = parsed.subject?.digest;
    this.manifests.set(`${repository}@${digest}`, {
      digest,
      mediaType,
      body,
      subject,
      artifactType: parsed.artifactType,
    });
    if (!reference.startsWith('sha256:')) this.tags.set(`${repository}:${reference}`, digest);
    return subject === undefined ? { digest } : { digest, subject };
  }
  async deleteManifest(repository: string, reference: string) {
    await this.getManifest(repository, reference);
    this.tags.delete(`${repository}:${reference}`);
  }
  async listTags(repository: string, query: { n?: number; last?: string }) {
    const prefix = `${repository}:`;
    const all = [...this.tags.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    if (all.length === 0) throw registryError('NAME_UNKNOWN', `no repository ${repository}`);
    return page(all.sort(), query);
  }
  async catalog(query: { n?: number; last?: string }) {
    const names = new Set([...this.tags.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))));
    return page([...names].sort(), query);
  }
  async referrers(repository: string, digest: string, artifactType?: string): Promise<ImageIndex> {
    const manifests = [...this.manifests.entries()]
      .filter(([key, m]) => key.startsWith(`${repository}@`) && m.subject === digest)
      .filter(([, m]) => artifactType === undefined || m.artifactType === artifactType)
      .map(([, m]) => ({
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.body.length,
        artifactType: m.artifactType,
      }));
    return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
  }
  async collectGarbage() {
    return { blobLinksRemoved: 0, manifestsRemoved: 0, blobsRemoved: 0, reclaimedBytes: 0 };
  }
}

/** Bearer "writer" may do anything; "reader" only pull; no credentials: pull and base only. */
class TestAuthorizer implements Authorizer {
  readonly seen: { required: RequiredAccess; origin: string }[] = [];
  async authorize(
    headers: Record<string, unknown>,
    required: RequiredAccess,
    origin: string,
  ): Promise<AuthDecision> {
    this.seen.push({ required, origin });
    const who =
      typeof headers.authorization === 'string' ? headers.authorization.replace(/^Bearer /, '') : undefined;
    const writes = required.type === 'repository' && !required.actions.every((a) => a === 'pull');
    if (who === 'writer' || (!writes && required.type !== 'registry')) return { allowed: true, subject: who };
    if (who === 'reader')
      return { allowed: false, status: 403, headers: {}, code: 'DENIED', message: 'read only' };
    const scope =
      required.type === 'repository' ? `repository:${required.name}:${required.actions.join(',')}` : '';
    return {
      allowed: false,
      status: 401,
      headers: { 'www-authenticate': `Bearer realm="${origin}/auth/token",service="test",scope="${scope}"` },
      code: 'UNAUTHORIZED',
      message: 'authentication required',
    };
  }
}

const tokenEndpoint: TokenEndpoint = {
  async handle({ method, query, form }) {
    return {
      status: 200,
      body: { method, scope: query.get('scope'), grant: form?.get('grant_type') ?? null },
    };
  },
};

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

let port = 0;
const distribution = new MemoryDistribution();
const authorizer = new TestAuthorizer();
const server = createRegistryServer({
  distribution,
  auth: { authorizer, tokenEndpoint },
  logger: pino({ level: 'silent' }),
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** `chunks` sends the body with Transfer-Encoding: chunked (no Content-Length), as skopeo does. */
function call(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Buffer; chunks?: Buffer[]; user?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.user) headers.authorization = `Bearer ${options.user}`;
    if (options.body) headers['content-length'] = options.body.length;
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      readAll(res).then(
        (body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }),
        reject,
      );
    });
    req.on('error', reject);
    if (options.chunks) for (const chunk of options.chunks) req.write(chunk);
    req.end(options.body);
  });
}

const errorCode = (reply: Reply) =>
  (JSON.parse(reply.body.toString()) as { errors: { code: string }[] }).errors[0]?.code;

test('/v2/ answers {} with the API version header', async () => {
  const reply = await call('GET', '/v2/');
  assert.equal(reply.status, 200);
  assert.deepEqual(JSON.parse(reply.body.toString()), {});
  assert.equal(reply.headers['docker-distribution-api-version'], 'registry/2.0');
  assert.deepEqual(authorizer.seen.at(-1), {
    required: { type: 'base' },
    origin: `http://127.0.0.1:${port}`,
  });
});

test('unknown paths are 404 NAME_UNKNOWN, wrong methods 405 UNSUPPORTED with Allow', async () => {
  const unknown = await call('GET', '/nothing');
  assert.equal(unknown.status, 404);
  assert.equal(errorCode(unknown), 'NAME_UNKNOWN');
  assert.equal(unknown.headers['docker-distribution-api-version'], 'registry/2.0');
  const wrong = await call('DELETE', '/v2/a/tags/list', { user: 'writer' });
  assert.equal(wrong.status, 405);
  assert.equal(errorCode(wrong), 'UNSUPPORTED');
  assert.equal(wrong.headers.allow, 'GET');
});

test('monolithic upload, then HEAD, GET, ranged GET and a bad range', async () => {
  const data = Buffer.from('0123456789');
  const digest = sha256Digest(data);
  const put = await call('POST', `/v2/mono/app/blobs/uploads/?digest=${digest}`, {
    body: data,
    user: 'writer',
  });
  assert.equal(put.status, 201);
  assert.equal(put.headers.location, `/v2/mono/app/blobs/${digest}`);
  assert.equal(put.headers['docker-content-digest'], digest);

  const head = await call('HEAD', `/v2/mono/app/blobs/${digest}`);
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '10');
  assert.equal(head.headers['content-type'], 'application/octet-stream');
  assert.equal(head.headers['accept-ranges'], 'bytes');
  assert.equal(head.body.length, 0);

  assert.deepEqual((await call('GET', `/v2/mono/app/blobs/${digest}`)).body, data);
  const ranged = await call('GET', `/v2/mono/app/blobs/${digest}`, { headers: { range: 'bytes=2-4' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers['content-range'], 'bytes 2-4/10');
  assert.equal(ranged.body.toString(), '234');
  const bad = await call('GET', `/v2/mono/app/blobs/${digest}`, { headers: { range: 'bytes=10-' } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers['content-range'], 'bytes */10');

  const missing = await call('GET', `/v2/mono/app/blobs/${sha256Digest('other')}`);
  assert.equal(missing.status, 404);
  assert.equal(errorCode(missing), 'BLOB_UNKNOWN');
});

test('a monolithic upload with the wrong digest stores nothing and leaves no upload behind', async () => {
  const digest = sha256Digest('expected');
  const reply = await call('POST', `/v2/mono/app/blobs/uploads/?digest=${digest}`, {
    body: Buffer.from('actual'),
    user: 'writer',
  });
  assert.equal(reply.status, 400);
  assert.equal(errorCode(reply), 'DIGEST_INVALID');
  assert.equal((await call('HEAD', `/v2/mono/app/blobs/${digest}`)).status, 404);
  assert.ok(![...distribution.uploads.values()].some((u) => u.repository === 'mono/app'));
});

test('chunked upload: ranged PATCH, out-of-order PATCH, streamed PATCH, status, empty PUT', async () => {
  const start = await call('POST', '/v2/chunky/blobs/uploads/', { user: 'writer' });
  assert.equal(start.status, 202);
  assert.equal(start.headers.range, '0-0');
  const location = start.headers.location as string;
  assert.match(location, /^\/v2\/chunky\/blobs\/uploads\/[^/]+$/);
  assert.equal(location.split('/').at(-1), start.headers['docker-upload-uuid']);

  const first = await call('PATCH', location, {
    body: Buffer.from('hello '),
    headers: { 'content-range': '0-5' },
    user: 'writer',
  });
  assert.equal(first.status, 202);
  assert.equal(first.headers.range, '0-5');
  assert.equal(first.headers.location, location);

  const gap = await call('PATCH', location, {
    body: Buffer.from('x'),
    headers: { 'content-range': '9-9' },
    user: 'writer',
  });
  assert.equal(gap.status, 416);
  assert.equal(errorCode(gap), 'RANGE_INVALID');

  const streamed = await call('PATCH', location, {
    chunks: [Buffer.from('wor'), Buffer.from('ld')],
    user: 'writer',
  });
  assert.equal(streamed.status, 202);
  assert.equal(streamed.headers.range, '0-10');

  const status = await call('GET', location, { user: 'writer' });
  assert.equal(status.status, 204);
  assert.equal(status.headers.range, '0-10');

  const digest = sha256Digest('hello world');
  const noDigest = await call('PUT', location, { user: 'writer' });
  assert.equal(noDigest.status, 400);
  assert.equal(errorCode(noDigest), 'DIGEST_INVALID');

  const done = await call('PUT', `${location}?digest=${digest}`, { body: Buffer.alloc(0), user: 'writer' });
  assert.equal(done.status, 201);
  assert.equal(done.headers.location, `/v2/chunky/blobs/${digest}`);
  assert.equal((await call('GET', `/v2/chunky/blobs/${digest}`)).body.toString(), 'hello world');
});

test('a cancelled upload is gone', async () => {
  const start = await call('POST', '/v2/cancel/blobs/uploads/', { user: 'writer' });
  const location = start.headers.location as string;
  assert.equal((await call('DELETE', location, { user: 'writer' })).status, 204);
  const after = await call('GET', location, { user: 'writer' });
  assert.equal(after.status, 404);
  assert.equal(errorCode(after), 'BLOB_UPLOAD_UNKNOWN');
});

test('cross-repository mount: 201 when the source has it, else a new upload', async () => {
  const data = Buffer.from('shared layer');
  const digest = sha256Digest(data);
  await call('POST', `/v2/source/blobs/uploads/?digest=${digest}`, { body: data, user: 'writer' });
  const mounted = await call('POST', `/v2/target/blobs/uploads/?mount=${digest}&from=source`, {
    user: 'writer',
  });
  assert.equal(mounted.status, 201);
  assert.equal(mounted.headers.location, `/v2/target/blobs/${digest}`);
  assert.deepEqual(authorizer.seen.at(-1)?.required, {
    type: 'repository',
    name: 'source',
    actions: ['pull'],
  });
  const absent = await call('POST', `/v2/target/blobs/uploads/?mount=${sha256Digest('nope')}&from=source`, {
    user: 'writer',
  });
  assert.equal(absent.status, 202);
  assert.ok(absent.headers['docker-upload-uuid']);
});

test('blob delete is 202; the blob is then unknown', async () => {
  const data = Buffer.from('to delete');
  const digest = sha256Digest(data);
  await call('POST', `/v2/del/blobs/uploads/?digest=${digest}`, { body: data, user: 'writer' });
  assert.equal((await call('DELETE', `/v2/del/blobs/${digest}`, { user: 'writer' })).status, 202);
  assert.equal((await call('HEAD', `/v2/del/blobs/${digest}`)).status, 404);
});

const manifest = (extra: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256Digest('{}'), size: 2 },
      layers: [],
      ...extra,
    }),
  );

test('manifest put, get by tag and digest, HEAD, Accept negotiation, delete', async () => {
  const body = manifest();
  const digest = sha256Digest(body);
  const put = await call('PUT', '/v2/team/app/manifests/v1', {
    body,
    headers: { 'content-type': `${MediaType.OciManifest}; charset=utf-8` },
    user: 'writer',
  });
  assert.equal(put.status, 201);
  assert.equal(put.headers.location, `/v2/team/app/manifests/${digest}`);
  assert.equal(put.headers['docker-content-digest'], digest);
  assert.equal(put.headers['oci-subject'], undefined);
  assert.equal(distribution.manifests.get(`team/app@${digest}`)?.mediaType, MediaType.OciManifest);

  const byTag = await call('GET', '/v2/team/app/manifests/v1');
  assert.equal(byTag.status, 200);
  assert.equal(byTag.headers['content-type'], MediaType.OciManifest);
  assert.equal(byTag.headers['docker-content-digest'], digest);
  assert.deepEqual(byTag.body, body);
  const head = await call('HEAD', `/v2/team/app/manifests/${digest}`, {
    headers: { accept: `${MediaType.DockerManifest}, ${MediaType.OciManifest}` },
  });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(body.length));
  assert.equal(head.body.length, 0);

  const dockerOnly = await call('GET', '/v2/team/app/manifests/v1', {
    headers: { accept: MediaType.DockerManifest },
  });
  assert.equal(dockerOnly.status, 404);
  assert.equal(errorCode(dockerOnly), 'MANIFEST_UNKNOWN');

  assert.equal((await call('DELETE', '/v2/team/app/manifests/v1', { user: 'writer' })).status, 202);
  assert.equal((await call('GET', '/v2/team/app/manifests/v1')).status, 404);
});

test('a manifest over 4 MiB is 413 MANIFEST_TOO_LARGE, declared or streamed', async () => {
  const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
  const declared = await call('PUT', '/v2/big/manifests/v1', {
    body: big,
    headers: { 'content-type': MediaType.OciManifest },
    user: 'writer',
  });
  assert.equal(declared.status, 413);
  assert.equal(errorCode(declared), 'MANIFEST_TOO_LARGE');
  const streamed = await call('PUT', '/v2/big/manifests/v1', {
    chunks: [big.subarray(0, 1024 * 1024), big.subarray(1024 * 1024)],
    headers: { 'content-type': MediaType.OciManifest },
    user: 'writer',
  }).catch((err: Error) => err);
  // The server answers and closes once past the limit; the client may see the reply or a reset.
  if (!(streamed instanceof Error)) {
    assert.equal(streamed.status, 413);
    assert.equal(errorCode(streamed), 'MANIFEST_TOO_LARGE');
  }
  assert.equal(distribution.tags.has('big:v1'), false);
});

test('tags and catalog paginate with a Link header', async () => {
  for (const [repo, tag] of [
    ['paged/repo', 'a'],
    ['paged/repo', 'b'],
    ['paged/repo', 'c'],
    ['paged/other', 'a'],
  ]) {
    await call('PUT', `/v2/${repo}/manifests/${tag}`, {
      body: manifest({ annotations: { tag } }),
      headers: { 'content-type': MediaType.OciManifest },
      user: 'writer',
    });
  }
  const first = await call('GET', '/v2/paged/repo/tags/list?n=2');
  assert.deepEqual(JSON.parse(first.body.toString()), { name: 'paged/repo', tags: ['a', 'b'] });
  assert.equal(first.headers.link, '</v2/paged/repo/tags/list?n=2&last=b>; rel="next"');
  const second = await call('GET', '/v2/paged/repo/tags/list?n=2&last=b');
  assert.deepEqual(JSON.parse(second.body.toString()).tags, ['c']);
  assert.equal(second.headers.link, undefined);
  const badN = await call('GET', '/v2/paged/repo/tags/list?n=x');
  assert.equal(badN.status, 400);
  assert.equal(errorCode(badN), 'PAGINATION_NUMBER_INVALID');
  assert.equal(errorCode(await call('GET', '/v2/nosuch/tags/list')), 'NAME_UNKNOWN');

  const catalog = await call('GET', '/v2/_catalog?n=1', { user: 'writer' });
  assert.equal(catalog.status, 200);
  assert.equal(JSON.parse(catalog.body.toString()).repositories.length, 1);
  assert.match(catalog.headers.link as string, /^<\/v2\/_catalog\?n=1&last=.+>; rel="next"$/);
  assert.equal((await call('GET', '/v2/_catalog')).status, 401);
});

test('referrers: subject header on put, index filtered by artifactType', async () => {
  const subject = manifest({ annotations: { role: 'subject' } });
  const subjectDigest = sha256Digest(subject);
  const headers = { 'content-type': MediaType.OciManifest };
  await call('PUT', '/v2/refs/manifests/base', { body: subject, headers, user: 'writer' });
  const descriptor = { mediaType: MediaType.OciManifest, digest: subjectDigest, size: subject.length };
  for (const artifactType of ['application/sbom', 'application/sig']) {
    const put = await call(
      'PUT',
      `/v2/refs/manifests/${sha256Digest(manifest({ subject: descriptor, artifactType }))}`,
      {
        body: manifest({ subject: descriptor, artifactType }),
        headers,
        user: 'writer',
      },
    );
    assert.equal(put.headers['oci-subject'], subjectDigest);
  }
  const all = await call('GET', `/v2/refs/referrers/${subjectDigest}`);
  assert.equal(all.headers['content-type'], MediaType.OciIndex);
  assert.equal(all.headers['oci-filters-applied'], undefined);
  assert.equal(JSON.parse(all.body.toString()).manifests.length, 2);
  const filtered = await call('GET', `/v2/refs/referrers/${subjectDigest}?artifactType=application/sbom`);
  assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
  assert.deepEqual(
    JSON.parse(filtered.body.toString()).manifests.map((m: { artifactType: string }) => m.artifactType),
    ['application/sbom'],
  );
});

test('auth: 401 with the challenge without credentials, 403 DENIED for a pull-only caller', async () => {
  const anonymous = await call('POST', '/v2/locked/blobs/uploads/');
  assert.equal(anonymous.status, 401);
  assert.equal(errorCode(anonymous), 'UNAUTHORIZED');
  assert.equal(
    anonymous.headers['www-authenticate'],
    `Bearer realm="http://127.0.0.1:${port}/auth/token",service="test",scope="repository:locked:push"`,
  );
  const reader = await call('PUT', '/v2/locked/manifests/v1', { body: manifest(), user: 'reader' });
  assert.equal(reader.status, 403);
  assert.equal(errorCode(reader), 'DENIED');
  assert.equal(distribution.tags.has('locked:v1'), false);
});

test('the token endpoint gets GET queries and POST forms', async () => {
  const get = await call('GET', '/auth/token?service=test&scope=repository:a:pull');
  assert.deepEqual(JSON.parse(get.body.toString()), {
    method: 'GET',
    scope: 'repository:a:pull',
    grant: null,
  });
  const post = await call('POST', '/auth/token', {
    body: Buffer.from('grant_type=password&username=u&password=p'),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.deepEqual(JSON.parse(post.body.toString()), { method: 'POST', scope: null, grant: 'password' });
});

test('without auth everything is open and there is no token endpoint', async (t) => {
  const open = createRegistryServer({
    distribution: new MemoryDistribution(),
    auth: undefined,
    logger: pino({ level: 'silent' }),
  });
  await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => open.close(() => resolve())));
  const openPort = (open.address() as AddressInfo).port;
  const catalog = await fetch(`http://127.0.0.1:${openPort}/v2/_catalog`);
  assert.equal(catalog.status, 200);
  assert.deepEqual(await catalog.json(), { repositories: [] });
  const upload = await fetch(`http://127.0.0.1:${openPort}/v2/free/blobs/uploads/`, { method: 'POST' });
  assert.equal(upload.status, 202);
  const token = await fetch(`http://127.0.0.1:${openPort}/auth/token`);
  assert.equal(token.status, 404);
  await token.arrayBuffer();
});

test('serves HTTPS with a self-signed certificate a client can trust, and says https in the challenge', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marina-registry-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { cert, key } = await ensureSelfSignedCertificate(dir, []);
  const secure = createRegistryServer({
    distribution: new MemoryDistribution(),
    auth: { authorizer: new TestAuthorizer(), tokenEndpoint },
    logger: pino({ level: 'silent' }),
    tls: { cert, key },
  });
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => secure.close(() => resolve())));
  const securePort = (secure.address() as AddressInfo).port;
  const reply = await new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
    const req = httpsGet(`https://127.0.0.1:${securePort}/v2/_catalog`, { ca: cert, agent: false }, (res) => {
      res.resume();
      resolve({
        status: res.statusCode ?? 0,
        challenge: res.headers['www-authenticate'] as string | undefined,
      });
    });
    req.on('error', reject);
  });
  assert.equal(reply.status, 401);
  assert.match(reply.challenge ?? '', new RegExp(`realm="https://127.0.0.1:${securePort}/auth/token"`));
});
