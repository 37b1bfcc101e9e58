/**
 * What Kubernetes' API server hands a Service at create: a clusterIP from the service range and, for
 * NodePort services, a node port per port from the node-port range — or checks that the ones the manifest
 * asks for are in range and free. Which values are taken is derived from the stored Services (the API
 * server rebuilds it from a list before its first Service write and settles it after every write), so a
 * crash never leaks an address.
 */
import { MarinaError } from '../../errors.ts';
import { broadcastOf, formatCidr, formatIpv4, parseIpv4, parseSubnet } from '../../network/ipam.ts';
import { type FieldError, FieldPath, invalidResource, invalidValue } from './field-errors.ts';
import type { Service, ServicePort } from './service-schemas.ts';
import { headless } from './validate-service.ts';
import { ValuePool } from './value-pool.ts';

/** Kubernetes' defaults (`--service-cluster-ip-range` as kubeadm sets it, `--service-node-port-range`). */
export const defaultServiceRange = '10.96.0.0/12';
export const defaultNodePortRange = { first: 30000, last: 32767 } as const;

export interface ServiceAllocatorOptions {
  /** CIDR the clusterIPs come from. */
  serviceRange?: string;
  nodePortRange?: { first: number; last: number };
}

const clusterIPsPath = new FieldPath('spec').child('clusterIPs').index(0);
const nodePortPath = (i: number) => new FieldPath('spec').child('ports').index(i).child('nodePort');

/** The same service port in two versions of a Service: same number and protocol. */
const samePort = (a: ServicePort, b: ServicePort) => a.port === b.port && a.protocol === b.protocol;

export class ServiceAllocator {
  readonly group = '';
  readonly plural = 'services';
  readonly serviceRange: string;
  private readonly ips: ValuePool;
  private readonly nodePorts: ValuePool;

  constructor(options: ServiceAllocatorOptions = {}) {
    const cidr = parseSubnet(options.serviceRange ?? defaultServiceRange, 'service range');
    this.serviceRange = formatCidr(cidr);
    // The network and broadcast addresses are never handed out.
    this.ips = new ValuePool(cidr.network + 1, broadcastOf(cidr) - 1);
    const ports = options.nodePortRange ?? defaultNodePortRange;
    this.nodePorts = new ValuePool(ports.first, ports.last);
  }

  /** Forgets everything, then marks taken what `services` (every stored Service) hold. */
  rebuild(services: readonly Service[]): void {
    this.ips.clear();
    this.nodePorts.clear();
    for (const service of services) this.settle(service.metadata.uid ?? '', service);
  }

  /**
   * The (admitted) Service with its clusterIP and node ports filled in — on update, those the new version
   * leaves out are kept from `old`, as Kubernetes does — all reserved for the Service's uid. Throws
   * Invalid (a requested value out of range or another Service's) or Conflict (a range is full),
   * reserving nothing.
   */
  allocate(object: Service, old: Service | undefined): Service {
    const service = structuredClone(object);
    service.spec ??= {};
    const spec = service.spec;
    const owner = service.metadata.uid ?? '';
    const reserved: [ValuePool, number][] = [];
    const errors: FieldError[] = [];
    const fail = (error: Error): never => {
      for (const [pool, value] of reserved) pool.free(value, owner);
      throw error;
    };
    const claim = (pool: ValuePool, value: number): boolean => {
      const fresh = pool.ownerOf(value) === undefined;
      if (!pool.take(value, owner)) return false;
      if (fresh) reserved.push([pool, value]);
      return true;
    };

    if (!spec.clusterIP && old?.spec?.clusterIP) spec.clusterIP = old.spec.clusterIP;
    if (spec.clusterIP === headless) {
      if (spec.type !== 'ClusterIP')
        errors.push(
          invalidValue(clusterIPsPath, headless, `may not be set to 'None' for ${spec.type} services`),
        );
    } else if (spec.clusterIP) {
      errors.push(...this.claimRequestedIp(spec.clusterIP, (ip) => claim(this.ips, ip)));
    } else {
      const ip = this.ips.takeNext(owner);
      if (ip === undefined)
        fail(this.exhausted(service, `no cluster IP left in the service range ${this.serviceRange}`));
      else {
        reserved.push([this.ips, ip]);
        spec.clusterIP = formatIpv4(ip);
      }
    }
    if (spec.clusterIP) spec.clusterIPs = [spec.clusterIP];

    if (spec.type === 'NodePort') {
      const oldPorts = old?.spec?.type === 'NodePort' ? (old.spec.ports ?? []) : [];
      (spec.ports ?? []).forEach((port, i) => {
        port.nodePort ??= oldPorts.find((o) => samePort(o, port))?.nodePort;
        if (port.nodePort !== undefined) {
          errors.push(...this.claimRequestedNodePort(port.nodePort, i, (p) => claim(this.nodePorts, p)));
          return;
        }
        const next = this.nodePorts.takeNext(owner);
        if (next === undefined) {
          const range = `${this.nodePorts.first}-${this.nodePorts.last}`;
          fail(this.exhausted(service, `no node port left in the range ${range}`));
        } else {
          reserved.push([this.nodePorts, next]);
          port.nodePort = next;
        }
      });
    }
    if (errors.length > 0) fail(invalidResource('Service', service.metadata.name, errors));
    return service;
  }

  /** Records that the Service `owner` holds exactly what `service` holds (nothing: undefined, deleted). */
  settle(owner: string, service: Service | undefined): void {
    const ip = service?.spec?.clusterIP ? parseIpv4(service.spec.clusterIP) : undefined;
    this.ips.settle(owner, ip === undefined ? [] : [ip]);
    const nodePorts = (service?.spec?.ports ?? []).flatMap((p) =>
      p.nodePort === undefined ? [] : [p.nodePort],
    );
    this.nodePorts.settle(owner, nodePorts);
  }

  private claimRequestedIp(text: string, claim: (ip: number) => boolean): FieldError[] {
    const ip = parseIpv4(text);
    if (ip === undefined) return [invalidValue(clusterIPsPath, text, 'must be a valid IPv4 address')];
    if (!this.ips.contains(ip)) {
      return [
        invalidValue(
          clusterIPsPath,
          text,
          `failed to allocate IP ${text}: the provided IP (${text}) is not in the valid range. The range of valid IPs is ${this.serviceRange}`,
        ),
      ];
    }
    if (!claim(ip))
      return [
        invalidValue(clusterIPsPath, text, `failed to allocate IP ${text}: provided IP is already allocated`),
      ];
    return [];
  }

  private claimRequestedNodePort(port: number, i: number, claim: (port: number) => boolean): FieldError[] {
    if (!this.nodePorts.contains(port)) {
      return [
        invalidValue(
          nodePortPath(i),
          port,
          `provided port is not in the valid range. The range of valid ports is ${this.nodePorts.first}-${this.nodePorts.last}`,
        ),
      ];
    }
    if (!claim(port)) return [invalidValue(nodePortPath(i), port, 'provided port is already allocated')];
    return [];
  }

  private exhausted(service: Service, what: string): MarinaError {
    return new MarinaError(
      'Conflict',
      `Service "${service.metadata.name ?? ''}": ${what}: delete a Service, or widen the range`,
    );
  }
}
