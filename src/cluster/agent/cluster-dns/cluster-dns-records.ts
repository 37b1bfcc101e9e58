/**
 * The cluster's DNS names, decided without I/O from the node's ServiceView, after Kubernetes' DNS
 * specification (as CoreDNS's kubernetes plugin serves it):
 * - `SVC.NS.svc.cluster.local` A: the Service's clusterIP; for a headless Service (clusterIP None), the
 *   addresses of its ready endpoints (every endpoint with publishNotReadyAddresses);
 * - `HOST.SVC.NS.svc.cluster.local` A, for each endpoint of a headless Service: HOST is the endpoint's
 *   hostname, or its address with dashes (CoreDNS's name for an endpoint without one);
 * - `_PORT._PROTO.SVC.NS.svc.cluster.local` SRV, for each named port: the Service's name and port, or for
 *   a headless Service each endpoint's name and port, with their addresses as additional records.
 * A name under the cluster domain that does not exist is NXDOMAIN; one that exists without records of
 * the asked type (AAAA of an IPv4 Service, the namespace `NS.svc.cluster.local`) is NOERROR without
 * answers, so a client never concludes from an AAAA query that the A record is missing. Names outside
 * the domain are not this source's: the server forwards them.
 */
import type { Answer, Question, SrvAnswer, StringAnswer } from 'dns-packet';
import { addressesFor, type OwnedAnswer, rcode } from '../../../network/dns-answer.ts';
import { normalDnsName } from '../../../network/dns-names.ts';
import type { Endpoint, EndpointSlice, Service } from '../../resources/service-schemas.ts';
import { isHeadless } from '../../resources/validate-service.ts';
import type { ServiceView } from '../service-view.ts';

/** The cluster's DNS domain (Kubernetes' default, which manifests and images assume). */
export const clusterDomain = 'cluster.local';
/** Seconds clients may cache an answer: CoreDNS's kubernetes plugin default. */
export const clusterDnsTtl = 5;

/** What the records are read from: the ServiceView's lookups (a plain object in tests). */
export type ServiceLookups = Pick<ServiceView, 'services' | 'service' | 'slicesOf'>;

/** One SRV record with the addresses of its target. */
interface ServiceLocation {
  port: number;
  target: string;
  addresses: string[];
}

/** What a name under the domain holds; a name that holds nothing still exists (NODATA, not NXDOMAIN). */
interface NameRecords {
  addresses: string[];
  locations: ServiceLocation[];
}

const nothing: NameRecords = { addresses: [], locations: [] };

/** Whether `name` is the cluster domain or under it (any case, with or without the root dot). */
export function inClusterDomain(name: string): boolean {
  return labelsUnderDomain(normalDnsName(name)) !== undefined;
}

/** The cluster's answer to `question`, or `undefined` when its name is outside the cluster domain. */
export function clusterRecords(question: Question, view: ServiceLookups): OwnedAnswer | undefined {
  const labels = labelsUnderDomain(normalDnsName(question.name));
  if (labels === undefined) return undefined;
  const records = recordsOf(labels, view);
  if (records === undefined) return { rcode: rcode.nxDomain, answers: [] };
  if ((question.class ?? 'IN') !== 'IN') return { rcode: rcode.noError, answers: [] };
  return { rcode: rcode.noError, ...answersFor(question, records) };
}

/** The labels in front of the domain, outermost last (`web.default.svc`), or `undefined` outside it. */
function labelsUnderDomain(name: string): string[] | undefined {
  if (name === clusterDomain) return [];
  if (!name.endsWith(`.${clusterDomain}`)) return undefined;
  return name.slice(0, -clusterDomain.length - 1).split('.');
}

/** What the name of `labels` holds, or `undefined` when no such name exists. */
function recordsOf(labels: readonly string[], view: ServiceLookups): NameRecords | undefined {
  // Read from the domain inwards: `[..., SVC, NS, 'svc']`.
  const [kind, namespace, serviceName, ...rest] = [...labels].reverse();
  if (kind === undefined) return nothing;
  if (kind !== 'svc') return undefined;
  if (namespace === undefined) return nothing;
  if (serviceName === undefined) {
    return view.services().some((s) => s.metadata.namespace === namespace) ? nothing : undefined;
  }
  const service = view.service(namespace, serviceName);
  if (service === undefined) return undefined;
  const slices = view.slicesOf(namespace, serviceName);
  const [inner, innermost, ...deeper] = rest;
  if (deeper.length > 0) return undefined;
  if (inner === undefined) return { addresses: serviceAddresses(service, slices), locations: [] };
  if (!inner.startsWith('_')) {
    if (innermost !== undefined) return undefined;
    const addresses = endpointAddresses(service, slices, inner);
    return addresses.length > 0 ? { addresses, locations: [] } : undefined;
  }
  const protocol = inner.slice(1);
  if (innermost === undefined) {
    // `_PROTO.SVC…` exists as the parent of the SRV names of that protocol.
    return portsOf(service, slices).some((p) => p.protocol === protocol) ? nothing : undefined;
  }
  if (!innermost.startsWith('_')) return undefined;
  const locations = serviceLocations(service, slices, innermost.slice(1), protocol);
  return locations.length > 0 ? { addresses: [], locations } : undefined;
}

function serviceAddresses(service: Service, slices: readonly EndpointSlice[]): string[] {
  if (!isHeadless(service.spec)) {
    const clusterIP = service.spec?.clusterIP;
    return clusterIP ? [clusterIP] : [];
  }
  return unique(publishedEndpoints(service, slices).flatMap(({ endpoint }) => endpoint.addresses));
}

/** The addresses of the headless Service's endpoints named `name`. */
function endpointAddresses(service: Service, slices: readonly EndpointSlice[], name: string): string[] {
  if (!isHeadless(service.spec)) return [];
  const named = publishedEndpoints(service, slices).filter(({ endpoint }) => endpointName(endpoint) === name);
  return unique(named.flatMap(({ endpoint }) => endpoint.addresses));
}

/** The SRV records of the named port `portName` over `protocol` (both in lower case). */
function serviceLocations(
  service: Service,
  slices: readonly EndpointSlice[],
  portName: string,
  protocol: string,
): ServiceLocation[] {
  const serviceHost = `${service.metadata.name}.${service.metadata.namespace}.svc.${clusterDomain}`;
  if (!isHeadless(service.spec)) {
    const port = (service.spec?.ports ?? []).find((p) => matchesPort(p, portName, protocol));
    return port === undefined
      ? []
      : [{ port: port.port, target: serviceHost, addresses: serviceAddresses(service, []) }];
  }
  // A headless Service has no address of its own: each endpoint is a target, at the port its slice resolved.
  const locations = new Map<string, ServiceLocation>();
  for (const { slice, endpoint } of publishedEndpoints(service, slices)) {
    const port = (slice.ports ?? []).find((p) => matchesPort(p, portName, protocol))?.port;
    if (port === undefined) continue;
    const target = `${endpointName(endpoint)}.${serviceHost}`;
    locations.set(`${target}:${port}`, { port, target, addresses: endpoint.addresses });
  }
  return [...locations.values()];
}

/** The ports of the Service that have names, as DNS sees them: lower-case name and protocol. */
function portsOf(service: Service, slices: readonly EndpointSlice[]): { name: string; protocol: string }[] {
  const declared = isHeadless(service.spec)
    ? slices.flatMap((s) => s.ports ?? [])
    : (service.spec?.ports ?? []);
  return declared
    .filter((p) => p.name)
    .map((p) => ({ name: (p.name ?? '').toLowerCase(), protocol: (p.protocol ?? 'TCP').toLowerCase() }));
}

function matchesPort(
  port: { name?: string | undefined; protocol?: string | undefined },
  name: string,
  protocol: string,
): boolean {
  return (
    !!port.name && port.name.toLowerCase() === name && (port.protocol ?? 'TCP').toLowerCase() === protocol
  );
}

/**
 * The endpoints DNS publishes: ready ones (a missing condition counts as ready, as the EndpointSlice API
 * says), every one when the Service publishes not-ready addresses.
 */
function publishedEndpoints(
  service: Service,
  slices: readonly EndpointSlice[],
): { slice: EndpointSlice; endpoint: Endpoint }[] {
  const all = service.spec?.publishNotReadyAddresses === true;
  return slices.flatMap((slice) =>
    (slice.endpoints ?? [])
      .filter((endpoint) => all || endpoint.conditions?.ready !== false)
      .map((endpoint) => ({ slice, endpoint })),
  );
}

/** An endpoint's name under its Service: its hostname, else its address with dashes (`10-0-0-5`). */
function endpointName(endpoint: Endpoint): string {
  if (endpoint.hostname) return endpoint.hostname.toLowerCase();
  return (endpoint.addresses[0] ?? '').replace(/[.:]/g, '-').toLowerCase();
}

function answersFor(question: Question, records: NameRecords): Pick<OwnedAnswer, 'answers' | 'additionals'> {
  // A string: dns-packet decodes type 255 as `ANY`, which its types do not list.
  const type: string = question.type;
  const { name } = question;
  const answers: Answer[] = addressRecords(name, type, records.addresses);
  if (type !== 'SRV' && type !== 'ANY') return { answers };
  // Equal priority, the weight shared out, as CoreDNS does: clients spread over the targets.
  const weight = Math.max(1, Math.floor(100 / Math.max(1, records.locations.length)));
  const srv = records.locations.map(
    (location): SrvAnswer => ({
      type: 'SRV',
      name,
      ttl: clusterDnsTtl,
      class: 'IN',
      data: { priority: 0, weight, port: location.port, target: location.target },
    }),
  );
  const targets = new Map(records.locations.map((l) => [l.target, l.addresses]));
  const additionals = [...targets].flatMap(([target, addresses]) => addressRecords(target, 'ANY', addresses));
  return { answers: [...answers, ...srv], additionals };
}

function addressRecords(name: string, type: string, addresses: readonly string[]): StringAnswer[] {
  return addressesFor(type, addresses).map(([recordType, address]) => ({
    type: recordType,
    name,
    ttl: clusterDnsTtl,
    class: 'IN',
    data: address,
  }));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
