/**
 * The engine's container records in Docker's shapes (pure): `GET /containers/{id}/json` (inspect) and the
 * entries of `GET /containers/json` (list). Field names and formats are Docker's, since clients template
 * them (`-f '{{.State.Status}}'`) and compose reads labels and networks from them.
 */
import type { ContainerRecord, ContainerSummary } from '../../engine/container-types.ts';
import type { ImageRuntimeConfig } from '../../image/image-types.ts';
import type { EndpointRecord, NetworkRecord, PortBinding } from '../../network/network-types.ts';
import { dockerMergedConfig } from './docker-container-config.ts';
import { slashName, unixSeconds } from './docker-http.ts';

/** Docker's zero time, shown for a container never started or never stopped. */
const zeroTime = '0001-01-01T00:00:00Z';

/** Docker's `PortMap`: `{"80/tcp": [{"HostIp":"0.0.0.0","HostPort":"8080"}]}`, `null` for exposed but unbound ports. */
function portMap(bound: readonly PortBinding[], exposed: readonly string[]): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const map: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const key of exposed) map[key] = null;
  for (const p of bound) {
    const key = `${p.containerPort}/${p.protocol}`;
    map[key] = [...(map[key] ?? []), { HostIp: p.hostIp, HostPort: String(p.hostPort) }];
  }
  return map;
}

/** Docker's RestartPolicy names `no` as `no` and keeps the retry count even when 0. */
function restartPolicy(record: ContainerRecord) {
  const policy = record.request.restartPolicy ?? { name: 'no' };
  return { Name: policy.name, MaximumRetryCount: policy.maximumRetryCount ?? 0 };
}

function binds(record: ContainerRecord): string[] | null {
  const list = (record.request.mounts ?? []).flatMap((m) =>
    m.type === 'tmpfs' || (m.type === 'volume' && !m.name) ? [] : [`${m.type === 'bind' ? m.source : m.name}:${m.target}${m.readOnly ? ':ro' : ''}`],
  );
  return list.length > 0 ? list : null;
}

/**
 * The network the container is created on, by Docker's name for it; `container:<id>` when it shares
 * another's namespace, and `sandbox:<id>` (no Docker equivalent) when it is in a pod sandbox.
 */
export function networkModeOf(record: ContainerRecord): string {
  if (record.request.sandbox !== undefined) return `sandbox:${record.request.sandbox}`;
  return record.request.networkMode ?? 'bridge';
}

/** A container sharing another's namespace has no network of its own: Docker shows no endpoint for it. */
const hasOwnNetwork = (mode: string) => mode !== 'none' && mode !== 'host' && !/^(container|sandbox):/.test(mode);

const endpointId = (endpoint: EndpointRecord) => `${endpoint.containerId}-${endpoint.ifName}`;

interface DockerEndpoint {
  IPAMConfig: null;
  Links: null;
  Aliases: string[] | null;
  MacAddress: string;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DriverOpts: null;
  DNSNames: string[] | null;
}

/**
 * `NetworkSettings.Networks`: the endpoints while the container runs; before that (and after) the network
 * it will join, without addresses, as Docker shows a created container.
 */
function endpoints(record: ContainerRecord, networks: readonly NetworkRecord[]): Record<string, DockerEndpoint> {
  const result: Record<string, DockerEndpoint> = {};
  const empty = (networkId: string, aliases: string[] | null): DockerEndpoint => ({
    IPAMConfig: null,
    Links: null,
    Aliases: aliases,
    MacAddress: '',
    NetworkID: networkId,
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DriverOpts: null,
    DNSNames: null,
  });
  // On user networks Docker (API < 1.44) lists the short id among the aliases; compose 1.29 reconnects a
  // container whose aliases lack it.
  const withShortId = (name: string, aliases: readonly string[]): string[] | null =>
    name === 'bridge' ? (aliases.length > 0 ? [...aliases] : null) : [...new Set([...aliases, record.id.slice(0, 12)])];
  for (const endpoint of record.networks) {
    const network = networks.find((n) => n.id === endpoint.networkId);
    const name = network?.name ?? endpoint.networkId;
    result[name] = {
      ...empty(endpoint.networkId, withShortId(name, endpoint.aliases)),
      MacAddress: endpoint.mac,
      EndpointID: endpointId(endpoint),
      Gateway: endpoint.gateway,
      IPAddress: endpoint.ip,
      IPPrefixLen: endpoint.prefixLength,
      DNSNames: endpoint.aliases,
    };
  }
  const mode = networkModeOf(record);
  if (record.networks.length === 0 && hasOwnNetwork(mode)) {
    const network = networks.find((n) => n.name === mode || n.id === mode);
    const name = network?.name ?? mode;
    result[name] = empty(network?.id ?? '', withShortId(name, record.request.networkAliases ?? []));
  }
  return result;
}

function health(record: ContainerRecord) {
  const h = record.state.health;
  if (!h) return undefined;
  return {
    Status: h.status,
    FailingStreak: h.failingStreak,
    Log: h.log.map((p) => ({ Start: p.start, End: p.end, ExitCode: p.exitCode, Output: p.output })),
  };
}

function mounts(record: ContainerRecord) {
  return record.mounts.map((m) => ({
    Type: m.type,
    ...(m.name ? { Name: m.name } : {}),
    Source: m.source,
    Destination: m.target,
    Driver: m.type === 'volume' ? 'local' : '',
    Mode: m.readOnly ? 'ro' : '',
    RW: !m.readOnly,
    Propagation: m.type === 'bind' ? 'rprivate' : '',
  }));
}

/**
 * `GET /containers/{id}/json`. `networks` names the endpoints' networks; `image` is the config of the
 * container's image (undefined when it is gone), which Docker's Config shows merged with the request.
 */
export function dockerInspect(record: ContainerRecord, networks: readonly NetworkRecord[], image: ImageRuntimeConfig | undefined) {
  const { request, state } = record;
  const resources = request.resources ?? {};
  const networkSettings = endpoints(record, networks);
  const config = dockerMergedConfig(record, image);
  // Docker fills the top-level address fields from the default bridge network's endpoint only.
  const defaultNetwork = networks.find((n) => n.isDefault);
  const onDefault = record.networks.find((e) => e.networkId === defaultNetwork?.id);
  // Ports are known while the container runs: each exposed port, with its bindings or null; `{}` otherwise.
  const ports = state.running ? portMap(record.ports, Object.keys(config.ExposedPorts ?? {})) : {};
  return {
    Id: record.id,
    Created: record.created,
    Path: record.path,
    Args: record.args,
    State: {
      Status: state.status,
      Running: state.running,
      Paused: state.status === 'paused',
      Restarting: state.status === 'restarting',
      OOMKilled: state.oomKilled,
      Dead: state.status === 'dead',
      Pid: state.pid,
      ExitCode: state.exitCode,
      Error: state.error,
      StartedAt: state.startedAt || zeroTime,
      FinishedAt: state.finishedAt || zeroTime,
      ...(health(record) ? { Health: health(record) } : {}),
    },
    Image: record.imageId,
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
    LogPath: record.logPath,
    Name: slashName(record.name),
    RestartCount: state.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: binds(record),
      ContainerIDFile: '',
      LogConfig: { Type: 'json-file', Config: {} },
      NetworkMode: networkModeOf(record),
      PortBindings: portMap(
        (request.ports ?? []).map((p) => ({ ...p, hostIp: p.hostIp ?? '', hostPort: p.hostPort ?? 0 })),
        [],
      ),
      RestartPolicy: restartPolicy(record),
      AutoRemove: !!request.autoRemove,
      CapAdd: request.capAdd ?? null,
      CapDrop: request.capDrop ?? null,
      Dns: request.dns ?? [],
      ExtraHosts: request.extraHosts ?? null,
      Privileged: !!request.privileged,
      PublishAllPorts: !!request.publishAll,
      ReadonlyRootfs: !!request.readOnlyRootfs,
      SecurityOpt: securityOpts(record),
      Tmpfs: tmpfs(record),
      ConsoleSize: request.consoleSize ? [request.consoleSize.height, request.consoleSize.width] : [0, 0],
      Memory: resources.memoryBytes ?? 0,
      NanoCpus: resources.nanoCpus ?? 0,
      CpuShares: 0,
      CpuPeriod: 0,
      CpuQuota: 0,
      PidsLimit: resources.pidsLimit ?? null,
      Mounts: [],
    },
    Mounts: mounts(record),
    Config: {
      Hostname: record.hostname,
      Domainname: '',
      User: config.User,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ...(config.ExposedPorts ? { ExposedPorts: config.ExposedPorts } : {}),
      Tty: !!request.tty,
      OpenStdin: !!request.openStdin,
      StdinOnce: !!request.stdinOnce,
      Env: config.Env,
      Cmd: config.Cmd,
      ...(config.Healthcheck ? { Healthcheck: config.Healthcheck } : {}),
      Image: record.image,
      Volumes: config.Volumes,
      WorkingDir: config.WorkingDir,
      Entrypoint: config.Entrypoint,
      OnBuild: null,
      Labels: config.Labels,
      ...(config.StopSignal ? { StopSignal: config.StopSignal } : {}),
      ...(request.stopTimeout !== undefined ? { StopTimeout: request.stopTimeout } : {}),
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: state.running && state.pid ? `/proc/${state.pid}/ns/net` : '',
      HairpinMode: false,
      Ports: ports,
      EndpointID: onDefault ? endpointId(onDefault) : '',
      Gateway: onDefault?.gateway ?? '',
      IPAddress: onDefault?.ip ?? '',
      IPPrefixLen: onDefault?.prefixLength ?? 0,
      MacAddress: onDefault?.mac ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPv6Gateway: '',
      Networks: networkSettings,
    },
  };
}

function securityOpts(record: ContainerRecord): string[] | null {
  const opts = record.request.securityOpt;
  const list = [
    ...(opts?.noNewPrivileges ? ['no-new-privileges'] : []),
    ...(opts?.seccomp === 'unconfined' ? ['seccomp=unconfined'] : []),
  ];
  return list.length > 0 ? list : null;
}

function tmpfs(record: ContainerRecord): Record<string, string> | undefined {
  const entries = (record.request.mounts ?? []).flatMap((m) => {
    if (m.type !== 'tmpfs') return [];
    const options = [...(m.sizeBytes ? [`size=${m.sizeBytes}`] : []), ...(m.mode !== undefined ? [`mode=${m.mode.toString(8)}`] : [])];
    return [[m.target, options.join(',')] as const];
  });
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** Docker's list `Ports`: one entry per bound port, and exposed ones without a host side. */
function listPorts(bound: readonly PortBinding[]) {
  return bound.map((p) => ({ IP: p.hostIp, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol }));
}

/** One entry of `GET /containers/json`, from the summary and, for what the summary lacks, the record. */
/** The fields of a container summary as `GET /containers/json` and `GET /system/df` both list them. */
export function dockerSummaryFields(summary: ContainerSummary) {
  return {
    Id: summary.id,
    Names: [slashName(summary.name)],
    Image: summary.image,
    ImageID: summary.imageId,
    Command: summary.command,
    Created: unixSeconds(summary.created),
    Ports: listPorts(summary.ports),
    Labels: summary.labels,
    State: summary.status,
    Status: summary.statusText,
  };
}

export function dockerListEntry(summary: ContainerSummary, record: ContainerRecord, networks: readonly NetworkRecord[]) {
  return {
    ...dockerSummaryFields(summary),
    HostConfig: { NetworkMode: networkModeOf(record) },
    NetworkSettings: { Networks: endpoints(record, networks) },
    Mounts: mounts(record),
  };
}
