/**
 * What Kubernetes' EndpointSlice controller decides for one Service, as a pure function: which pods are
 * its endpoints (those its selector matches that have an address, with their ready / serving /
 * terminating conditions), which port each service port reaches on each pod (a named targetPort is
 * looked up in the pod's containers), and so which slices should exist — one per distinct set of
 * resolved ports, named after the Service and a hash of that set — compared with the slices that do.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { EventType } from '../event-recorder.ts';
import { newControllerRef } from '../../resources/owner-references.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import {
  type Endpoint,
  type EndpointPort,
  type EndpointSlice,
  endpointSliceControllerName,
  managedByLabel,
  type Service,
  type ServicePort,
  serviceNameLabel,
} from '../../resources/service-schemas.ts';
import { isHeadless } from '../../resources/validate-service.ts';
import { canonicalJson } from '../deployment/pod-template-hash.ts';
import { isPodFinished, isPodReady } from '../replicaset/pod-state.ts';

/** Kubernetes marks the slices of a headless Service so that proxies skip them. */
export const headlessLabel = 'service.kubernetes.io/headless';
/** The most endpoints one slice holds (the API's limit): more pods spill into further slices. */
export const maxEndpointsPerSlice = 1000;

export interface SliceEvent {
  type: EventType;
  reason: string;
  message: string;
}

export interface EndpointSliceDecision {
  create: EndpointSlice[];
  /** Existing slices with new content (their resourceVersion kept, so a stale write is refused). */
  update: EndpointSlice[];
  /** Names of slices the Service no longer needs. */
  delete: string[];
  events: SliceEvent[];
}

/** Whether a slice is this controller's (a user may manage slices of a Service without a selector). */
export function isManagedSlice(slice: EndpointSlice): boolean {
  return slice.metadata.labels?.[managedByLabel] === endpointSliceControllerName;
}

/** Kubernetes' FindPort: a number is itself; a name is the container port of that name and protocol. */
export function resolveTargetPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  for (const container of pod.spec.containers) {
    for (const declared of container.ports ?? []) {
      if (declared.name === target && (declared.protocol ?? 'TCP') === (port.protocol ?? 'TCP'))
        return declared.containerPort;
    }
  }
  return undefined;
}

/** A pod with an address that has not finished is an endpoint; ready only when serving and not leaving. */
export function endpointFor(service: Service, pod: Pod): Endpoint | undefined {
  if (!pod.status?.podIP || isPodFinished(pod)) return undefined;
  const serving = isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  // As Kubernetes: publishNotReadyAddresses makes every endpoint ready (a StatefulSet's peers find each other).
  const ready = service.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  // As Kubernetes: a pod naming the Service as its subdomain is known by its hostname under it
  // (HOST.SERVICE.NAMESPACE.svc.cluster.local), which is how a headless Service's peers address each other.
  const named = pod.spec.hostname && pod.spec.subdomain === service.metadata.name;
  return {
    addresses: [pod.status.podIP],
    ...(named ? { hostname: pod.spec.hostname } : {}),
    conditions: { ready, serving, terminating },
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
    },
    ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
  };
}

function sliceName(service: Service, ports: readonly EndpointPort[], chunk: number): string {
  const hash = createHash('sha256').update(canonicalJson({ ports, chunk })).digest('hex').slice(0, 10);
  return `${service.metadata.name}-${hash}`;
}

function sliceLabels(service: Service): Record<string, string> {
  return {
    ...service.metadata.labels,
    [serviceNameLabel]: service.metadata.name ?? '',
    [managedByLabel]: endpointSliceControllerName,
    ...(isHeadless(service.spec) ? { [headlessLabel]: '' } : {}),
  };
}

/** The slices the Service should have: its endpoints grouped by the ports they resolve to. */
export function desiredSlices(
  service: Service,
  pods: readonly Pod[],
): { slices: EndpointSlice[]; events: SliceEvent[] } {
  const servicePorts = service.spec?.ports ?? [];
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
  const unresolved = new Map<string, string[]>();
  const sorted = [...pods].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const pod of sorted) {
    const endpoint = endpointFor(service, pod);
    if (!endpoint) continue;
    const ports: EndpointPort[] = [];
    for (const port of servicePorts) {
      const resolved = resolveTargetPort(pod, port);
      if (resolved === undefined) {
        const missing = unresolved.get(String(port.targetPort)) ?? [];
        unresolved.set(String(port.targetPort), [...missing, pod.metadata.name ?? '']);
        continue;
      }
      ports.push({ name: port.name ?? '', protocol: port.protocol ?? 'TCP', port: resolved });
    }
    const key = canonicalJson(ports);
    const group = groups.get(key) ?? { ports, endpoints: [] };
    group.endpoints.push(endpoint);
    groups.set(key, group);
  }
  // A Service that selects nothing still has one (empty) slice, as Kubernetes keeps a placeholder.
  if (groups.size === 0) groups.set('[]', { ports: [], endpoints: [] });

  const slices: EndpointSlice[] = [];
  for (const { ports, endpoints } of groups.values()) {
    for (let chunk = 0; chunk * maxEndpointsPerSlice < Math.max(endpoints.length, 1); chunk++) {
      slices.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: sliceName(service, ports, chunk),
          namespace: service.metadata.namespace,
          labels: sliceLabels(service),
          ownerReferences: [newControllerRef(service)],
        },
        addressType: 'IPv4',
        endpoints: endpoints.slice(chunk * maxEndpointsPerSlice, (chunk + 1) * maxEndpointsPerSlice),
        ports,
      });
    }
  }
  const events = [...unresolved].map(([targetPort, podNames]) => ({
    type: 'Warning' as const,
    reason: 'FailedToResolveTargetPort',
    message: `targetPort "${targetPort}" names no container port in pod(s) ${podNames.join(', ')}: they get no traffic on it`,
  }));
  return { slices, events };
}

/** What the slice carries that the controller decides (not the server-owned metadata). */
function content(slice: EndpointSlice) {
  return {
    labels: slice.metadata.labels ?? {},
    addressType: slice.addressType,
    endpoints: slice.endpoints ?? [],
    ports: slice.ports ?? [],
  };
}

/**
 * Slices to create, update and delete so that the Service's managed slices (`existing`) match its
 * selected pods. A Service without a selector has its slices managed by the user: none are kept here.
 */
export function decideEndpointSlices(
  service: Service,
  pods: readonly Pod[],
  existing: readonly EndpointSlice[],
): EndpointSliceDecision {
  const managed = existing.filter(isManagedSlice);
  const selected = service.spec?.selector === undefined ? undefined : desiredSlices(service, pods);
  const wanted = selected?.slices ?? [];
  const byName = new Map(managed.map((slice) => [slice.metadata.name, slice]));
  const decision: EndpointSliceDecision = {
    create: [],
    update: [],
    delete: [],
    events: selected?.events ?? [],
  };
  for (const slice of wanted) {
    const current = byName.get(slice.metadata.name);
    if (!current) decision.create.push(slice);
    else if (!isDeepStrictEqual(content(current), content(slice)))
      decision.update.push({
        ...current,
        ...slice,
        metadata: { ...current.metadata, labels: slice.metadata.labels },
      });
  }
  const keep = new Set(wanted.map((slice) => slice.metadata.name));
  decision.delete = managed.flatMap((slice) =>
    keep.has(slice.metadata.name) ? [] : [slice.metadata.name ?? ''],
  );
  return decision;
}
