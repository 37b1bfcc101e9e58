/**
 * Docker's `-p` syntax, pure: `[hostIP:][hostPort:]containerPort[/tcp|/udp]`, where either port may be
 * a range (`8000-8001:80-81`) and an empty host port (`127.0.0.1::80`) asks for an ephemeral one. Also
 * the `-P` expansion of an image's ExposedPorts. IPv6 host addresses are refused for now: networks
 * are IPv4 only.
 */
import { invalid } from '../errors.ts';
import { isIpv4 } from './ipam.ts';
import type { PortRequest } from './network-types.ts';

const specSyntax = '[hostIP:][hostPort:]containerPort[/tcp|/udp]';

interface PortRange {
  first: number;
  count: number;
}

/** One `-p` value → one request per container port. */
export function parsePortSpec(spec: string): PortRequest[] {
  const fail = (why: string) => invalid(`invalid port spec "${spec}": ${why}`);
  if (spec.startsWith('[') || spec.split(':').length > 3) {
    throw fail('IPv6 host addresses are not supported yet; publish on an IPv4 address such as 127.0.0.1 or leave it out');
  }
  const [ports, protocolText, ...extra] = spec.split('/');
  if (extra.length > 0) throw fail(`expected ${specSyntax}`);
  const protocol = parseProtocol(protocolText, fail);

  const parts = ports!.split(':');
  const containerText = parts.at(-1)!;
  const hostPortText = parts.length >= 2 ? parts.at(-2)! : '';
  const hostIp = parts.length === 3 ? parts[0]! : undefined;
  if (hostIp !== undefined && !isIpv4(hostIp)) throw fail(`"${hostIp}" is not an IPv4 host address`);

  const container = parseRange(containerText, 'container port', fail);
  const host = hostPortText === '' ? undefined : parseRange(hostPortText, 'host port', fail);
  if (host && host.count !== container.count) {
    throw fail(
      container.count === 1
        ? 'a host port range needs a container port range of the same size (picking one port of a range is not supported)'
        : `the host port range has ${host.count} ports but the container port range has ${container.count}`,
    );
  }
  const requests: PortRequest[] = [];
  for (let i = 0; i < container.count; i++) {
    const request: PortRequest = { protocol, containerPort: container.first + i };
    if (hostIp !== undefined) request.hostIp = hostIp;
    if (host) request.hostPort = host.first + i;
    requests.push(request);
  }
  return requests;
}

/** `-P`: every port the image exposes (ExposedPorts keys like `80/tcp`), each on an ephemeral host port. */
export function exposedToRequests(exposedPorts: Record<string, object> | undefined): PortRequest[] {
  return Object.keys(exposedPorts ?? {}).map((key) => {
    const fail = (why: string) => invalid(`the image exposes "${key}", which cannot be published: ${why}`);
    const [portText, protocolText, ...extra] = key.split('/');
    if (extra.length > 0) throw fail('expected PORT/PROTOCOL');
    return { protocol: parseProtocol(protocolText, fail), containerPort: parsePort(portText!, 'port', fail) };
  });
}

function parseProtocol(text: string | undefined, fail: (why: string) => Error): 'tcp' | 'udp' {
  const protocol = (text ?? 'tcp').toLowerCase();
  if (protocol === 'tcp' || protocol === 'udp') return protocol;
  throw fail(`unsupported protocol "${text}": use tcp or udp`);
}

function parseRange(text: string, what: string, fail: (why: string) => Error): PortRange {
  const [firstText, lastText, ...extra] = text.split('-');
  if (extra.length > 0) throw fail(`"${text}" is not a ${what} or range`);
  const first = parsePort(firstText!, what, fail);
  if (lastText === undefined) return { first, count: 1 };
  const last = parsePort(lastText, what, fail);
  if (last < first) throw fail(`the ${what} range ${text} ends before it starts`);
  return { first, count: last - first + 1 };
}

function parsePort(text: string, what: string, fail: (why: string) => Error): number {
  if (text === '') throw fail(`the ${what} is missing; expected ${specSyntax}`);
  if (!/^[0-9]+$/.test(text)) throw fail(`"${text}" is not a ${what} number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw fail(`${what} ${text} is out of range: use 1 to 65535`);
  return port;
}
