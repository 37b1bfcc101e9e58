/**
 * Fixtures for the registry system tests and bench/registry.ts: free loopback ports, Debian's
 * docker-registry (CNCF distribution 2.8) on loopback as the reference registry, OCI image layouts with
 * incompressible layers for skopeo to push, a marinad with its registry on, and skopeo itself.
 * Everything started here is stopped and its files removed by the `stop`/`destroy` it returns.
 */
import { hostPlatform } from '../src/image/platform.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { createCipheriv, createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before } from 'node:test';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { Digest } from '../src/content/content-store.ts';
import {
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  MediaType,
  type Platform,
} from '../src/image/image-types.ts';
import { type DaemonOptions, runProcess, startDaemon, type TestDaemon } from './harness.ts';

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Polls `url` until it answers at all (any status: a 401 from /v2/ means the registry is up). */
export async function waitForHttp(
  url: string,
  isDead: () => string | undefined,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const dead = isDead();
    if (dead) throw new Error(dead);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${last}`);
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, as image references and skopeo name it. */
  host: string;
  url: string;
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  return exited;
}

/** Debian's /usr/bin/docker-registry on loopback, no auth, filesystem storage in a temp dir, delete enabled. */
export async function startDistributionRegistry(): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'marina-distribution-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      '  cache:',
      '    blobdescriptor: inmemory',
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  let stderr = '';
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://${host}/v2/`, () =>
      child.exitCode !== null ? `docker-registry exited ${child.exitCode}: ${stderr}` : undefined,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, url: `http://${host}`, stop };
}

export { hostPlatform };

export interface RegistryDaemon {
  daemon: TestDaemon;
  /** `127.0.0.1:PORT` of marina's registry. */
  host: string;
  /** `http://…` or `https://…`. */
  url: string;
}

/**
 * A test daemon with its registry on a free loopback port (`--registry-addr`), plus `args`. Tries a few
 * ports: another process may take the free one between the probe and marinad's listen.
 */
export async function startRegistryDaemon(
  options: DaemonOptions & { tls?: boolean } = {},
): Promise<RegistryDaemon> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    try {
      const daemon = await startDaemon({
        ...options,
        args: ['--registry-addr', host, ...(options.args ?? [])],
      });
      const url = `${options.tls ? 'https' : 'http'}://${host}`;
      return { daemon, host, url };
    } catch (err) {
      lastError = err;
      if (!/EADDRINUSE/.test(String(err))) throw err;
    }
  }
  throw lastError;
}

/** Runs skopeo with no system policy or saved logins involved; throws with its output when it fails. */
export async function skopeo(
  args: string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<string> {
  const r = await skopeoResult(args, options);
  if (r.code !== 0)
    throw new Error(`skopeo ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export function skopeoResult(args: string[], options: { timeoutMs?: number; input?: string } = {}) {
  // An auth file that does not exist: only --creds/--src-creds/--dest-creds count, never the host's logins.
  return runProcess('skopeo', ['--insecure-policy', ...args], {
    env: { REGISTRY_AUTH_FILE: join(tmpdir(), 'marina-test-no-auth.json') },
    timeoutMs: options.timeoutMs ?? 180_000,
    input: options.input,
  });
}

/**
 * `skopeo copy` of an OCI layout's `tag` to `dest` (`HOST/REPO:TAG`), over plain HTTP or unverified TLS
 * as loopback registries need. `creds` is `user:password`; `all` pushes every image of an index. For a
 * push that must fail, pass these to {@link skopeoResult}.
 */
export function skopeoPushArgs(
  layoutDir: string,
  tag: string,
  dest: string,
  options: { creds?: string; all?: boolean } = {},
): string[] {
  return [
    'copy',
    ...(options.all ? ['--all'] : []),
    ...(options.creds ? ['--dest-creds', options.creds] : []),
    '--dest-tls-verify=false',
    `oci:${layoutDir}:${tag}`,
    `docker://${dest}`,
  ];
}

export function skopeoPush(
  layoutDir: string,
  tag: string,
  dest: string,
  options?: { creds?: string; all?: boolean },
): Promise<string> {
  return skopeo(skopeoPushArgs(layoutDir, tag, dest, options));
}

/** `skopeo copy` of `src` (`HOST/REPO:TAG`) into an OCI layout at `outDir`, tagged `tag`; `creds` as on push. */
export function skopeoPull(
  src: string,
  outDir: string,
  tag: string,
  options: { creds?: string } = {},
): Promise<string> {
  return skopeo([
    'copy',
    ...(options.creds ? ['--src-creds', options.creds] : []),
    '--src-tls-verify=false',
    `docker://${src}`,
    `oci:${outDir}:${tag}`,
  ]);
}

/** The digest the first entry of an OCI layout's index.json names: what a pull into `dir` wrote. */
export async function layoutDigest(dir: string): Promise<string | undefined> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  return index.manifests[0]?.digest;
}

// --- OCI image layouts ------------------------------------------------------------------------------

export interface LayerSpec {
  sizeBytes: number;
}

export interface LayoutOptions {
  layers: LayerSpec[];
  tag: string;
  /** Makes the random bytes reproducible; different seeds give different layers (default 1). */
  seed?: number;
  /**
   * With more than one platform: one image per platform (each its own layers) under an OCI image index,
   * which the tag names. Default: one linux image for the host's architecture, tagged directly.
   */
  platforms?: Platform[];
}

export interface LayoutImage {
  platform: Platform;
  manifestDigest: Digest;
  configDigest: Digest;
  layerDigests: Digest[];
  diffIds: Digest[];
}

export interface OciLayout {
  dir: string;
  tag: string;
  /** What the tag names: the manifest, or the index when there are several platforms. */
  digest: Digest;
  mediaType: string;
  images: LayoutImage[];
  /** Bytes of every blob (layers, configs, manifests, index). */
  totalBytes: number;
}


/**
 * An endless stream of incompressible bytes fixed by `seed`: AES-256-CTR over zeros (fast, and every
 * seed its own stream).
 */
function seededCipher(seed: string) {
  const key = createHash('sha256').update(`marina-layer-${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
}

const chunkBytes = 1024 * 1024;

class BlobWriter {
  readonly #dir: string;
  totalBytes = 0;

  constructor(layoutDir: string) {
    this.#dir = join(layoutDir, 'blobs', 'sha256');
  }

  async json(mediaType: string, value: unknown): Promise<Descriptor> {
    const body = Buffer.from(JSON.stringify(value));
    const hex = createHash('sha256').update(body).digest('hex');
    await writeFile(join(this.#dir, hex), body);
    this.totalBytes += body.length;
    return { mediaType, digest: `sha256:${hex}`, size: body.length };
  }

  /**
   * A tar holding one file of `sizeBytes` seeded random bytes, wrapped in gzip at level 0 (stored blocks).
   * Gzip because skopeo gzips every uncompressed layer it pushes to a registry, which would change the
   * manifest's digest and make the bench time skopeo's compressor; level 0 because random bytes do not
   * compress anyway and storing costs no CPU. Returns the layer's descriptor and its diff ID.
   */
  async layer(sizeBytes: number, seed: string): Promise<{ descriptor: Descriptor; diffId: Digest }> {
    const pack = tar.pack();
    const tarHash = createHash('sha256');
    const gzipHash = createHash('sha256');
    let size = 0;
    const temp = join(this.#dir, `.tmp-${seed}`);
    const hashing = (hash: Hash, count: boolean) =>
      async function* (source: AsyncIterable<unknown>) {
        for await (const data of source) {
          const chunk = data as Buffer;
          hash.update(chunk);
          if (count) size += chunk.length;
          yield chunk;
        }
      };
    const written = pipeline(
      pack,
      hashing(tarHash, false),
      createGzip({ level: 0 }),
      hashing(gzipHash, true),
      createWriteStream(temp),
    );
    const cipher = seededCipher(seed);
    const zeros = Buffer.alloc(chunkBytes);
    const entry = pack.entry({ name: `data-${seed}.bin`, size: sizeBytes, mode: 0o644, mtime: new Date(0) });
    for (let left = sizeBytes; left > 0; left -= chunkBytes) {
      const chunk = cipher.update(left >= chunkBytes ? zeros : zeros.subarray(0, left));
      if (!entry.write(chunk)) await new Promise<void>((r) => entry.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) => {
      entry.once('error', reject);
      entry.end(() => resolve());
    });
    pack.finalize();
    await written;
    const hex = gzipHash.digest('hex');
    await rename(temp, join(this.#dir, hex));
    this.totalBytes += size;
    return {
      descriptor: { mediaType: MediaType.OciLayerGzip, digest: `sha256:${hex}`, size },
      diffId: `sha256:${tarHash.digest('hex')}`,
    };
  }
}

async function writeImage(
  blobs: BlobWriter,
  platform: Platform,
  layers: LayerSpec[],
  seed: string,
): Promise<{ descriptor: Descriptor; image: LayoutImage }> {
  const written = [];
  for (const [i, layer] of layers.entries()) written.push(await blobs.layer(layer.sizeBytes, `${seed}-${i}`));
  const layerDescriptors = written.map((w) => w.descriptor);
  const config: ImageConfig = {
    created: new Date(0).toISOString(),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Cmd: ['/data'], Labels: { 'org.marina.test.seed': seed } },
    rootfs: { type: 'layers', diff_ids: written.map((w) => w.diffId) },
    history: layerDescriptors.map(() => ({
      created: new Date(0).toISOString(),
      created_by: 'registry-fixtures',
    })),
  };
  const configDescriptor = await blobs.json(MediaType.OciConfig, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: configDescriptor,
    layers: layerDescriptors,
  };
  const descriptor = await blobs.json(MediaType.OciManifest, manifest);
  return {
    descriptor: { ...descriptor, platform },
    image: {
      platform,
      manifestDigest: descriptor.digest,
      configDigest: configDescriptor.digest,
      layerDigests: layerDescriptors.map((l) => l.digest),
      diffIds: written.map((w) => w.diffId),
    },
  };
}

/**
 * Writes an OCI image layout at `dir` (created if missing) to push with
 * `skopeo copy oci:DIR:TAG docker://HOST/REPO:TAG`.
 */
export async function makeOciLayout(dir: string, options: LayoutOptions): Promise<OciLayout> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const blobs = new BlobWriter(dir);
  const platforms = options.platforms ?? [hostPlatform()];
  const seed = String(options.seed ?? 1);
  const written = [];
  for (const platform of platforms)
    written.push(
      await writeImage(blobs, platform, options.layers, `${seed}-${platform.os}-${platform.architecture}`),
    );
  let top: Descriptor;
  if (written.length === 1) {
    const { platform: _unused, ...descriptor } = written[0]!.descriptor;
    top = descriptor;
  } else {
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: written.map((w) => w.descriptor),
    };
    top = await blobs.json(MediaType.OciIndex, index);
  }
  const layoutIndex: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': options.tag } }],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(layoutIndex));
  return {
    dir,
    tag: options.tag,
    digest: top.digest,
    mediaType: top.mediaType,
    images: written.map((w) => w.image),
    totalBytes: blobs.totalBytes,
  };
}

// --- raw HTTP ------------------------------------------------------------------------------------------

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
  /** The first spec error code of an error body, e.g. `DIGEST_INVALID`. */
  errorCode: string | undefined;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
  /** For https: accept the registry's self-signed certificate. */
  insecure?: boolean;
}

/** One request with node's http client: no redirects followed, no body rewritten, any status answered. */
export function request(url: string, options: HttpRequest = {}): Promise<HttpAnswer> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers = { ...(body ? { 'content-length': body.length } : {}), ...options.headers };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: options.method ?? 'GET', headers, agent: false, rejectUnauthorized: !options.insecure },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          let json: unknown;
          try {
            json = data.length ? JSON.parse(data.toString()) : undefined;
          } catch {
            json = undefined;
          }
          const errors = (json as { errors?: { code?: string }[] } | undefined)?.errors;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: data,
            json,
            errorCode: errors?.[0]?.code,
          });
        });
      },
    );
    req.setTimeout(60_000, () =>
      req.destroy(new Error(`${options.method ?? 'GET'} ${url}: no answer in 60 s`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function sha256Digest(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * One registry daemon for the enclosing suite or file: started before its first test, destroyed after its
 * last even when tests fail. Call the returned function inside tests.
 */
export function useRegistryDaemon(options: DaemonOptions & { tls?: boolean } = {}): () => RegistryDaemon {
  let started: RegistryDaemon | undefined;
  before(async () => {
    started = await startRegistryDaemon(options);
  });
  after(async () => {
    await started?.daemon.destroy();
  });
  return () => {
    if (!started) throw new Error('the registry daemon is used before its suite started');
    return started;
  };
}
