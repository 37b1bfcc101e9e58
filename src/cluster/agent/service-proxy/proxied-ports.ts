/**
 * What the data path serves, read from Services and their EndpointSlices (pure): one entry per service
 * port, with the endpoints in rotation and the port each one listens on. A named targetPort may resolve
 * to different numbers on different pods; the EndpointSlice controller groups pods by what it resolved
 * to, so each slice's own port list says where its endpoints listen.
 */
import { isIPv4 } from 'node:net';
import type { Endpoint, EndpointSlice, Service, ServicePort } from '../../resources/service-schemas.ts';
import { defaultClientIpTimeoutSeconds } from '../../resources/service-defaults.ts';
import { isHeadless } from '../../resources/validate-service.ts';
import type { ServiceView } from '../service-view.ts';

export type Protocol = 'tcp' | 'udp';

export interface Backend {
  ip: string;
  port: number;
}

export interface ProxiedPort {
  /** kube-proxy's ServicePortName, `namespace/name:port` (`namespace/name` for an unnamed port). */
  name: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  /** Only for NodePort and LoadBalancer Services. */
  nodePort?: number;
  externalIPs: string[];
  /** ClientIP session affinity: how long a client sticks to its endpoint. */
  affinitySeconds?: number;
  /** In rotation, sorted and without duplicates (a pod may briefly sit in two slices). */
  backends: Backend[];
}

const protocols: Record<string, Protocol> = { TCP: 'tcp', UDP: 'udp' };
const isPort = (n: number | undefined): n is number =>
  Number.isInteger(n) && (n ?? 0) >= 1 && (n ?? 0) <= 65535;

/**
 * The service ports to program, sorted by name. Headless Services have no virtual address and so no
 * rules; ports of a protocol the proxy does not handle (SCTP) and values that are not IPv4 addresses or
 * ports are skipped, since every value ends up in an iptables line.
 */
export function proxiedPorts(view: Pick<ServiceView, 'services' | 'slicesOf'>): ProxiedPort[] {
  const out: ProxiedPort[] = [];
  for (const service of view.services()) {
    const spec = service.spec;
    const clusterIP = spec?.clusterIP ?? '';
    if (isHeadless(spec) || !isIPv4(clusterIP)) continue;
    const namespace = service.metadata.namespace ?? 'default';
    const serviceName = service.metadata.name ?? '';
    const slices = view.slicesOf(namespace, serviceName).filter((s) => s.addressType === 'IPv4');
    for (const port of spec?.ports ?? []) {
      const protocol = protocols[port.protocol ?? 'TCP'];
      if (protocol === undefined || !isPort(port.port)) continue;
      const nodePort = hasNodePorts(service) && isPort(port.nodePort) ? port.nodePort : undefined;
      const affinity = spec?.sessionAffinity === 'ClientIP';
      out.push({
        name: `${namespace}/${serviceName}${port.name ? `:${port.name}` : ''}`,
        protocol,
        clusterIP,
        port: port.port,
        ...(nodePort === undefined ? {} : { nodePort }),
        externalIPs: [...new Set((spec?.externalIPs ?? []).filter((ip) => isIPv4(ip)))].sort(),
        ...(affinity
          ? {
              affinitySeconds:
                spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? defaultClientIpTimeoutSeconds,
            }
          : {}),
        backends: backendsOf(slices, port, spec?.publishNotReadyAddresses === true),
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.protocol.localeCompare(b.protocol));
}

function hasNodePorts(service: Service): boolean {
  return service.spec?.type === 'NodePort' || service.spec?.type === 'LoadBalancer';
}

/**
 * Kubernetes' reading of the conditions: an unset `ready` means ready. With publishNotReadyAddresses
 * every serving address is published, ready or not.
 */
export function inRotation(endpoint: Endpoint, publishNotReady: boolean): boolean {
  const conditions = endpoint.conditions ?? {};
  if (conditions.ready !== false) return true;
  return publishNotReady && (conditions.serving ?? conditions.ready) !== false;
}

function backendsOf(
  slices: readonly EndpointSlice[],
  port: ServicePort,
  publishNotReady: boolean,
): Backend[] {
  const byKey = new Map<string, Backend>();
  for (const slice of slices) {
    const target = slice.ports?.find(
      (p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'),
    )?.port;
    if (!isPort(target)) continue;
    for (const endpoint of slice.endpoints ?? []) {
      // Kubernetes: an IPv4 slice's endpoint has one address that counts, the first.
      const ip = endpoint.addresses[0];
      if (ip === undefined || !isIPv4(ip) || !inRotation(endpoint, publishNotReady)) continue;
      byKey.set(`${ip}:${target}`, { ip, port: target });
    }
  }
  return [...byKey.values()].sort((a, b) => compareIPv4(a.ip, b.ip) || a.port - b.port);
}

function compareIPv4(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
