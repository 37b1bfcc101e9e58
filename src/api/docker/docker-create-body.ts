/**
 * Docker's `POST /containers/create` body → the engine's ContainerCreateRequest (pure). Docker clients send
 * every field, most of them zero (null, "", 0, false, [], {}); zero means "not asked for". A non-zero value
 * the engine cannot honour is not refused (Docker clients could not run at all) but reported in Warnings,
 * which the docker CLI prints, so nobody believes a setting took effect when it did not.
 */
import { z } from 'zod';
import type { ContainerCreateRequest, HealthcheckRequest, MountRequest } from '../../engine/container-types.ts';
import { invalid } from '../../errors.ts';
import type { PortRequest } from '../../network/network-types.ts';
import { parseWith } from '../request-schemas.ts';

const strings = z.array(z.string()).nullish();
/** Docker's StrSlice: a list, or one string (a shell-less single word). */
const strSlice = z.union([z.array(z.string()), z.string().transform((s) => [s])]).nullish();
const flag = z.boolean().nullish();
const int = z.number().int().nullish();

const dockerMount = z.looseObject({
  Type: z.string(),
  Source: z.string().nullish(),
  Target: z.string(),
  ReadOnly: flag,
  TmpfsOptions: z.looseObject({ SizeBytes: int, Mode: int }).nullish(),
});

const hostConfig = z.looseObject({
  Binds: strings,
  Mounts: z.array(dockerMount).nullish(),
  Tmpfs: z.record(z.string(), z.string()).nullish(),
  PortBindings: z
    .record(z.string(), z.array(z.looseObject({ HostIp: z.string().nullish(), HostPort: z.string().nullish() })).nullish())
    .nullish(),
  PublishAllPorts: flag,
  NetworkMode: z.string().nullish(),
  RestartPolicy: z.looseObject({ Name: z.string().nullish(), MaximumRetryCount: int }).nullish(),
  AutoRemove: flag,
  Memory: int,
  NanoCpus: int,
  CpuQuota: int,
  CpuPeriod: int,
  PidsLimit: int,
  Privileged: flag,
  CapAdd: strings,
  CapDrop: strings,
  SecurityOpt: strings,
  ReadonlyRootfs: flag,
  ExtraHosts: strings,
  Dns: strings,
  ConsoleSize: z.array(z.number().int().nonnegative()).nullish(),
});

const createBody = z.looseObject({
  Image: z.string().min(1, 'Image is required: name the image to run'),
  Cmd: strSlice,
  Entrypoint: strSlice,
  Env: strings,
  WorkingDir: z.string().nullish(),
  User: z.string().nullish(),
  Hostname: z.string().nullish(),
  Tty: flag,
  OpenStdin: flag,
  StdinOnce: flag,
  Labels: z.record(z.string(), z.string()).nullish(),
  ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
  Volumes: z.record(z.string(), z.unknown()).nullish(),
  StopSignal: z.string().nullish(),
  StopTimeout: int,
  Healthcheck: z
    .looseObject({ Test: strings, Interval: int, Timeout: int, StartPeriod: int, Retries: int })
    .nullish(),
  HostConfig: hostConfig.nullish(),
  NetworkingConfig: z
    .looseObject({
      EndpointsConfig: z.record(z.string(), z.looseObject({ Aliases: strings }).nullish()).nullish(),
    })
    .nullish(),
});

type HostConfig = z.infer<typeof hostConfig>;

/** Fields read above, or that only steer the client (Attach*), or that Docker itself ignores on create. */
const handledTop = new Set([
  ...Object.keys(createBody.shape),
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'ArgsEscaped',
  'OnBuild',
]);
const handledHost = new Set(Object.keys(hostConfig.shape));

/** Values that mean "Docker's default" for fields Marina does not read, beyond the plain zero values. */
const defaultValues: Record<string, (v: unknown) => boolean> = {
  MemorySwappiness: (v) => v === -1,
  MemorySwap: (v) => v === -1,
  LogConfig: (v) => {
    const type = (v as { Type?: unknown }).Type;
    // Marina keeps every container's log in its own file, which serves `logs` as json-file does.
    return type === undefined || type === '' || type === 'json-file' || type === 'k8s-file';
  },
  // The modes Marina's containers have anyway.
  CgroupnsMode: (v) => v === 'private' || v === 'host',
  IpcMode: (v) => v === 'private' || v === 'shareable',
  Links: (v) => Array.isArray(v) && v.length === 0,
};

function isZero(value: unknown): boolean {
  if (value === null || value === undefined || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value).every(isZero);
  return false;
}

function ignoredFields(body: Record<string, unknown>, handled: Set<string>, prefix: string): string[] {
  return Object.entries(body)
    .filter(([key, value]) => !handled.has(key) && !isZero(value) && !defaultValues[key]?.(value))
    .map(([key]) => `${prefix}${key}`);
}

export interface DockerCreate {
  request: ContainerCreateRequest;
  warnings: string[];
}

/** `name` is the `?name=` query parameter (Docker allows a leading slash). */
export function parseDockerCreate(body: unknown, name: string | undefined): DockerCreate {
  const parsed = parseWith(createBody, body, 'container create body');
  const host: HostConfig = parsed.HostConfig ?? {};
  const warnings: string[] = [];
  const request: ContainerCreateRequest = { image: parsed.Image };
  const set = <K extends keyof ContainerCreateRequest>(key: K, value: ContainerCreateRequest[K] | undefined | null) => {
    if (value !== undefined && value !== null) request[key] = value;
  };

  if (name) set('name', name.replace(/^\//, ''));
  if (parsed.Cmd && parsed.Cmd.length > 0) set('cmd', parsed.Cmd);
  // `--entrypoint ''` arrives as [""]: clear the image's entrypoint.
  if (parsed.Entrypoint) set('entrypoint', parsed.Entrypoint.filter((word, i) => i > 0 || word !== ''));
  if (parsed.Env?.length) set('env', parsed.Env);
  set('workingDir', parsed.WorkingDir || undefined);
  set('user', parsed.User || undefined);
  set('hostname', parsed.Hostname || undefined);
  set('tty', parsed.Tty || undefined);
  set('openStdin', parsed.OpenStdin || undefined);
  set('stdinOnce', parsed.StdinOnce || undefined);
  if (parsed.Labels && Object.keys(parsed.Labels).length > 0) set('labels', parsed.Labels);
  set('stopSignal', parsed.StopSignal || undefined);
  set('stopTimeout', parsed.StopTimeout ?? undefined);
  set('healthcheck', healthcheck(parsed.Healthcheck));

  const mounts = [
    ...(host.Binds ?? []).map((bind) => parseBind(bind, warnings)),
    ...(host.Mounts ?? []).map(parseMount),
    ...Object.entries(host.Tmpfs ?? {}).map(([target, options]) => parseTmpfs(target, options)),
  ];
  // `-v /path` (no source) arrives in Volumes alone: an anonymous volume.
  for (const target of Object.keys(parsed.Volumes ?? {})) {
    if (!mounts.some((m) => m.target === target)) mounts.push({ type: 'volume', target });
  }
  if (mounts.length > 0) set('mounts', mounts);

  const ports = portBindings(host.PortBindings);
  const exposed = Object.keys(parsed.ExposedPorts ?? {}).map((key) => {
    const port = portKey(key);
    return `${port.containerPort}/${port.protocol}`;
  });
  if (exposed.length > 0) set('exposedPorts', exposed);
  if (host.PublishAllPorts) {
    set('publishAll', true);
    // `--expose` ports are published by -P like the image's; the engine skips those already bound.
    for (const key of Object.keys(parsed.ExposedPorts ?? {})) {
      const port = portKey(key);
      if (!ports.some((p) => p.containerPort === port.containerPort && p.protocol === port.protocol)) ports.push(port);
    }
  }
  if (ports.length > 0) set('ports', ports);

  const mode = host.NetworkMode;
  if (mode && mode !== 'default') set('networkMode', mode);
  const endpoints = parsed.NetworkingConfig?.EndpointsConfig ?? {};
  const network = mode && mode !== 'default' ? mode : 'bridge';
  for (const [endpointNetwork, endpoint] of Object.entries(endpoints)) {
    // The CLI names the NetworkMode network's endpoint `default` when it was not given by name.
    if (endpointNetwork === network || endpointNetwork === 'default') {
      if (endpoint?.Aliases?.length) set('networkAliases', endpoint.Aliases);
    } else {
      warnings.push(`NetworkingConfig.EndpointsConfig.${endpointNetwork} was ignored: a container is created on its NetworkMode network (${network}) only; connect it to more networks after create`);
    }
  }

  const policy = host.RestartPolicy?.Name;
  if (policy && policy !== 'no') set('restartPolicy', restartPolicy(policy, host.RestartPolicy?.MaximumRetryCount ?? undefined));
  set('autoRemove', host.AutoRemove || undefined);
  const resources = {
    ...(host.Memory ? { memoryBytes: host.Memory } : {}),
    ...(nanoCpus(host) ? { nanoCpus: nanoCpus(host) } : {}),
    // Docker's 0 and -1 both mean unlimited.
    ...(host.PidsLimit && host.PidsLimit > 0 ? { pidsLimit: host.PidsLimit } : {}),
  };
  if (Object.keys(resources).length > 0) set('resources', resources);
  set('privileged', host.Privileged || undefined);
  if (host.CapAdd?.length) set('capAdd', host.CapAdd);
  if (host.CapDrop?.length) set('capDrop', host.CapDrop);
  set('securityOpt', securityOpt(host.SecurityOpt ?? [], warnings));
  set('readOnlyRootfs', host.ReadonlyRootfs || undefined);
  if (host.ExtraHosts?.length) set('extraHosts', host.ExtraHosts.map((h) => h.replace('=', ':')));
  if (host.Dns?.length) set('dns', host.Dns);
  const [height, width] = host.ConsoleSize ?? [];
  if (height && width) set('consoleSize', { height, width });

  const ignored = [
    ...ignoredFields(parsed, handledTop, ''),
    ...ignoredFields(host, handledHost, 'HostConfig.'),
  ];
  if (ignored.length > 0) warnings.push(`Marina does not support ${ignored.join(', ')}: ignored`);
  return { request, warnings };
}

const nsToMs = (ns: number | null | undefined) => (ns ? Math.round(ns / 1e6) : undefined);

function healthcheck(check: z.infer<typeof createBody>['Healthcheck']): HealthcheckRequest | undefined {
  if (!check || isZero(check)) return undefined;
  const result: HealthcheckRequest = { test: check.Test ?? [] };
  const intervalMs = nsToMs(check.Interval);
  const timeoutMs = nsToMs(check.Timeout);
  const startPeriodMs = nsToMs(check.StartPeriod);
  if (intervalMs) result.intervalMs = intervalMs;
  if (timeoutMs) result.timeoutMs = timeoutMs;
  if (startPeriodMs) result.startPeriodMs = startPeriodMs;
  if (check.Retries) result.retries = check.Retries;
  // Docker only reports an unhealthy container; it never restarts it for that.
  result.onFailure = 'none';
  return result;
}

/** `source:target[:options]`; a source starting with `/` is a host path, anything else a volume name. */
function parseBind(bind: string, warnings: string[]): MountRequest {
  const [source = '', target, options = ''] = bind.split(':');
  if (!source || !target?.startsWith('/')) {
    throw invalid(`invalid bind "${bind}": use source:/container/path[:ro]`, { field: 'HostConfig.Binds' });
  }
  const flags = options.split(',').filter(Boolean);
  const unknown = flags.filter((f) => !['ro', 'rw', 'z', 'Z', 'nocopy', 'rprivate', 'private'].includes(f));
  if (unknown.length > 0) warnings.push(`bind option ${unknown.join(',')} of "${bind}" is not supported by Marina: ignored`);
  const readOnly = flags.includes('ro');
  return source.startsWith('/')
    ? { type: 'bind', source, target, readOnly }
    : { type: 'volume', name: source, target, readOnly };
}

function parseMount(mount: z.infer<typeof dockerMount>): MountRequest {
  const readOnly = !!mount.ReadOnly;
  switch (mount.Type) {
    case 'bind':
      if (!mount.Source) throw invalid(`bind mount of ${mount.Target} needs a Source`, { field: 'HostConfig.Mounts' });
      return { type: 'bind', source: mount.Source, target: mount.Target, readOnly };
    case 'volume':
      return mount.Source
        ? { type: 'volume', name: mount.Source, target: mount.Target, readOnly }
        : { type: 'volume', target: mount.Target, readOnly };
    case 'tmpfs': {
      const size = mount.TmpfsOptions?.SizeBytes;
      const mode = mount.TmpfsOptions?.Mode;
      return {
        type: 'tmpfs',
        target: mount.Target,
        ...(size ? { sizeBytes: size } : {}),
        ...(mode ? { mode } : {}),
      };
    }
    default:
      throw invalid(`mount type "${mount.Type}" is not supported: use bind, volume or tmpfs`, { field: 'HostConfig.Mounts' });
  }
}

const sizeUnits: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `--tmpfs /run:size=64m,mode=1777` arrives as `{"/run": "size=64m,mode=1777"}`. */
function parseTmpfs(target: string, options: string): MountRequest {
  const mount: MountRequest = { type: 'tmpfs', target };
  for (const option of options.split(',').filter(Boolean)) {
    const [key, value = ''] = option.split('=');
    const size = /^(\d+)([kmg]?)b?$/i.exec(value);
    if (key === 'size' && size) mount.sizeBytes = Number(size[1]) * sizeUnits[size[2]!.toLowerCase()]!;
    else if (key === 'mode' && /^[0-7]+$/.test(value)) mount.mode = Number.parseInt(value, 8);
    else if (!['rw', 'noexec', 'nosuid', 'nodev', 'exec', 'suid', 'dev'].includes(option)) {
      throw invalid(`invalid tmpfs option "${option}" for ${target}: use size=64m and mode=1777`, { field: 'HostConfig.Tmpfs' });
    }
  }
  return mount;
}

/** `80/tcp`, `53/udp`, or `80` (tcp). */
function portKey(key: string): PortRequest {
  const match = /^(\d+)(?:\/(tcp|udp))?$/.exec(key);
  const containerPort = match ? Number(match[1]) : Number.NaN;
  if (!match || containerPort < 1 || containerPort > 65535) {
    throw invalid(`invalid port "${key}": use a port number 1-65535 with /tcp or /udp`, { field: 'ExposedPorts' });
  }
  return { protocol: (match[2] ?? 'tcp') as 'tcp' | 'udp', containerPort };
}

function portBindings(bindings: HostConfig['PortBindings']): PortRequest[] {
  const ports: PortRequest[] = [];
  for (const [key, hosts] of Object.entries(bindings ?? {})) {
    const port = portKey(key);
    for (const host of hosts?.length ? hosts : [{}]) {
      const hostPort = host.HostPort ? Number(host.HostPort) : 0;
      if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535) {
        throw invalid(`invalid host port "${host.HostPort}" for ${key}: use one port number 1-65535`, {
          field: 'HostConfig.PortBindings',
        });
      }
      ports.push({
        ...port,
        ...(host.HostIp ? { hostIp: host.HostIp } : {}),
        ...(hostPort ? { hostPort } : {}),
      });
    }
  }
  return ports;
}

const restartPolicies = ['no', 'on-failure', 'always', 'unless-stopped'] as const;

function restartPolicy(name: string, maximumRetryCount: number | undefined): ContainerCreateRequest['restartPolicy'] {
  const known = restartPolicies.find((p) => p === name);
  if (!known) throw invalid(`invalid restart policy "${name}": use ${restartPolicies.join(', ')}`, { field: 'HostConfig.RestartPolicy' });
  return known === 'on-failure' && maximumRetryCount ? { name: known, maximumRetryCount } : { name: known };
}

/** NanoCpus, or `--cpu-quota`/`--cpu-period` as the same fraction of a CPU. */
function nanoCpus(host: HostConfig): number | undefined {
  if (host.NanoCpus) return host.NanoCpus;
  if (host.CpuQuota && host.CpuQuota > 0) return Math.round((host.CpuQuota * 1e9) / (host.CpuPeriod || 100_000));
  return undefined;
}

function securityOpt(options: string[], warnings: string[]): ContainerCreateRequest['securityOpt'] {
  const result: NonNullable<ContainerCreateRequest['securityOpt']> = {};
  for (const option of options) {
    const [key = '', value = ''] = option.split(/[=:]/, 2);
    if (key === 'no-new-privileges') result.noNewPrivileges = value === '' || value === 'true';
    else if (key === 'seccomp' && value === 'unconfined') result.seccomp = 'unconfined';
    else warnings.push(`security option "${option}" is not supported by Marina: ignored`);
  }
  return Object.keys(result).length > 0 ? result : undefined;
}
