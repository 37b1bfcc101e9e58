/** How docker prints published ports: `marina port` lines and the `ps` PORTS column. Pure. */
import type { PortBinding } from '../network/network-types.ts';

const byPort = (a: PortBinding, b: PortBinding): number =>
  a.containerPort - b.containerPort ||
  a.protocol.localeCompare(b.protocol) ||
  a.hostIp.localeCompare(b.hostIp) ||
  a.hostPort - b.hostPort;

/** `80/tcp` or `80` (tcp implied) → what `marina port CTR 80` asks for; Invalid otherwise. */
export function parsePrivatePort(
  text: string,
): { containerPort: number; protocol: 'tcp' | 'udp' } | undefined {
  const match = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(text);
  const port = Number(match?.[1]);
  if (!match || port < 1 || port > 65535) return undefined;
  return { containerPort: port, protocol: (match[2] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

/** `marina port CTR`: `80/tcp -> 0.0.0.0:8080`, one line per binding, in port order. */
export function portLines(bindings: readonly PortBinding[]): string[] {
  return [...bindings]
    .sort(byPort)
    .map((b) => `${b.containerPort}/${b.protocol} -> ${b.hostIp}:${b.hostPort}`);
}

/** `marina port CTR 80/tcp`: only the host addresses, `0.0.0.0:8080`. */
export function hostAddressesOf(
  bindings: readonly PortBinding[],
  wanted: { containerPort: number; protocol: 'tcp' | 'udp' },
): string[] {
  return [...bindings]
    .filter((b) => b.containerPort === wanted.containerPort && b.protocol === wanted.protocol)
    .sort(byPort)
    .map((b) => `${b.hostIp}:${b.hostPort}`);
}

interface PortRun {
  first: PortBinding;
  length: number;
}

const range = (start: number, length: number): string =>
  length === 1 ? `${start}` : `${start}-${start + length - 1}`;

/**
 * The `ps` PORTS cell: `0.0.0.0:8080->80/tcp, 0.0.0.0:8443->443/tcp`. As docker does, bindings whose host
 * and container ports both run on consecutively (same address and protocol) collapse into one range:
 * `0.0.0.0:8000-8002->80-82/tcp`.
 */
export function psPorts(bindings: readonly PortBinding[]): string {
  const sorted = [...bindings].sort(
    (a, b) => a.hostIp.localeCompare(b.hostIp) || a.protocol.localeCompare(b.protocol) || byPort(a, b),
  );
  const runs: PortRun[] = [];
  for (const binding of sorted) {
    const last = runs.at(-1);
    const continues =
      last !== undefined &&
      last.first.hostIp === binding.hostIp &&
      last.first.protocol === binding.protocol &&
      last.first.containerPort + last.length === binding.containerPort &&
      last.first.hostPort + last.length === binding.hostPort;
    if (continues) last.length++;
    else runs.push({ first: binding, length: 1 });
  }
  return runs
    .sort((a, b) => byPort(a.first, b.first))
    .map(
      ({ first: b, length }) =>
        `${b.hostIp}:${range(b.hostPort, length)}->${range(b.containerPort, length)}/${b.protocol}`,
    )
    .join(', ');
}
