/**
 * `marina describe`: the fields people read first, laid out as kubectl lays them out, then the object's
 * Events. Kinds without a layout of their own show their remaining fields as YAML.
 */
import { stringify } from 'yaml';
import type { KubeObject } from '../cluster/apiserver/api-kind.ts';
import type { Deployment, ReplicaSet } from '../cluster/resources/apps-schemas.ts';
import type { Job } from '../cluster/resources/batch-schemas.ts';
import type { Event } from '../cluster/resources/core-schemas.ts';
import { controllerOf } from '../cluster/resources/owner-references.ts';
import type { Container, ContainerState, Pod, PodTemplateSpec } from '../cluster/resources/pod-schemas.ts';
import type { EndpointSlice, Service, ServicePort } from '../cluster/resources/service-schemas.ts';
import { ageOf, endpointList, eventLastSeen, mapSelectorText, podStatusText, selectorText } from './cluster-tables.ts';
import { columns } from './human.ts';

type Line = [indent: number, label: string, value?: string];

/** `k=v` pairs one per line, as kubectl prints labels and annotations. */
function pairs(map: Record<string, string> | undefined): string[] {
  const entries = Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length > 0 ? entries.map(([k, v]) => `${k}=${v}`) : ['<none>'];
}

function mapLines(indent: number, label: string, map: Record<string, string> | undefined): Line[] {
  const [first, ...rest] = pairs(map);
  return [[indent, label, first], ...rest.map((value): Line => [indent, '', value])];
}

/** Labels padded per indentation level, so the values of one block line up. */
function render(lines: readonly Line[]): string {
  const width = new Map<number, number>();
  for (const [indent, label, value] of lines) if (value !== undefined) width.set(indent, Math.max(width.get(indent) ?? 0, label.length + 1));
  return lines
    .map(([indent, label, value]) => {
      const pad = ' '.repeat(indent);
      if (value === undefined) return `${pad}${label}:`;
      const head = label ? `${label}:` : '';
      return `${pad}${head.padEnd((width.get(indent) ?? 0) + 2)}${value}`.trimEnd();
    })
    .join('\n');
}

function stateText(state: ContainerState | undefined): string {
  if (state?.running) return 'Running';
  if (state?.waiting) return `Waiting${state.waiting.reason ? ` (${state.waiting.reason})` : ''}`;
  if (state?.terminated) return `Terminated (${state.terminated.reason ?? 'Error'}, exit code ${state.terminated.exitCode})`;
  return 'Waiting';
}

function containerLines(indent: number, container: Container, pod?: Pod): Line[] {
  const lines: Line[] = [[indent, container.name], [indent + 2, 'Image', container.image ?? '<none>']];
  const ports = (container.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
  lines.push([indent + 2, ports.length > 1 ? 'Ports' : 'Port', ports.join(', ') || '<none>']);
  if (container.command) lines.push([indent + 2, 'Command', container.command.join(' ')]);
  if (container.args) lines.push([indent + 2, 'Args', container.args.join(' ')]);
  const status = pod?.status?.containerStatuses?.find((s) => s.name === container.name);
  if (pod) {
    lines.push([indent + 2, 'State', stateText(status?.state)]);
    lines.push([indent + 2, 'Ready', String(status?.ready ?? false)]);
    lines.push([indent + 2, 'Restart Count', String(status?.restartCount ?? 0)]);
  }
  const env = (container.env ?? []).map((e) => `${e.name}=${e.value ?? (e.valueFrom ? '(from a reference)' : '')}`);
  if (env.length === 0) lines.push([indent + 2, 'Environment', '<none>']);
  else lines.push([indent + 2, 'Environment'], ...env.map((e): Line => [indent + 4, '', e]));
  return lines;
}

function templateLines(template: PodTemplateSpec): Line[] {
  return [
    [0, 'Pod Template'],
    ...mapLines(2, 'Labels', template.metadata?.labels),
    ...(template.metadata?.annotations ? mapLines(2, 'Annotations', template.metadata.annotations) : []),
    [2, 'Containers'],
    ...template.spec.containers.flatMap((c) => containerLines(3, c)),
  ];
}

function conditionLines(conditions: readonly { type: string; status: string; reason?: string }[] | undefined): string[] {
  if (!conditions || conditions.length === 0) return [];
  const table = columns(['Type', 'Status', 'Reason'], [['----', '------', '------'], ...conditions.map((c) => [c.type, c.status, c.reason ?? ''])]);
  return ['Conditions:', ...table.split('\n').map((l) => `  ${l}`)];
}

/** What describe shows besides the object and its Events: a Service's endpoints come from its slices. */
export interface Related {
  endpointSlices?: readonly EndpointSlice[];
}

/** kubectl's Endpoints line of one service port: the ready `ip:port`s. */
export function readyEndpointsOf(port: ServicePort, slices: readonly EndpointSlice[]): string {
  const addresses = slices.flatMap((slice) => {
    const slicePort = (slice.ports ?? []).find((p) => (p.name ?? '') === (port.name ?? ''));
    if (slicePort?.port === undefined) return [];
    const ready = (slice.endpoints ?? []).filter((e) => e.conditions?.ready !== false);
    return ready.flatMap((e) => e.addresses.map((ip) => `${ip}:${slicePort.port}`));
  });
  return endpointList(addresses, '<none>');
}

function serviceLines(service: Service, related: Related): Line[] {
  const spec = service.spec ?? {};
  const lines: Line[] = [[0, 'Selector', mapSelectorText(spec.selector)], [0, 'Type', spec.type ?? 'ClusterIP']];
  lines.push([0, 'IP', spec.clusterIP ?? '<none>']);
  if (spec.externalIPs?.length) lines.push([0, 'External IPs', spec.externalIPs.join(',')]);
  for (const port of spec.ports ?? []) {
    const protocol = port.protocol ?? 'TCP';
    const target = port.targetPort ?? port.port;
    lines.push([0, 'Port', `${port.name || '<unset>'}  ${port.port}/${protocol}`]);
    lines.push([0, 'TargetPort', typeof target === 'number' ? `${target}/${protocol}` : `${target}`]);
    if (port.nodePort !== undefined) lines.push([0, 'NodePort', `${port.name || '<unset>'}  ${port.nodePort}/${protocol}`]);
    lines.push([0, 'Endpoints', readyEndpointsOf(port, related.endpointSlices ?? [])]);
  }
  lines.push([0, 'Session Affinity', spec.sessionAffinity ?? 'None']);
  return lines;
}

/** The lines each kind adds after the common metadata. */
function kindLines(object: KubeObject, related: Related): { lines: Line[]; conditions?: { type: string; status: string; reason?: string }[]; rest?: boolean } {
  switch (object.kind) {
    case 'Deployment': {
      const d = object as unknown as Deployment;
      const s = d.status ?? {};
      const strategy = d.spec.strategy;
      const lines: Line[] = [
        [0, 'Selector', selectorText(d.spec.selector)],
        [0, 'Replicas', `${d.spec.replicas ?? 1} desired | ${s.updatedReplicas ?? 0} updated | ${s.replicas ?? 0} total | ${s.availableReplicas ?? 0} available | ${s.unavailableReplicas ?? 0} unavailable`],
        [0, 'StrategyType', strategy?.type ?? 'RollingUpdate'],
        [0, 'MinReadySeconds', String(d.spec.minReadySeconds ?? 0)],
      ];
      if (strategy?.rollingUpdate) {
        lines.push([0, 'RollingUpdateStrategy', `${strategy.rollingUpdate.maxUnavailable ?? '25%'} max unavailable, ${strategy.rollingUpdate.maxSurge ?? '25%'} max surge`]);
      }
      if (d.spec.paused) lines.push([0, 'Paused', 'true']);
      return { lines: [...lines, ...templateLines(d.spec.template)], conditions: s.conditions };
    }
    case 'ReplicaSet': {
      const rs = object as unknown as ReplicaSet;
      return {
        lines: [
          [0, 'Selector', selectorText(rs.spec.selector)],
          [0, 'Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec.replicas ?? 1} desired`],
          ...templateLines(rs.spec.template),
        ],
        conditions: rs.status?.conditions,
      };
    }
    case 'Job': {
      const job = object as unknown as Job;
      const s = job.status ?? {};
      return {
        lines: [
          [0, 'Selector', selectorText(job.spec.selector)],
          [0, 'Parallelism', String(job.spec.parallelism ?? 1)],
          [0, 'Completions', job.spec.completions === undefined ? '<unset>' : String(job.spec.completions)],
          [0, 'Start Time', s.startTime ?? '<none>'],
          [0, 'Pods Statuses', `${s.active ?? 0} Active / ${s.succeeded ?? 0} Succeeded / ${s.failed ?? 0} Failed`],
          ...templateLines(job.spec.template),
        ],
        conditions: s.conditions,
      };
    }
    case 'Pod': {
      const pod = object as unknown as Pod;
      return {
        lines: [
          [0, 'Node', pod.spec.nodeName ?? '<none>'],
          [0, 'Start Time', pod.status?.startTime ?? '<none>'],
          [0, 'Status', podStatusText(pod)],
          [0, 'IP', pod.status?.podIP ?? '<none>'],
          [0, 'Containers'],
          ...pod.spec.containers.flatMap((c) => containerLines(2, c, pod)),
        ],
        conditions: pod.status?.conditions,
      };
    }
    case 'Service':
      return { lines: serviceLines(object as unknown as Service, related) };
    case 'Secret': {
      // Like kubectl: the sizes of the values, never the values.
      const data = (object.data ?? {}) as Record<string, string>;
      return {
        lines: [
          [0, 'Type', String(object.type ?? 'Opaque')],
          [0, 'Data'],
          ...Object.entries(data).map(([key, value]): Line => [2, key, `${Buffer.from(value, 'base64').length} bytes`]),
        ],
      };
    }
    default:
      return { lines: [], rest: true };
  }
}

function eventLines(events: readonly Event[], now: number): string[] {
  if (events.length === 0) return ['Events:  <none>'];
  const sorted = [...events].sort((a, b) => (eventLastSeen(a) ?? '').localeCompare(eventLastSeen(b) ?? ''));
  const rows = sorted.map((e) => [e.type ?? '', e.reason ?? '', ageOf(eventLastSeen(e), now), e.source?.component ?? e.reportingComponent ?? '', e.message ?? '']);
  const table = columns(['Type', 'Reason', 'Age', 'From', 'Message'], [['----', '------', '----', '----', '-------'], ...rows]);
  return ['Events:', ...table.split('\n').map((l) => `  ${l}`)];
}

/** The whole description of one object, given the Events about it. */
export function describeObject(object: KubeObject, events: readonly Event[], now: number, related: Related = {}): string {
  const meta = object.metadata;
  const owner = controllerOf(object);
  const { lines, conditions, rest } = kindLines(object, related);
  const header: Line[] = [
    [0, 'Name', meta.name ?? ''],
    ...(meta.namespace ? [[0, 'Namespace', meta.namespace] as Line] : []),
    [0, 'CreationTimestamp', meta.creationTimestamp ?? '<unknown>'],
    ...mapLines(0, 'Labels', meta.labels),
    ...mapLines(0, 'Annotations', meta.annotations),
    ...(owner ? [[0, 'Controlled By', `${owner.kind}/${owner.name}`] as Line] : []),
    ...(meta.deletionTimestamp ? [[0, 'Deleting since', meta.deletionTimestamp] as Line] : []),
  ];
  const out = [render([...header, ...lines])];
  if (rest) {
    const { apiVersion: _a, kind: _k, metadata: _m, ...fields } = object;
    if (Object.keys(fields).length > 0) out.push(stringify(fields).trimEnd());
  }
  out.push(...conditionLines(conditions), ...eventLines(events, now));
  return out.join('\n');
}
