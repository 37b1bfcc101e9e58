/**
 * The engine's container records in Docker's shapes (pure): `GET /containers/{id}/json` (inspect) and the
 * entries of `GET /containers/json` (list). Field names and formats are Docker's, since clients template
 * them (`-f '{{.State.Status}}'`) and compose reads labels and networks from them.
 */
import type { ContainerRecord, ContainerSummary } from '../../engine/container-types.ts';
import type { NetworkRecord, PortBinding } from '../../network/network-types.ts';
import { slashName, unixSeconds } from './docker-http.ts';

/** Docker's zero time, shown for a container never started or never stopped. */
const zeroTime = '0001-01-01T00:00:00Z';
const nsPerMs = 1e6;

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

function exposedPorts(record: ContainerRecord): string[] {
  const keys = [...(record.request.ports ?? []), ...record.ports].map((p) => `${p.containerPort}/${p.protocol}`);
  return [...new Set(keys)];
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

/** The network the container is created on, by Docker's name for it. */
export function networkModeOf(record: ContainerRecord): string {
  return record.request.networkMode ?? 'bridge';
}

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
      EndpointID: `${endpoint.containerId}-${endpoint.ifName}`,
      Gateway: endpoint.gateway,
      IPAddress: endpoint.ip,
      IPPrefixLen: endpoint.prefixLength,
      DNSNames: endpoint.aliases,
    };
  }
  const mode = networkModeOf(record);
  if (record.networks.length === 0 && mode !== 'none' && mode !== 'host') {
    const network = networks.find((n) => n.name === mode || n.id === mode);
    const name = network?.name ?? mode;
    result[name] = empty(network?.id ?? '', withShortId(name, record.request.networkAliases ?? []));
  }
  return result;
}

/** Docker's Healthcheck config in nanoseconds, from the request (the image's own check is in the image). */
function healthcheckConfig(record: ContainerRecord) {
  const check = record.request.healthcheck;
  if (!check) return undefined;
  return {
    Test: check.test,
    ...(check.intervalMs ? { Interval: check.intervalMs * nsPerMs } : {}),
    ...(check.timeoutMs ? { Timeout: check.timeoutMs * nsPerMs } : {}),
    ...(check.startPeriodMs ? { StartPeriod: check.startPeriodMs * nsPerMs } : {}),
    ...(check.retries ? { Retries: check.retries } : {}),
  };
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

/** `GET /containers/{id}/json`. `networks` names the endpoints' networks. */
export function dockerInspect(record: ContainerRecord, networks: readonly NetworkRecord[]) {
  const { request, state } = record;
  const resources = request.resources ?? {};
  const networkSettings = endpoints(record, networks);
  const first = record.networks[0];
  const ports = portMap(record.ports, exposedPorts(record));
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
      User: record.user,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: Object.keys(ports).length > 0 ? Object.fromEntries(Object.keys(ports).map((k) => [k, {}])) : undefined,
      Tty: !!request.tty,
      OpenStdin: !!request.openStdin,
      StdinOnce: !!request.stdinOnce,
      Env: record.env,
      Cmd: commandOf(record),
      Entrypoint: request.entrypoint ?? null,
      Image: record.image,
      Volumes: null,
      WorkingDir: record.workingDir,
      OnBuild: null,
      Labels: request.labels ?? {},
      ...(request.stopSignal ? { StopSignal: request.stopSignal } : {}),
      ...(request.stopTimeout !== undefined ? { StopTimeout: request.stopTimeout } : {}),
      ...(healthcheckConfig(record) ? { Healthcheck: healthcheckConfig(record) } : {}),
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: state.running && state.pid ? `/proc/${state.pid}/ns/net` : '',
      HairpinMode: false,
      Ports: ports,
      EndpointID: first ? `${first.containerId}-${first.ifName}` : '',
      Gateway: first?.gateway ?? '',
      IPAddress: first?.ip ?? '',
      IPPrefixLen: first?.prefixLength ?? 0,
      MacAddress: first?.mac ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPv6Gateway: '',
      Networks: networkSettings,
    },
  };
}

/**
 * Docker's Config.Cmd: the command after the entrypoint. The record keeps the effective process
 * (path + args); when the request set an entrypoint, its words come first and are not part of Cmd.
 */
function commandOf(record: ContainerRecord): string[] {
  if (record.request.cmd) return record.request.cmd;
  const argv = [record.path, ...record.args];
  const entrypoint = record.request.entrypoint;
  return entrypoint ? argv.slice(entrypoint.length) : argv;
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
export function dockerListEntry(summary: ContainerSummary, record: ContainerRecord, networks: readonly NetworkRecord[]) {
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
    HostConfig: { NetworkMode: networkModeOf(record) },
    NetworkSettings: { Networks: endpoints(record, networks) },
    Mounts: mounts(record),
  };
}
