/**
 * The fields of `docker inspect`'s Config that dockerd fills by merging the image's config into the create
 * request (its daemon/commit.go `merge`), computed the same way (pure). Clients template them
 * (`{{.Config.Entrypoint}}`) and compose compares them with the service to decide on recreating, so they
 * must say what Docker says: the image's Entrypoint and Cmd kept apart, its labels, ports and volumes
 * included. The engine's record keeps the request and the effective process, not this view.
 */
import type { ContainerRecord } from '../../engine/container-types.ts';
import type { HealthConfig, ImageRuntimeConfig } from '../../image/image-types.ts';

const nsPerMs = 1e6;

export interface DockerMergedConfig {
  Entrypoint: string[] | null;
  Cmd: string[] | null;
  Env: string[] | null;
  User: string;
  WorkingDir: string;
  ExposedPorts?: Record<string, object>;
  Volumes: Record<string, object> | null;
  Labels: Record<string, string>;
  Healthcheck?: HealthConfig;
  StopSignal?: string;
}

/**
 * `image` is the config of the image the container was created from, or undefined when that image is gone;
 * then what the record keeps stands in for it (the process it runs, the request's own settings).
 */
export function dockerMergedConfig(record: ContainerRecord, image: ImageRuntimeConfig | undefined): DockerMergedConfig {
  const { request } = record;
  const from = image ?? {};
  const healthcheck = mergedHealthcheck(record, from.Healthcheck);
  const stopSignal = request.stopSignal || from.StopSignal;
  return {
    ...(image ? command(record, image) : commandWithoutImage(record)),
    Env: nullIfEmpty(image ? dockerEnv(request.env ?? [], image.Env ?? []) : record.env),
    User: record.user,
    // Docker shows "" when neither sets one; the process still starts in `/`.
    WorkingDir: image ? request.workingDir || image.WorkingDir || '' : record.workingDir,
    ...exposedPorts(record, from.ExposedPorts),
    Volumes: volumes(record, from.Volumes),
    Labels: { ...from.Labels, ...request.labels },
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    ...(stopSignal ? { StopSignal: stopSignal } : {}),
  };
}

/**
 * Docker: without an entrypoint in the request, the image's Entrypoint stays and the image's Cmd fills an
 * empty Cmd; a request entrypoint (even `--entrypoint ''`, which clears it) drops the image's Cmd.
 */
function command(record: ContainerRecord, image: ImageRuntimeConfig): Pick<DockerMergedConfig, 'Entrypoint' | 'Cmd'> {
  const { cmd, entrypoint } = record.request;
  if (entrypoint === undefined) {
    return { Entrypoint: nullIfEmpty(image.Entrypoint), Cmd: nullIfEmpty(cmd?.length ? cmd : image.Cmd) };
  }
  return { Entrypoint: nullIfEmpty(entrypoint), Cmd: nullIfEmpty(cmd) };
}

/** The image is gone: the process the record runs, split where the request's cmd begins. */
function commandWithoutImage(record: ContainerRecord): Pick<DockerMergedConfig, 'Entrypoint' | 'Cmd'> {
  const { cmd, entrypoint } = record.request;
  if (entrypoint !== undefined) return { Entrypoint: nullIfEmpty(entrypoint), Cmd: nullIfEmpty(cmd) };
  const argv = [record.path, ...record.args];
  if (!cmd?.length) return { Entrypoint: null, Cmd: argv };
  return { Entrypoint: nullIfEmpty(argv.slice(0, argv.length - cmd.length)), Cmd: cmd };
}

/** Docker's order: the request's variables as given, then the image's the request did not set. */
function dockerEnv(requested: readonly string[], image: readonly string[]): string[] {
  const keys = new Set(requested.map(keyOf));
  return [...requested, ...image.filter((entry) => !keys.has(keyOf(entry)))];
}

const keyOf = (entry: string) => entry.split('=', 1)[0]!;

/** The image's EXPOSE plus the ports the request publishes (the docker CLI exposes every `-p` port). */
function exposedPorts(record: ContainerRecord, image: Record<string, object> | undefined): Pick<DockerMergedConfig, 'ExposedPorts'> {
  const keys = new Set([
    ...Object.keys(image ?? {}),
    ...(record.request.exposedPorts ?? []),
    ...(record.request.ports ?? []).map((p) => `${p.containerPort}/${p.protocol}`),
  ]);
  return keys.size > 0 ? { ExposedPorts: Object.fromEntries([...keys].map((k) => [k, {}])) } : {};
}

/** The image's VOLUMEs plus the request's anonymous volumes (`-v /path`, which the docker CLI sends as Volumes). */
function volumes(record: ContainerRecord, image: Record<string, object> | undefined): Record<string, object> | null {
  const anonymous = (record.request.mounts ?? []).flatMap((m) => (m.type === 'volume' && !m.name ? [m.target] : []));
  const targets = new Set([...Object.keys(image ?? {}), ...anonymous]);
  return targets.size > 0 ? Object.fromEntries([...targets].map((t) => [t, {}])) : null;
}

/** Field by field, the request's non-zero values over the image's; durations in nanoseconds. */
function mergedHealthcheck(record: ContainerRecord, image: HealthConfig | undefined): HealthConfig | undefined {
  const request = record.request.healthcheck;
  if (!request) return image;
  const ns = (ms: number | undefined) => (ms ? ms * nsPerMs : undefined);
  const merged: HealthConfig = {
    Test: request.test.length > 0 ? request.test : image?.Test,
    Interval: ns(request.intervalMs) || image?.Interval,
    Timeout: ns(request.timeoutMs) || image?.Timeout,
    StartPeriod: ns(request.startPeriodMs) || image?.StartPeriod,
    StartInterval: image?.StartInterval,
    Retries: request.retries || image?.Retries,
  };
  // Docker leaves zero fields out of the JSON.
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : !!v))) as HealthConfig;
}

function nullIfEmpty<T>(list: readonly T[] | null | undefined): T[] | null {
  return list?.length ? [...list] : null;
}
