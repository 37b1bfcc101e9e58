/**
 * Holds a socket on every published host port while its container runs, so no host process can take
 * the port from under the DNAT rule, and so "port in use" is found by the kernel (the only authority
 * on it) before any record or rule exists. The sockets never see traffic in normal operation: DNAT
 * rewrites packets before they reach a local socket. An ephemeral port is the kernel's choice (bind
 * to 0), which keeps it within ip_local_port_range.
 */
import { type Socket as UdpSocket, createSocket } from 'node:dgram';
import { type Server, createServer } from 'node:net';
import { MarinaError, invalid } from '../errors.ts';

export interface HostPort {
  protocol: 'tcp' | 'udp';
  hostIp: string;
  /** 0 asks for an ephemeral port. */
  hostPort: number;
}

interface Held {
  owner: string;
  port: HostPort;
  close: () => Promise<void>;
}

const keyOf = (port: HostPort) => `${port.protocol}/${port.hostIp}/${port.hostPort}`;

export class PortReservations {
  private readonly held = new Map<string, Held>();

  /**
   * Binds every port for `owner`, all or nothing; returns them with the ports actually bound.
   * `Conflict` when one is in use, `Invalid` when the address is not the host's.
   */
  async reserve(owner: string, ports: readonly HostPort[]): Promise<HostPort[]> {
    const taken: Held[] = [];
    try {
      for (const port of ports) {
        const held = await bindPort(owner, port);
        taken.push(held);
        this.held.set(keyOf(held.port), held);
      }
    } catch (err) {
      await this.closeAll(taken);
      throw err;
    }
    return taken.map((h) => h.port);
  }

  /** Closes the owner's sockets: all of them, or only `ports` (as `reserve` returned them). */
  async release(owner: string, ports?: readonly HostPort[]): Promise<void> {
    const keys = ports ? new Set(ports.map(keyOf)) : undefined;
    const mine = [...this.held.values()].filter((h) => h.owner === owner && (!keys || keys.has(keyOf(h.port))));
    await this.closeAll(mine);
  }

  reservedBy(owner: string): HostPort[] {
    return [...this.held.values()].filter((h) => h.owner === owner).map((h) => h.port);
  }

  private async closeAll(held: readonly Held[]): Promise<void> {
    for (const h of held) this.held.delete(keyOf(h.port));
    await Promise.all(held.map((h) => h.close()));
  }
}

async function bindPort(owner: string, port: HostPort): Promise<Held> {
  try {
    return port.protocol === 'tcp' ? await bindTcp(owner, port) : await bindUdp(owner, port);
  } catch (err) {
    throw bindError(port, err);
  }
}

function bindTcp(owner: string, port: HostPort): Promise<Held> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen({ host: port.hostIp, port: port.hostPort, exclusive: true }, () => {
      server.off('error', reject);
      const address = server.address();
      const hostPort = typeof address === 'object' && address ? address.port : port.hostPort;
      resolve({
        owner,
        port: { ...port, hostPort },
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

function bindUdp(owner: string, port: HostPort): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket: UdpSocket = createSocket({ type: 'udp4' });
    socket.once('error', reject);
    // Datagrams that slip past DNAT would otherwise pile up in the receive buffer.
    socket.on('message', () => {});
    socket.bind({ address: port.hostIp, port: port.hostPort, exclusive: true }, () => {
      socket.off('error', reject);
      resolve({
        owner,
        port: { ...port, hostPort: socket.address().port },
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}

function bindError(port: HostPort, err: unknown): MarinaError {
  const code = (err as NodeJS.ErrnoException).code;
  const what = `port ${port.hostPort}/${port.protocol}`;
  if (code === 'EADDRINUSE') {
    return new MarinaError('Conflict', `${what} is already in use on ${port.hostIp}: choose another host port or stop what uses it`);
  }
  if (code === 'EADDRNOTAVAIL') return invalid(`cannot publish ${what} on ${port.hostIp}: it is not an address of this host`);
  return new MarinaError('Internal', `cannot reserve ${what} on ${port.hostIp}: ${(err as Error).message}`, { cause: err });
}
