/**
 * `marina get` tables, column for column as kubectl prints them per kind (a generic NAME AGE for the
 * rest), and kubectl's short ages (`45s`, `3m20s`, `5h`, `12d`).
 */
import type { KubeObject } from '../cluster/apiserver/api-kind.ts';
import type { Deployment, ReplicaSet } from '../cluster/resources/apps-schemas.ts';
import type { CronJob, Job } from '../cluster/resources/batch-schemas.ts';
import type { Lease } from '../cluster/resources/coordination-schemas.ts';
import type { ConfigMap, Event, Namespace, Node, Secret } from '../cluster/resources/core-schemas.ts';
import type { LabelSelector } from '../cluster/resources/meta-schemas.ts';
import type { Pod, PodTemplateSpec } from '../cluster/resources/pod-schemas.ts';
import type { EndpointSlice, Service } from '../cluster/resources/service-schemas.ts';
import { columns } from './human.ts';

export interface TableOptions {
  wide?: boolean;
  /** Adds the NAMESPACE column first (`-A`). */
  allNamespaces?: boolean;
  /** Names print as `deployment.apps/web` (several kinds in one `get`). */
  qualifiedNames?: string;
  now: number;
}

export interface Table {
  header: string[];
  rows: string[][];
}

/** kubectl's HumanDuration: two units while they say something, one after. */
export function shortAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  const h = Math.floor(s / 3600);
  const d = Math.floor(s / 86400);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (h < 3) return `${m}m`;
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (d < 2) return `${h}h`;
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

export function ageOf(timestamp: string | undefined, now: number): string {
  if (!timestamp) return '<unknown>';
  return shortAge((now - Date.parse(timestamp)) / 1000);
}

const orNone = (value: string | undefined) => (value === undefined || value === '' ? '<none>' : value);

/** kubectl's STATUS of a pod: the reason a container waits or ended for, else the phase; Terminating when deleting. */
export function podStatusText(pod: Pod): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  let reason = pod.status?.reason ?? pod.status?.phase ?? 'Pending';
  for (const c of pod.status?.containerStatuses ?? []) {
    const state = c.state;
    if (state?.waiting?.reason) reason = state.waiting.reason;
    else if (state?.terminated) reason = state.terminated.reason ?? (state.terminated.signal ? `Signal:${state.terminated.signal}` : `ExitCode:${state.terminated.exitCode}`);
  }
  return reason;
}

function podReady(pod: Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  return `${statuses.filter((c) => c.ready).length}/${pod.spec.containers.length}`;
}

function restarts(pod: Pod): string {
  return String((pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + c.restartCount, 0));
}

/** A map selector (a Service's) as kubectl prints it: `app=web,tier=db`, `<none>` when empty. */
export function mapSelectorText(selector: Record<string, string> | undefined): string {
  return Object.entries(selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';
}

export function selectorText(selector: LabelSelector | undefined): string {
  if (!selector) return '<none>';
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator.toLowerCase() === 'in' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`);
  }
  return parts.length > 0 ? parts.join(',') : '<none>';
}

function templateWide(template: PodTemplateSpec, selector: LabelSelector | undefined): string[] {
  const containers = template.spec.containers;
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(','), selectorText(selector)];
}

/** Job DURATION: start to completion, or to now while it runs. */
function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return shortAge((end - Date.parse(start)) / 1000);
}

function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const status = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  return node.spec?.unschedulable ? `${status},SchedulingDisabled` : status;
}

function nodeRoles(node: Node): string {
  const prefix = 'node-role.kubernetes.io/';
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith(prefix))
    .map((k) => k.slice(prefix.length));
  return roles.length > 0 ? roles.sort().join(',') : '<none>';
}

interface KindColumns {
  header: string[];
  wide?: string[];
  row(object: KubeObject, now: number, wide: boolean): string[];
}

/** Columns after NAME, per kind. */
const byKind: Record<string, KindColumns> = {
  Pod: {
    header: ['READY', 'STATUS', 'RESTARTS', 'AGE'],
    wide: ['IP', 'NODE'],
    row(o, now, wide) {
      const pod = o as unknown as Pod;
      const base = [podReady(pod), podStatusText(pod), restarts(pod), ageOf(pod.metadata.creationTimestamp, now)];
      return wide ? [...base, orNone(pod.status?.podIP), orNone(pod.spec.nodeName)] : base;
    },
  },
  Deployment: {
    header: ['READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row(o, now, wide) {
      const d = o as unknown as Deployment;
      const s = d.status ?? {};
      const base = [`${s.readyReplicas ?? 0}/${d.spec.replicas ?? 1}`, String(s.updatedReplicas ?? 0), String(s.availableReplicas ?? 0), ageOf(d.metadata.creationTimestamp, now)];
      return wide ? [...base, ...templateWide(d.spec.template, d.spec.selector)] : base;
    },
  },
  ReplicaSet: {
    header: ['DESIRED', 'CURRENT', 'READY', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row(o, now, wide) {
      const rs = o as unknown as ReplicaSet;
      const base = [String(rs.spec.replicas ?? 1), String(rs.status?.replicas ?? 0), String(rs.status?.readyReplicas ?? 0), ageOf(rs.metadata.creationTimestamp, now)];
      return wide ? [...base, ...templateWide(rs.spec.template, rs.spec.selector)] : base;
    },
  },
  Job: {
    header: ['COMPLETIONS', 'DURATION', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row(o, now, wide) {
      const job = o as unknown as Job;
      const completions = job.spec.completions === undefined ? `${job.status?.succeeded ?? 0}/1 of ${job.spec.parallelism ?? 1}` : `${job.status?.succeeded ?? 0}/${job.spec.completions}`;
      const base = [completions, jobDuration(job, now), ageOf(job.metadata.creationTimestamp, now)];
      return wide ? [...base, ...templateWide(job.spec.template, job.spec.selector)] : base;
    },
  },
  CronJob: {
    header: ['SCHEDULE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
    row(o, now) {
      const cj = o as unknown as CronJob;
      const last = cj.status?.lastScheduleTime;
      return [cj.spec.schedule, String(cj.spec.suspend ?? false), String(cj.status?.active?.length ?? 0), last ? ageOf(last, now) : '<none>', ageOf(cj.metadata.creationTimestamp, now)];
    },
  },
  Node: {
    header: ['STATUS', 'ROLES', 'AGE', 'VERSION'],
    wide: ['INTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
    row(o, now, wide) {
      const node = o as unknown as Node;
      const info = node.status?.nodeInfo;
      const base = [nodeStatus(node), nodeRoles(node), ageOf(node.metadata.creationTimestamp, now), orNone(info?.kubeletVersion)];
      const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      return wide ? [...base, orNone(ip), orNone(info?.osImage), orNone(info?.kernelVersion), orNone(info?.containerRuntimeVersion)] : base;
    },
  },
  ConfigMap: {
    header: ['DATA', 'AGE'],
    row(o, now) {
      const cm = o as unknown as ConfigMap;
      return [String(Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length), ageOf(cm.metadata.creationTimestamp, now)];
    },
  },
  Secret: {
    header: ['TYPE', 'DATA', 'AGE'],
    row(o, now) {
      const secret = o as unknown as Secret;
      return [secret.type ?? 'Opaque', String(Object.keys(secret.data ?? {}).length), ageOf(secret.metadata.creationTimestamp, now)];
    },
  },
  Namespace: {
    header: ['STATUS', 'AGE'],
    row(o, now) {
      const ns = o as unknown as Namespace;
      return [ns.status?.phase ?? 'Active', ageOf(ns.metadata.creationTimestamp, now)];
    },
  },
  Service: {
    header: ['TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    wide: ['SELECTOR'],
    row(o, now, wide) {
      const svc = o as unknown as Service;
      const spec = svc.spec ?? {};
      const external = spec.externalIPs?.length ? spec.externalIPs.join(',') : '<none>';
      const base = [spec.type ?? 'ClusterIP', orNone(spec.clusterIP), external, servicePorts(svc), ageOf(svc.metadata.creationTimestamp, now)];
      return wide ? [...base, mapSelectorText(spec.selector)] : base;
    },
  },
  EndpointSlice: {
    header: ['ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
    row(o, now) {
      const slice = o as unknown as EndpointSlice;
      const ports = (slice.ports ?? []).map((p) => String(p.port ?? '')).join(',') || '<unset>';
      return [slice.addressType ?? 'IPv4', ports, sliceEndpoints(slice), ageOf(slice.metadata.creationTimestamp, now)];
    },
  },
  Lease: {
    header: ['HOLDER', 'AGE'],
    row(o, now) {
      const lease = o as unknown as Lease;
      return [lease.spec?.holderIdentity ?? '', ageOf(lease.metadata.creationTimestamp, now)];
    },
  },
};

/** kubectl's PORT(S): `80/TCP`, `80:30080/TCP` for a node port, comma-joined. */
export function servicePorts(service: Service): string {
  const ports = (service.spec?.ports ?? []).map(
    (p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`,
  );
  return ports.length > 0 ? ports.join(',') : '<none>';
}

/** kubectl's list of endpoints: up to three, then `+ N more...`; `none` when there are none. */
export function endpointList(addresses: readonly string[], none: string): string {
  if (addresses.length === 0) return none;
  const shown = addresses.slice(0, 3).join(',');
  return addresses.length > 3 ? `${shown} + ${addresses.length - 3} more...` : shown;
}

/** kubectl's ENDPOINTS column of a slice. */
export function sliceEndpoints(slice: EndpointSlice): string {
  return endpointList((slice.endpoints ?? []).flatMap((e) => e.addresses ?? []), '<unset>');
}

const generic: KindColumns = { header: ['AGE'], row: (o, now) => [ageOf(o.metadata.creationTimestamp, now)] };

/** When an event last happened, as `get events` and `describe` show it. */
export function eventLastSeen(event: Event): string | undefined {
  return event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
}

/** Events have their own layout: no NAME, the object they are about instead. */
function eventsTable(events: readonly KubeObject[], options: TableOptions): Table {
  const header = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
  const rows = events.map((o) => {
    const e = o as unknown as Event;
    const involved = `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`;
    const row = [ageOf(eventLastSeen(e), options.now), e.type ?? '', e.reason ?? '', involved, e.message ?? ''];
    return options.allNamespaces ? [e.metadata.namespace ?? '', ...row] : row;
  });
  return { header: options.allNamespaces ? ['NAMESPACE', ...header] : header, rows };
}

/** The table `get` prints for objects of one kind. */
export function tableOf(kind: string, objects: readonly KubeObject[], options: TableOptions): Table {
  if (kind === 'Event') return eventsTable(objects, options);
  const layout = byKind[kind] ?? generic;
  const wide = Boolean(options.wide && layout.wide);
  const header = ['NAME', ...layout.header, ...(wide ? (layout.wide ?? []) : [])];
  const rows = objects.map((o) => {
    const name = options.qualifiedNames ? `${options.qualifiedNames}/${o.metadata.name}` : (o.metadata.name ?? '');
    const row = [name, ...layout.row(o, options.now, wide)];
    return options.allNamespaces ? [o.metadata.namespace ?? '', ...row] : row;
  });
  return { header: options.allNamespaces ? ['NAMESPACE', ...header] : header, rows };
}

export function renderTable(table: Table): string {
  return columns(table.header, table.rows);
}

/**
 * One watch row, printed alone as it arrives but aligned with the table printed first (kubectl's rows line
 * up the same way: a wider cell pushes only its own row).
 */
export function watchRow(first: Table, row: string[]): string {
  return columns(first.header, [...first.rows, row]).split('\n').at(-1) ?? '';
}
