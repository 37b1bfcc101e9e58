/**
 * marina's registry against the OCI Distribution spec, over raw HTTP (node's client), on a real marinad
 * started with `--registry-addr 127.0.0.1:PORT --registry-auth none`: uploads of every kind, manifests,
 * tags, catalog, referrers, deletion, mount, the bad-input answers, concurrent and killed uploads, and gc.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Digest } from '../src/content/content-store.ts';
import { type ImageManifest, MediaType } from '../src/image/image-types.ts';
import { uniqueName } from './harness.ts';
import { type HttpAnswer, request, sha256Digest, useRegistryDaemon } from './registry-fixtures.ts';

const registry = useRegistryDaemon({ args: ['--registry-auth', 'none'], seedBusybox: true });
const url = (path: string) => `${registry().url}${path}`;

function blobFile(digest: Digest): string {
  return join(registry().daemon.root, 'content', 'blobs', 'sha256', digest.slice('sha256:'.length));
}

function expectStatus(answer: HttpAnswer, status: number, what: string): void {
  assert.equal(answer.status, status, `${what}: ${answer.status} ${answer.body.toString().slice(0, 500)}`);
}

/** The upload URL a POST/PATCH answered with, absolute. */
function location(answer: HttpAnswer): string {
  const value = answer.headers.location;
  assert.ok(value, `no Location header (status ${answer.status})`);
  return new URL(value, registry().url).toString();
}

function withQuery(uploadUrl: string, query: Record<string, string>): string {
  const u = new URL(uploadUrl);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

async function uploadBlob(repository: string, data: Buffer): Promise<Digest> {
  const digest = sha256Digest(data);
  const answer = await request(url(`/v2/${repository}/blobs/uploads/?digest=${digest}`), {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: data,
  });
  expectStatus(answer, 201, `monolithic upload to ${repository}`);
  return digest;
}

function putManifest(
  repository: string,
  reference: string,
  manifest: object,
  mediaType: string = MediaType.OciManifest,
) {
  return request(url(`/v2/${repository}/manifests/${reference}`), {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: JSON.stringify(manifest),
  });
}

/** A config and one layer uploaded to `repository`, and the manifest naming them (not yet put). */
async function imageManifest(repository: string): Promise<ImageManifest> {
  const layer = randomBytes(2048);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [sha256Digest(layer)] },
    }),
  );
  const configDigest = await uploadBlob(repository, config);
  const layerDigest = await uploadBlob(repository, layer);
  return {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.length },
    layers: [{ mediaType: MediaType.OciLayer, digest: layerDigest, size: layer.length }],
  };
}

async function pushImage(
  repository: string,
  tag: string,
): Promise<{ manifest: ImageManifest; digest: Digest }> {
  const manifest = await imageManifest(repository);
  const answer = await putManifest(repository, tag, manifest);
  expectStatus(answer, 201, 'manifest PUT');
  return { manifest, digest: sha256Digest(JSON.stringify(manifest)) };
}

describe('registry spec (raw HTTP, --registry-auth none)', () => {
  test('/v2/ answers 200 with the API version header', async () => {
    const answer = await request(url('/v2/'));
    expectStatus(answer, 200, '/v2/');
    assert.equal(answer.headers['docker-distribution-api-version'], 'registry/2.0');
  });

  test('monolithic upload, then HEAD and GET (whole and by Range) of the blob', async () => {
    const repo = uniqueName('spec/mono');
    const data = randomBytes(100_000);
    const digest = sha256Digest(data);
    const answer = await request(url(`/v2/${repo}/blobs/uploads/?digest=${digest}`), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    expectStatus(answer, 201, 'monolithic POST');
    assert.equal(answer.headers['docker-content-digest'], digest);
    assert.match(answer.headers.location ?? '', new RegExp(`/v2/${repo}/blobs/${digest}$`));

    const head = await request(url(`/v2/${repo}/blobs/${digest}`), { method: 'HEAD' });
    expectStatus(head, 200, 'blob HEAD');
    assert.equal(head.headers['content-length'], String(data.length));
    assert.equal(head.headers['docker-content-digest'], digest);
    assert.equal(head.body.length, 0);

    const get = await request(url(`/v2/${repo}/blobs/${digest}`));
    expectStatus(get, 200, 'blob GET');
    assert.ok(get.body.equals(data), 'the blob reads back as uploaded');

    const ranged = await request(url(`/v2/${repo}/blobs/${digest}`), { headers: { range: 'bytes=10-19' } });
    expectStatus(ranged, 206, 'blob GET with Range');
    assert.ok(ranged.body.equals(data.subarray(10, 20)));
    assert.equal(ranged.headers['content-range'], `bytes 10-19/${data.length}`);

    const elsewhere = await request(url(`/v2/${uniqueName('spec/other')}/blobs/${digest}`), {
      method: 'HEAD',
    });
    expectStatus(elsewhere, 404, 'the blob is not linked to another repository');
  });

  test('chunked upload: POST, PATCH with Content-Range, status, PATCH, PUT with digest', async () => {
    const repo = uniqueName('spec/chunked');
    const data = randomBytes(300_000);
    const digest = sha256Digest(data);
    const start = await request(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
    expectStatus(start, 202, 'upload POST');
    assert.ok(start.headers['docker-upload-uuid'], 'Docker-Upload-UUID is set');
    let at = location(start);

    const first = await request(at, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'content-range': '0-99999' },
      body: data.subarray(0, 100_000),
    });
    expectStatus(first, 202, 'first PATCH');
    assert.equal(first.headers.range, '0-99999');
    at = location(first);

    const status = await request(at);
    expectStatus(status, 204, 'upload status');
    assert.equal(status.headers.range, '0-99999');

    const second = await request(at, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'content-range': `100000-${data.length - 1}` },
      body: data.subarray(100_000),
    });
    expectStatus(second, 202, 'second PATCH');
    assert.equal(second.headers.range, `0-${data.length - 1}`);

    const done = await request(withQuery(location(second), { digest }), { method: 'PUT' });
    expectStatus(done, 201, 'closing PUT');
    assert.equal(done.headers['docker-content-digest'], digest);
    const get = await request(url(`/v2/${repo}/blobs/${digest}`));
    assert.ok(get.body.equals(data));
  });

  test('a PATCH whose Content-Range does not start at the offset is refused with 416', async () => {
    const repo = uniqueName('spec/range');
    const at = location(await request(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' }));
    const wrong = await request(at, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'content-range': '10-19' },
      body: randomBytes(10),
    });
    expectStatus(wrong, 416, 'PATCH out of order');
    const status = await request(at);
    expectStatus(status, 204, 'the upload is still there');
    assert.equal(status.headers.range, '0-0', 'nothing was appended');
  });

  test('resumable: PATCH a part, ask the status as a restarted client would, PATCH the rest, PUT', async () => {
    const repo = uniqueName('spec/resume');
    const data = randomBytes(64 * 1024);
    const digest = sha256Digest(data);
    const at = location(await request(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' }));
    const part = 20_000;
    expectStatus(
      await request(at, {
        method: 'PATCH',
        headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${part - 1}` },
        body: data.subarray(0, part),
      }),
      202,
      'first part',
    );
    // The client forgets everything but the upload URL.
    const status = await request(at);
    expectStatus(status, 204, 'status');
    const range = /^0-(\d+)$/.exec(String(status.headers.range));
    assert.ok(range, `Range header: ${status.headers.range}`);
    const offset = Number(range[1]) + 1;
    assert.equal(offset, part);
    const rest = await request(location(status), {
      method: 'PATCH',
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${offset}-${data.length - 1}`,
      },
      body: data.subarray(offset),
    });
    expectStatus(rest, 202, 'the rest');
    expectStatus(await request(withQuery(location(rest), { digest }), { method: 'PUT' }), 201, 'PUT');
    assert.ok((await request(url(`/v2/${repo}/blobs/${digest}`))).body.equals(data));
  });

  test('cancel: DELETE on the upload ends it (status 404 BLOB_UPLOAD_UNKNOWN afterwards)', async () => {
    const repo = uniqueName('spec/cancel');
    const data = randomBytes(5000);
    const at = location(await request(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' }));
    await request(at, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${data.length - 1}` },
      body: data,
    });
    expectStatus(await request(at, { method: 'DELETE' }), 204, 'cancel');
    const status = await request(at);
    expectStatus(status, 404, 'status after cancel');
    assert.equal(status.errorCode, 'BLOB_UPLOAD_UNKNOWN');
    const put = await request(withQuery(at, { digest: sha256Digest(data) }), { method: 'PUT' });
    expectStatus(put, 404, 'PUT after cancel');
    expectStatus(
      await request(url(`/v2/${repo}/blobs/${sha256Digest(data)}`), { method: 'HEAD' }),
      404,
      'no blob',
    );
  });

  test('a wrong digest is DIGEST_INVALID and stores nothing', async () => {
    const repo = uniqueName('spec/baddigest');
    const data = randomBytes(4096);
    const claimed = sha256Digest(randomBytes(16));
    const answer = await request(url(`/v2/${repo}/blobs/uploads/?digest=${claimed}`), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    expectStatus(answer, 400, 'upload with a wrong digest');
    assert.equal(answer.errorCode, 'DIGEST_INVALID');
    for (const digest of [claimed, sha256Digest(data)]) {
      expectStatus(
        await request(url(`/v2/${repo}/blobs/${digest}`), { method: 'HEAD' }),
        404,
        `HEAD ${digest}`,
      );
      assert.equal(existsSync(blobFile(digest)), false, `no content file for ${digest}`);
    }
  });

  test('manifests by tag and by digest, with content negotiation by Accept', async () => {
    const repo = uniqueName('spec/manifest');
    const manifest = await imageManifest(repo);
    const body = JSON.stringify(manifest);
    const digest = sha256Digest(body);
    const put = await putManifest(repo, 'v1', manifest);
    expectStatus(put, 201, 'manifest PUT');
    assert.equal(put.headers['docker-content-digest'], digest);
    assert.match(put.headers.location ?? '', new RegExp(`/v2/${repo}/manifests/${digest}$`));

    for (const reference of ['v1', digest]) {
      const get = await request(url(`/v2/${repo}/manifests/${reference}`), {
        headers: { accept: `${MediaType.OciManifest}, ${MediaType.DockerManifest}` },
      });
      expectStatus(get, 200, `GET by ${reference}`);
      assert.equal(get.headers['content-type'], MediaType.OciManifest);
      assert.equal(get.headers['docker-content-digest'], digest);
      assert.equal(get.body.toString(), body, 'the manifest bytes are served as put');
      const head = await request(url(`/v2/${repo}/manifests/${reference}`), {
        method: 'HEAD',
        headers: { accept: MediaType.OciManifest },
      });
      expectStatus(head, 200, `HEAD by ${reference}`);
      assert.equal(head.headers['content-length'], String(body.length));
    }

    const unknown = await request(url(`/v2/${repo}/manifests/nope`), {
      headers: { accept: MediaType.OciManifest },
    });
    expectStatus(unknown, 404, 'unknown tag');
    assert.equal(unknown.errorCode, 'MANIFEST_UNKNOWN');
  });

  test('a Docker v2 schema 2 manifest is served with its own media type', async () => {
    const repo = uniqueName('spec/docker');
    const oci = await imageManifest(repo);
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { ...oci.config, mediaType: MediaType.DockerConfig },
      layers: oci.layers.map((l) => ({ ...l, mediaType: MediaType.DockerLayer })),
    };
    expectStatus(
      await putManifest(repo, 'v1', manifest, MediaType.DockerManifest),
      201,
      'Docker manifest PUT',
    );
    const get = await request(url(`/v2/${repo}/manifests/v1`), {
      headers: { accept: MediaType.DockerManifest },
    });
    expectStatus(get, 200, 'GET');
    assert.equal(get.headers['content-type'], MediaType.DockerManifest);
    assert.equal(get.headers['docker-content-digest'], sha256Digest(JSON.stringify(manifest)));
  });

  test('tag listing pages with n and last and a Link header; _catalog lists the repositories', async () => {
    const repo = uniqueName('spec/tags');
    const manifest = await imageManifest(repo);
    const tags = ['a', 'b', 'c', 'd', 'e'];
    for (const tag of tags) expectStatus(await putManifest(repo, tag, manifest), 201, `tag ${tag}`);

    const all = await request(url(`/v2/${repo}/tags/list`));
    expectStatus(all, 200, 'tags');
    assert.deepEqual(all.json, { name: repo, tags });

    const first = await request(url(`/v2/${repo}/tags/list?n=2`));
    expectStatus(first, 200, 'first page');
    assert.deepEqual((first.json as { tags: string[] }).tags, ['a', 'b']);
    const link = /^<([^>]+)>;\s*rel="next"$/.exec(String(first.headers.link));
    assert.ok(link, `Link header: ${first.headers.link}`);
    const next = new URL(link[1]!, registry().url);
    assert.equal(next.searchParams.get('last'), 'b');
    const second = await request(next.toString());
    assert.deepEqual((second.json as { tags: string[] }).tags, ['c', 'd']);
    const last = await request(url(`/v2/${repo}/tags/list?n=2&last=d`));
    assert.deepEqual((last.json as { tags: string[] }).tags, ['e']);
    assert.equal(last.headers.link, undefined, 'no Link on the last page');

    const unknown = await request(url(`/v2/${uniqueName('spec/none')}/tags/list`));
    expectStatus(unknown, 404, 'tags of an unknown repository');
    assert.equal(unknown.errorCode, 'NAME_UNKNOWN');

    const catalog = await request(url('/v2/_catalog?n=1000'));
    expectStatus(catalog, 200, '_catalog');
    assert.ok((catalog.json as { repositories: string[] }).repositories.includes(repo));
  });

  test('referrers: PUT with a subject answers OCI-Subject; the list filters by artifactType', async () => {
    const repo = uniqueName('spec/referrers');
    const { digest: subject, manifest } = await pushImage(repo, 'v1');
    const emptyConfig = Buffer.from('{}');
    const emptyDigest = await uploadBlob(repo, emptyConfig);
    const artifact = (artifactType: string) => ({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType,
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: emptyDigest,
        size: emptyConfig.length,
      },
      layers: [
        { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: emptyConfig.length },
      ],
      subject: { mediaType: MediaType.OciManifest, digest: subject, size: JSON.stringify(manifest).length },
    });
    const sbom = artifact('application/vnd.example.sbom');
    const signature = artifact('application/vnd.example.signature');
    for (const a of [sbom, signature]) {
      const sbomDigest = sha256Digest(JSON.stringify(a));
      const put = await putManifest(repo, sbomDigest, a);
      expectStatus(put, 201, `referrer ${a.artifactType}`);
      assert.equal(put.headers['oci-subject'], subject);
    }

    const all = await request(url(`/v2/${repo}/referrers/${subject}`));
    expectStatus(all, 200, 'referrers');
    assert.equal(all.headers['content-type'], MediaType.OciIndex);
    const index = all.json as { manifests: { digest: string; artifactType?: string }[] };
    assert.deepEqual(
      index.manifests.map((m) => m.digest).sort(),
      [sha256Digest(JSON.stringify(sbom)), sha256Digest(JSON.stringify(signature))].sort(),
    );

    const filtered = await request(
      url(
        `/v2/${repo}/referrers/${subject}?artifactType=${encodeURIComponent('application/vnd.example.sbom')}`,
      ),
    );
    expectStatus(filtered, 200, 'filtered referrers');
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    const only = (filtered.json as typeof index).manifests;
    assert.equal(only.length, 1);
    assert.equal(only[0]!.artifactType, 'application/vnd.example.sbom');

    const none = await request(url(`/v2/${repo}/referrers/${sha256Digest('nothing refers to this')}`));
    expectStatus(none, 200, 'referrers of an unknown digest');
    assert.deepEqual((none.json as typeof index).manifests, []);
  });

  test('a manifest over 4 MiB is refused with 413', async () => {
    const repo = uniqueName('spec/big');
    const manifest = await imageManifest(repo);
    const big = { ...manifest, annotations: { padding: 'x'.repeat(4 * 1024 * 1024 + 1) } };
    const answer = await putManifest(repo, 'big', big);
    expectStatus(answer, 413, 'huge manifest');
    expectStatus(await request(url(`/v2/${repo}/manifests/big`)), 404, 'nothing tagged');
  });

  test('a manifest naming a blob the repository lacks is MANIFEST_BLOB_UNKNOWN', async () => {
    const repo = uniqueName('spec/missing');
    const manifest = await imageManifest(repo);
    const broken = {
      ...manifest,
      layers: [
        ...manifest.layers,
        { mediaType: MediaType.OciLayer, digest: sha256Digest('absent'), size: 6 },
      ],
    };
    const answer = await putManifest(repo, 'v1', broken);
    expectStatus(answer, 400, 'manifest with a missing blob');
    assert.equal(answer.errorCode, 'MANIFEST_BLOB_UNKNOWN');
    expectStatus(await request(url(`/v2/${repo}/manifests/v1`)), 404, 'nothing tagged');
  });

  test('invalid repository names and tags: NAME_INVALID, TAG_INVALID', async () => {
    const repo = uniqueName('spec/names');
    const manifest = await imageManifest(repo);
    for (const bad of ['Upper/case', 'double//slash', 'trailing-/x', '_leading']) {
      const answer = await putManifest(bad, 'v1', manifest);
      expectStatus(answer, 400, `name ${bad}`);
      assert.equal(answer.errorCode, 'NAME_INVALID', `name ${bad}`);
    }
    const uploadAnswer = await request(url('/v2/Bad/blobs/uploads/'), { method: 'POST' });
    expectStatus(uploadAnswer, 400, 'upload to a bad name');
    assert.equal(uploadAnswer.errorCode, 'NAME_INVALID');
    for (const bad of ['.dot', '-dash', 'x'.repeat(129)]) {
      const answer = await putManifest(repo, bad, manifest);
      expectStatus(answer, 400, `tag ${bad}`);
      assert.equal(answer.errorCode, 'TAG_INVALID', `tag ${bad}`);
    }
    // The repository exists (its blobs were uploaded) but no tag was made by any of those.
    const tags = await request(url(`/v2/${repo}/tags/list`));
    assert.deepEqual(
      (tags.json as { tags: string[] | null } | undefined)?.tags ?? [],
      [],
      tags.body.toString(),
    );
  });

  test('delete a blob and a manifest (by digest: its tags go with it)', async () => {
    const repo = uniqueName('spec/delete');
    const data = randomBytes(1000);
    const blob = await uploadBlob(repo, data);
    expectStatus(await request(url(`/v2/${repo}/blobs/${blob}`), { method: 'DELETE' }), 202, 'blob DELETE');
    const head = await request(url(`/v2/${repo}/blobs/${blob}`), { method: 'HEAD' });
    expectStatus(head, 404, 'blob HEAD after DELETE');
    const again = await request(url(`/v2/${repo}/blobs/${blob}`), { method: 'DELETE' });
    expectStatus(again, 404, 'second blob DELETE');
    assert.equal(again.errorCode, 'BLOB_UNKNOWN');

    const { digest } = await pushImage(repo, 'v1');
    expectStatus(
      await putManifest(repo, 'v2', (await request(url(`/v2/${repo}/manifests/v1`))).json as object),
      201,
      'v2',
    );
    expectStatus(await request(url(`/v2/${repo}/manifests/v2`), { method: 'DELETE' }), 202, 'DELETE by tag');
    expectStatus(await request(url(`/v2/${repo}/manifests/v2`)), 404, 'v2 is gone');
    expectStatus(await request(url(`/v2/${repo}/manifests/v1`)), 200, 'v1 stays');
    expectStatus(
      await request(url(`/v2/${repo}/manifests/${digest}`), { method: 'DELETE' }),
      202,
      'DELETE by digest',
    );
    for (const reference of ['v1', digest]) {
      const get = await request(url(`/v2/${repo}/manifests/${reference}`));
      expectStatus(get, 404, `GET ${reference} after DELETE`);
      assert.equal(get.errorCode, 'MANIFEST_UNKNOWN');
    }
  });

  test('cross-repository mount links an existing blob; an unknown one starts an upload', async () => {
    const from = uniqueName('spec/mount-from');
    const to = uniqueName('spec/mount-to');
    const blob = await uploadBlob(from, randomBytes(3000));
    const mounted = await request(url(`/v2/${to}/blobs/uploads/?mount=${blob}&from=${from}`), {
      method: 'POST',
    });
    expectStatus(mounted, 201, 'mount');
    assert.equal(mounted.headers['docker-content-digest'], blob);
    expectStatus(await request(url(`/v2/${to}/blobs/${blob}`), { method: 'HEAD' }), 200, 'mounted blob');

    const unknown = sha256Digest('never uploaded');
    const fallback = await request(url(`/v2/${to}/blobs/uploads/?mount=${unknown}&from=${from}`), {
      method: 'POST',
    });
    expectStatus(fallback, 202, 'mount of an unknown blob');
    assert.ok(fallback.headers.location, 'an upload was started instead');
  });

  test('two clients uploading the same blob at once both succeed; it is stored once', async () => {
    const repos = [uniqueName('spec/same-a'), uniqueName('spec/same-b')];
    const data = randomBytes(2 * 1024 * 1024);
    const digest = sha256Digest(data);
    const half = data.length / 2;
    const uploads = await Promise.all(
      repos.map(async (repo) =>
        location(await request(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' })),
      ),
    );
    const patched = await Promise.all(
      uploads.map(async (at) =>
        location(
          await request(at, {
            method: 'PATCH',
            headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${half - 1}` },
            body: data.subarray(0, half),
          }),
        ),
      ),
    );
    const done = await Promise.all(
      patched.map((at) =>
        request(withQuery(at, { digest }), {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream' },
          body: data.subarray(half),
        }),
      ),
    );
    for (const answer of done) expectStatus(answer, 201, 'concurrent PUT');
    for (const repo of repos) {
      const get = await request(url(`/v2/${repo}/blobs/${digest}`));
      assert.ok(get.body.equals(data), `${repo} serves the blob`);
    }
    assert.ok(existsSync(blobFile(digest)), 'one content file holds it');
  });

  test('an upload whose client dies half way never makes a blob visible', async () => {
    const repo = uniqueName('spec/killed');
    const data = randomBytes(1024 * 1024);
    const digest = sha256Digest(data);
    const { hostname, port } = new URL(registry().url);
    // Sends `method path` announcing all of `data` but only its first half, then drops the connection.
    const sendHalfAndDie = (method: string, path: string) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), hostname, () => {
          socket.write(
            `${method} ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
              `Content-Type: application/octet-stream\r\nContent-Length: ${data.length}\r\n\r\n`,
          );
          socket.write(data.subarray(0, data.length / 2), () => {
            setTimeout(() => {
              socket.destroy();
              resolve();
            }, 200);
          });
        });
        socket.on('error', reject);
      });
    // A monolithic upload announcing the whole length, of which only half is ever sent.
    await sendHalfAndDie('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`);
    // And a chunked upload whose PATCH dies the same way.
    const at = new URL(location(await request(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' })));
    await sendHalfAndDie('PATCH', `${at.pathname}${at.search}`);
    await new Promise((r) => setTimeout(r, 300));
    expectStatus(
      await request(url(`/v2/${repo}/blobs/${digest}`), { method: 'HEAD' }),
      404,
      'no blob after the kill',
    );
    assert.equal(existsSync(blobFile(digest)), false, 'no content file either');
    // The killed PATCH's upload can be finished with a PUT of the digest only if it holds every byte: it does not.
    const put = await request(withQuery(at.toString(), { digest }), { method: 'PUT' });
    assert.ok(put.status >= 400, `closing the half upload must fail, got ${put.status}`);
    expectStatus(await request(url(`/v2/${repo}/blobs/${digest}`), { method: 'HEAD' }), 404, 'still no blob');
    // The registry is fine: the same blob uploads whole afterwards.
    await uploadBlob(repo, data);
    expectStatus(await request(url(`/v2/${repo}/blobs/${digest}`), { method: 'HEAD' }), 200, 'whole upload');
  });

  test('`marina registry gc --min-age 0` removes an unreferenced blob and keeps referenced ones', async () => {
    const repo = uniqueName('spec/gc');
    const { manifest } = await pushImage(repo, 'v1');
    const orphan = await uploadBlob(repo, randomBytes(10_000));
    assert.ok(existsSync(blobFile(orphan)));

    const dry = await registry().daemon.ok(['registry', 'gc', '--min-age', '0', '--dry-run']);
    assert.match(dry, /Would remove blobs: [1-9]/, dry);
    expectStatus(
      await request(url(`/v2/${repo}/blobs/${orphan}`), { method: 'HEAD' }),
      200,
      'dry run removes nothing',
    );

    const out = await registry().daemon.ok(['registry', 'gc', '--min-age', '0']);
    assert.match(out, /Removed blobs: [1-9]/, out);
    expectStatus(
      await request(url(`/v2/${repo}/blobs/${orphan}`), { method: 'HEAD' }),
      404,
      'orphan HEAD after gc',
    );
    assert.equal(existsSync(blobFile(orphan)), false, 'the orphan content file is gone');
    for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      expectStatus(await request(url(`/v2/${repo}/blobs/${d}`), { method: 'HEAD' }), 200, `referenced ${d}`);
    }
    expectStatus(await request(url(`/v2/${repo}/manifests/v1`)), 200, 'the manifest stays');
    // The engine's images are GC roots too: the seeded busybox still runs and saves.
    const out2 = await registry().daemon.ok(['run', '--rm', 'busybox', 'echo', 'alive']);
    assert.equal(out2.trim(), 'alive');
    await registry().daemon.ok([
      'image',
      'save',
      '-o',
      join(registry().daemon.root, 'busybox.tar'),
      'busybox',
    ]);
  });
});
