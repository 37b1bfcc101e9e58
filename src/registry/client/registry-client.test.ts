/**
 * RegistryClient against a small fake registry on 127.0.0.1 (plain HTTP, so the HTTPS attempt fails and
 * the loopback fallback is exercised too). The fake speaks the Docker token flow: anonymous tokens may
 * pull, alice/secret may push. A real FileContentStore holds the bytes.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import pino from 'pino';
import type { ContentCollector } from '../../content/content-collector.ts';
import type { Digest } from '../../content/content-store.ts';
import { digestHex, sha256Digest } from '../../content/digest.ts';
import { FileContentStore } from '../../content/file-content-store.ts';
import { isMarinaError, notFound } from '../../errors.ts';
import { decodeConfig, decodeManifest } from '../../image/image-json.ts';
import { type Descriptor, type ImageRecord, MediaType } from '../../image/image-types.ts';
import { normalizeReference } from '../../image/reference.ts';
import type { ImageTarget, TransferProgress } from './image-transfer.ts';
import { RegistryClient } from './registry-client.ts';

// ---------- the fake registry ----------

interface Logged {
  method: string;
  path: string;
  range?: string | undefined;
}

class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { body: Buffer; mediaType: string }>();
  readonly uploads = new Map<string, Buffer[]>();
  readonly log: Logged[] = [];
  /** Blobs whose next GET is cut off half way. */
  readonly cutOnce = new Set<string>();
  /** Blobs served with wrong bytes (right length). */
  readonly corrupt = new Set<string>();
  /** Blobs whose GET is redirected to "storage" on another host name (localhost instead of 127.0.0.1). */
  readonly redirected = new Set<string>();
  readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  addBlob(data: Buffer, mediaType: string): Descriptor {
    const digest = sha256Digest(data);
    this.blobs.set(digest, data);
    return { mediaType, digest, size: data.length };
  }

  addManifest(repository: string, tag: string | undefined, document: object): { digest: Digest; size: number } {
    const body = Buffer.from(JSON.stringify(document));
    const digest = sha256Digest(body);
    const mediaType = (document as { mediaType: string }).mediaType;
    this.manifests.set(`${repository}@${digest}`, { body, mediaType });
    if (tag !== undefined) this.manifests.set(`${repository}@${tag}`, { body, mediaType });
    return { digest, size: body.length };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    this.log.push({ method: req.method ?? '', path: url.pathname, range: req.headers.range });
    if (url.pathname === '/token') return this.token(req, res, url);
    if (url.pathname.startsWith('/storage/')) {
      // Storage must not see the registry's credentials.
      if (req.headers.authorization !== undefined) return void res.writeHead(400).end('credentials leaked');
      return void res.end(this.blobs.get(url.pathname.slice('/storage/'.length)));
    }
    const body = await readAll(req);
    if (url.pathname === '/v2/') return this.authorize(req, res, undefined, 'pull') ? void res.end('{}') : undefined;
    const match = /^\/v2\/(.+)\/(manifests|blobs\/uploads|blobs)\/?(.*)$/.exec(url.pathname);
    if (!match) return void res.writeHead(404).end();
    const [, repository = '', kind, rest = ''] = match;
    const action = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push';
    if (!this.authorize(req, res, repository, action)) return;
    if (kind === 'manifests') {
      if (req.method === 'PUT') {
        const mediaType = req.headers['content-type'] ?? '';
        const digest = sha256Digest(body);
        this.manifests.set(`${repository}@${rest}`, { body, mediaType });
        this.manifests.set(`${repository}@${digest}`, { body, mediaType });
        return void res.writeHead(201, { 'docker-content-digest': digest }).end();
      }
      const found = this.manifests.get(`${repository}@${rest}`);
      if (!found) return specError(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      res.writeHead(200, { 'content-type': found.mediaType, 'docker-content-digest': sha256Digest(found.body) });
      return void res.end(found.body);
    }
    if (kind === 'blobs') {
      const data = this.blobs.get(rest);
      if (!data) return specError(res, 404, 'BLOB_UNKNOWN', 'blob unknown');
      if (req.method === 'HEAD') return void res.writeHead(200, { 'content-length': data.length }).end();
      if (this.redirected.has(rest)) {
        return void res.writeHead(307, { location: `http://localhost:${this.port}/storage/${rest}` }).end();
      }
      const served = this.corrupt.has(rest) ? Buffer.alloc(data.length, 7) : data;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      if (this.cutOnce.delete(rest)) {
        res.writeHead(200, { 'content-length': data.length });
        res.write(served.subarray(0, Math.floor(data.length / 2)));
        await new Promise((resolve) => setTimeout(resolve, 20));
        return void res.destroy();
      }
      if (start > 0) {
        res.writeHead(206, { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
        return void res.end(served.subarray(start));
      }
      return void res.writeHead(200, { 'content-length': data.length }).end(served);
    }
    // Uploads: POST starts, PATCH appends, PUT ?digest= completes.
    if (req.method === 'POST') {
      const uuid = randomUUID();
      this.uploads.set(uuid, []);
      return void res.writeHead(202, { location: `/v2/${repository}/blobs/uploads/${uuid}?_state=x` }).end();
    }
    const parts = this.uploads.get(rest);
    if (!parts) return specError(res, 404, 'BLOB_UPLOAD_UNKNOWN', 'upload unknown');
    parts.push(body);
    if (req.method === 'PATCH') {
      return void res.writeHead(202, { location: `/v2/${repository}/blobs/uploads/${rest}?_state=y` }).end();
    }
    const data = Buffer.concat(parts);
    if (sha256Digest(data) !== url.searchParams.get('digest') || url.searchParams.get('_state') === null) {
      return specError(res, 400, 'DIGEST_INVALID', 'digest does not match');
    }
    this.uploads.delete(rest);
    this.blobs.set(sha256Digest(data), data);
    res.writeHead(201, { location: `/v2/${repository}/blobs/${sha256Digest(data)}` }).end();
  }

  private token(req: IncomingMessage, res: ServerResponse, url: URL): void {
    // The OAuth2 form is optional in the token spec: this one only has the GET, so clients fall back to it.
    if (req.method !== 'GET') return void res.writeHead(405).end();
    let user: string | undefined;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic) {
      if (Buffer.from(basic[1] ?? '', 'base64').toString() !== 'alice:secret') {
        specError(res, 401, 'UNAUTHORIZED', 'bad credentials');
        return;
      }
      user = 'alice';
    }
    // Anonymous callers get pull only.
    const scopes = url.searchParams.getAll('scope').map((scope) => {
      const [type, name, actions = ''] = scope.split(':');
      const allowed = actions.split(',').filter((action) => user !== undefined || action === 'pull');
      return `${type}:${name}:${allowed.join(',')}`;
    });
    const token = Buffer.from(JSON.stringify({ user, scopes })).toString('base64url');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
  }

  private authorize(req: IncomingMessage, res: ServerResponse, repository: string | undefined, action: string): boolean {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const scope = repository === undefined ? undefined : `repository:${repository}:${action}`;
    if (!bearer) {
      const params = `realm="http://${req.headers.host}/token",service="fake"${scope ? `,scope="${scope}"` : ''}`;
      res.writeHead(401, { 'www-authenticate': `Bearer ${params}`, 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return false;
    }
    if (repository === undefined) return true;
    const claims = JSON.parse(Buffer.from(bearer[1] ?? '', 'base64url').toString()) as { scopes: string[] };
    const granted = claims.scopes.some(
      (s) => s.startsWith(`repository:${repository}:`) && s.split(':')[2]?.split(',').includes(action),
    );
    if (!granted) specError(res, 403, 'DENIED', `requested access to ${repository} is denied`);
    return granted;
  }
}

function specError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code, message }] }));
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// ---------- the engine side ----------

class FakeImages implements ImageTarget {
  readonly content: FileContentStore;
  readonly names = new Map<string, Digest>();
  registered = 0;

  constructor(content: FileContentStore) {
    this.content = content;
  }

  async inspect(name: string): Promise<ImageRecord> {
    const digest = this.names.get(normalizeReference(name));
    if (digest === undefined) throw notFound(`no such image: ${name}`);
    return this.record(digest, name);
  }

  async registerPulled(manifestDigest: Digest, reference: string): Promise<ImageRecord> {
    const record = await this.record(manifestDigest, reference);
    for (const layer of record.manifest.layers) assert.ok(await this.content.has(layer.digest), 'layer stored first');
    this.names.set(reference, manifestDigest);
    this.registered += 1;
    return record;
  }

  async record(manifestDigest: Digest, name: string): Promise<ImageRecord> {
    const manifest = decodeManifest(await this.content.read(manifestDigest));
    const config = decodeConfig(await this.content.read(manifest.config.digest));
    const size = manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
    return { id: manifest.config.digest, manifestDigest, manifest, config, names: [name], size, created: '' };
  }
}

const collector: ContentCollector = {
  addRoots: () => {},
  lease: (fn) => fn(),
  collect: async () => ({ removed: [], reclaimedBytes: 0 }),
};

function imageDocuments(registry: FakeRegistry, layers: Buffer[], architecture: string) {
  const layerDescriptors = layers.map((layer) => registry.addBlob(layer, MediaType.OciLayerGzip));
  const config = {
    architecture,
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => sha256Digest(Buffer.concat([layer, Buffer.from('x')]))) },
  };
  const configDescriptor = registry.addBlob(Buffer.from(JSON.stringify(config)), MediaType.OciConfig);
  return { schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDescriptor, layers: layerDescriptors };
}

let registry: FakeRegistry;
let dir: string;
let content: FileContentStore;
let images: FakeImages;
let client: RegistryClient;
const logger = pino({ level: 'silent' });

before(async () => {
  registry = new FakeRegistry();
  await registry.listen();
});

after(() => {
  registry.server.closeAllConnections();
  registry.server.close();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'marina-registry-client-'));
  content = new FileContentStore(dir);
  await content.cleanupIngest();
  images = new FakeImages(content);
  client = new RegistryClient({ content, collector, images, insecureRegistries: [], certsDir: join(dir, 'certs.d'), logger });
  registry.log.length = 0;
});

afterEach(async () => {
  client.close();
  await rm(dir, { recursive: true, force: true });
});

function progressLog(): { lines: TransferProgress[]; onProgress: (p: TransferProgress) => void } {
  const lines: TransferProgress[] = [];
  return { lines, onProgress: (p) => lines.push(p) };
}

test('pulls through an index with the token flow, picking the asked platform', async () => {
  const shared = randomBytes(300_000);
  const amd64 = registry.addManifest('multi/app', undefined, imageDocuments(registry, [shared], 'amd64'));
  const armManifest = imageDocuments(registry, [shared, randomBytes(1000)], 'arm64');
  const arm64 = registry.addManifest('multi/app', undefined, armManifest);
  const index = registry.addManifest('multi/app', '1', {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [
      { mediaType: MediaType.OciManifest, ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: MediaType.OciManifest, ...arm64, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
  });
  const reference = `${registry.host}/multi/app:1`;
  const first = progressLog();
  const pulled = await client.pull(reference, { platform: 'linux/arm64', onProgress: first.onProgress });
  assert.equal(pulled.digest, index.digest);
  assert.equal(pulled.image.manifestDigest, arm64.digest);
  assert.equal(images.names.get(reference), arm64.digest);
  for (const layer of armManifest.layers) assert.deepEqual(await content.info(layer.digest), { digest: layer.digest, size: layer.size });
  const statuses = first.lines.map((line) => line.status);
  assert.ok(statuses.includes('Download complete'));
  assert.ok(statuses.includes(`Digest: ${index.digest}`));
  assert.equal(statuses.at(-1), `Status: Downloaded newer image for ${reference}`);
  assert.ok(first.lines.some((line) => line.status === 'Downloading' && line.current === line.total));
  assert.ok(registry.log.some((entry) => entry.path === '/token'), 'went through the token endpoint');

  const second = progressLog();
  await client.pull(reference, { platform: 'linux/arm64', onProgress: second.onProgress });
  assert.deepEqual(
    second.lines.filter((line) => line.id !== undefined).map((line) => line.status),
    ['Already exists', 'Already exists'],
  );
  assert.equal(second.lines.at(-1)?.status, `Status: Image is up to date for ${reference}`);

  await assert.rejects(
    client.pull(reference, { platform: 'linux/s390x' }),
    (err) => isMarinaError(err, 'Invalid') && /linux\/amd64, linux\/arm64\/v8/.test(err.message),
  );
});

test('a blob that does not match its digest is rejected and nothing is recorded', async () => {
  const documents = imageDocuments(registry, [randomBytes(50_000)], 'amd64');
  registry.addManifest('bad/app', 'latest', documents);
  const layer = documents.layers[0] as Descriptor;
  registry.corrupt.add(layer.digest);
  try {
    await assert.rejects(
      client.pull(`${registry.host}/bad/app`),
      (err) => isMarinaError(err, 'Invalid') && err.message.includes(layer.digest),
    );
  } finally {
    registry.corrupt.delete(layer.digest);
  }
  assert.equal(await content.has(layer.digest), false);
  assert.equal(await content.ingestStatus(`pull-${digestHex(layer.digest)}`), undefined);
  assert.equal(images.registered, 0);
  const layerGets = registry.log.filter((entry) => entry.method === 'GET' && entry.path.endsWith(layer.digest));
  assert.equal(layerGets.length, 2, 'retried once from scratch');
});

test('a download cut off half way resumes with Range', async () => {
  const layerBytes = randomBytes(400_000);
  const documents = imageDocuments(registry, [layerBytes], 'amd64');
  registry.addManifest('cut/app', 'latest', documents);
  const layer = documents.layers[0] as Descriptor;
  registry.cutOnce.add(layer.digest);
  await client.pull(`${registry.host}/cut/app`);
  assert.equal(createHash('sha256').update(await content.read(layer.digest)).digest('hex'), digestHex(layer.digest));
  const ranges = registry.log
    .filter((entry) => entry.method === 'GET' && entry.path.endsWith(layer.digest))
    .map((entry) => entry.range);
  assert.equal(ranges.length, 2);
  assert.equal(ranges[0], undefined);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
  assert.ok(resumedAt > 0 && resumedAt <= layerBytes.length / 2, `resumed at ${ranges[1]}`);
});

test('blob downloads follow redirects to another host without the credentials', async () => {
  const documents = imageDocuments(registry, [randomBytes(20_000)], 'amd64');
  registry.addManifest('moved/app', 'latest', documents);
  const layer = documents.layers[0] as Descriptor;
  registry.redirected.add(layer.digest);
  await client.pull(`${registry.host}/moved/app`);
  assert.equal(await content.has(layer.digest), true);
  assert.ok(registry.log.some((entry) => entry.path === `/storage/${layer.digest}`));
});

test('pushes blobs (small and streamed) and the manifest as stored; anonymous push is denied', async () => {
  const big = randomBytes(17 * 1024 * 1024);
  const small = randomBytes(10_000);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const describe = async (data: Buffer, mediaType: string) => ({ mediaType, ...(await content.write(data)) });
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.DockerManifest,
    config: await describe(config, MediaType.DockerConfig),
    layers: [await describe(big, MediaType.DockerLayerGzip), await describe(small, MediaType.DockerLayerGzip)],
  };
  const stored = await content.write(Buffer.from(JSON.stringify(manifest, null, 3)));
  const reference = `${registry.host}/pushed/app:v1`;
  images.names.set(reference, stored.digest);

  await assert.rejects(client.push(reference), (err) => isMarinaError(err, 'Forbidden') && /denied/.test(err.message));
  await assert.rejects(
    client.push(reference, { credentials: { username: 'alice', password: 'wrong' } }),
    (err) => isMarinaError(err, 'Unauthorized') && err.message.includes(`marina login ${registry.host}`),
  );

  const progress = progressLog();
  const credentials = { username: 'alice', password: 'secret' };
  const pushed = await client.push(reference, { credentials, onProgress: progress.onProgress });
  assert.deepEqual(pushed, stored);
  assert.deepEqual(registry.blobs.get(manifest.layers[0]?.digest as string), big);
  assert.deepEqual(registry.manifests.get('pushed/app@v1')?.body, await content.read(stored.digest));
  assert.equal(registry.manifests.get('pushed/app@v1')?.mediaType, MediaType.DockerManifest);
  assert.ok(registry.log.some((entry) => entry.method === 'PATCH'), 'the big layer was streamed by PATCH');
  assert.equal(progress.lines.at(-1)?.status, `v1: digest: ${stored.digest} size: ${stored.size}`);
  assert.equal(progress.lines.filter((line) => line.status === 'Pushed').length, 2);

  const again = progressLog();
  await client.push(reference, { credentials, onProgress: again.onProgress });
  assert.equal(again.lines.filter((line) => line.status === 'Layer already exists').length, 2);
});

test('login checks credentials with the token flow', async () => {
  assert.deepEqual(await client.login(registry.host, { username: 'alice', password: 'secret' }), {
    status: 'Login Succeeded',
  });
  await assert.rejects(
    client.login(`http://${registry.host}/`, { username: 'alice', password: 'nope' }),
    (err) => isMarinaError(err, 'Unauthorized') && err.message.startsWith(`login to ${registry.host} failed`),
  );
  await assert.rejects(client.login(registry.host, {}), (err) => isMarinaError(err, 'Invalid'));
});
