/**
 * Marina's ImageRecord in Docker's shapes: the `GET /images/json` summary, `GET /images/{name}/json` and
 * `GET /images/{name}/history`, and the `filters` of the list. Pure, so every field is unit-tested.
 */
import { invalid } from '../../errors.ts';
import type { ImageRecord } from '../../image/image-types.ts';
import { familiarizeReference, familiarName, parseReferenceLoose } from '../../image/reference.ts';
import { unixSeconds } from './docker-http.ts';

export interface DockerImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

/** `busybox:latest` for each name the image has. */
export const repoTags = (record: ImageRecord): string[] => record.names.map(familiarizeReference);

/**
 * `busybox@sha256:…` per repository: the manifest the image is stored under is the digest a registry knows it by,
 * which is what Docker lists (one entry per repository, not per tag).
 */
export function repoDigests(record: ImageRecord): string[] {
  const repositories = new Set(
    record.names.map((name) => {
      const { tag: _tag, digest: _digest, ...repository } = parseReferenceLoose(name);
      return familiarName(repository);
    }),
  );
  return [...repositories].map((repository) => `${repository}@${record.manifestDigest}`);
}

export function dockerImageSummary(record: ImageRecord): DockerImageSummary {
  return {
    Id: record.id,
    ParentId: '',
    RepoTags: repoTags(record),
    RepoDigests: repoDigests(record),
    Created: unixSeconds(record.created),
    Size: record.size,
    // -1 is Docker's "not computed", which is what it answers unless asked for shared sizes.
    SharedSize: -1,
    VirtualSize: record.size,
    Labels: record.config.config?.Labels ?? {},
    Containers: -1,
  };
}

/** `GET /images/{name}/json`: the fields docker inspect, compose and the SDKs read. */
export function dockerImageInspect(record: ImageRecord): Record<string, unknown> {
  const { config } = record;
  const runtime = config.config ?? {};
  return {
    Id: record.id,
    RepoTags: repoTags(record),
    RepoDigests: repoDigests(record),
    Parent: '',
    Comment: config.history?.at(-1)?.comment ?? '',
    Created: config.created ?? record.created,
    Container: '',
    DockerVersion: '',
    Author: config.author ?? '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: runtime.User ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: runtime.ExposedPorts ?? null,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: runtime.Env ?? null,
      Cmd: runtime.Cmd ?? null,
      Healthcheck: runtime.Healthcheck,
      Image: '',
      Volumes: runtime.Volumes ?? null,
      WorkingDir: runtime.WorkingDir ?? '',
      Entrypoint: runtime.Entrypoint ?? null,
      OnBuild: runtime.OnBuild ?? null,
      Labels: runtime.Labels ?? null,
      StopSignal: runtime.StopSignal,
      Shell: runtime.Shell,
    },
    Architecture: config.architecture,
    Variant: config.variant,
    Os: config.os,
    Size: record.size,
    VirtualSize: record.size,
    GraphDriver: { Name: 'overlay2', Data: null },
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

export interface DockerHistoryEntry {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/**
 * Newest first, as docker does. Only the newest entry is this image; older ones are layers of it, which Docker
 * (without the builder's intermediate images) shows as `<missing>`. Sizes are the stored layer sizes, in order of
 * the entries that made a layer.
 */
export function dockerImageHistory(record: ImageRecord): DockerHistoryEntry[] {
  const history = record.config.history ?? [];
  const layers = record.manifest.layers;
  let layerIndex = 0;
  const entries = history.map((entry): DockerHistoryEntry => {
    const size = entry.empty_layer ? 0 : (layers[layerIndex++]?.size ?? 0);
    return {
      Id: '<missing>',
      Created: entry.created ? unixSeconds(entry.created) : 0,
      CreatedBy: entry.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: entry.comment ?? '',
    };
  });
  // An image without history (imported by other tools) still has one line, as in docker.
  if (entries.length === 0)
    entries.push({
      Id: '',
      Created: unixSeconds(record.created),
      CreatedBy: '',
      Tags: null,
      Size: record.size,
      Comment: '',
    });
  entries.reverse();
  const tags = repoTags(record);
  entries[0] = { ...entries[0]!, Id: record.id, Tags: tags.length > 0 ? tags : null };
  return entries;
}

const knownImageFilters = new Set(['dangling', 'reference', 'label', 'before', 'since']);

/** Docker's `reference` filter: a glob on the familiar name, with or without the tag. */
function referenceMatches(pattern: string, record: ImageRecord): boolean {
  const glob = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
  return repoTags(record).some((tag) => glob.test(tag) || glob.test(tag.slice(0, tag.lastIndexOf(':'))));
}

function labelMatches(wanted: string, labels: Record<string, string>): boolean {
  const eq = wanted.indexOf('=');
  if (eq === -1) return wanted in labels;
  return labels[wanted.slice(0, eq)] === wanted.slice(eq + 1);
}

/**
 * The `GET /images/json` filters: dangling, reference, label, before and since. `lookup` resolves before/since to
 * an image (they name one). Unknown filters are a 400, as in Docker.
 */
export function imageFilter(
  filters: Map<string, string[]>,
  lookup: (name: string) => ImageRecord | undefined,
): (record: ImageRecord) => boolean {
  for (const key of filters.keys()) if (!knownImageFilters.has(key)) throw invalid(`invalid filter '${key}'`);
  const dangling = filters.get('dangling');
  if (dangling?.some((v) => !['true', 'false', '1', '0'].includes(v)))
    throw invalid(`invalid filter 'dangling=${dangling.join(',')}': use true or false`);
  const createdOf = (key: string): number[] =>
    (filters.get(key) ?? []).map((name) => {
      const found = lookup(name);
      if (!found) throw invalid(`invalid filter '${key}=${name}': No such image: ${name}`);
      return Date.parse(found.created);
    });
  const before = createdOf('before');
  const since = createdOf('since');
  return (record) => {
    if (dangling?.length) {
      const wantDangling = dangling[0] === 'true' || dangling[0] === '1';
      if ((record.names.length === 0) !== wantDangling) return false;
    }
    const references = filters.get('reference') ?? [];
    if (references.length > 0 && !references.some((p) => referenceMatches(p, record))) return false;
    const labels = record.config.config?.Labels ?? {};
    if (!(filters.get('label') ?? []).every((l) => labelMatches(l, labels))) return false;
    const created = Date.parse(record.created);
    if (!before.every((t) => created < t)) return false;
    return since.every((t) => created > t);
  };
}
