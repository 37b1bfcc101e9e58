import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { PortReservations } from './port-reservations.ts';

/** Whether a host process could take the port now (loopback only). */
function canListen(protocol: 'tcp' | 'udp', port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'tcp') {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
    } else {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => socket.close(() => resolve(true)));
    }
  });
}

test('an ephemeral reservation is the kernel-chosen port, held until released', async (t) => {
  const reservations = new PortReservations();
  t.after(() => reservations.release('c1'));
  const [tcp, udp] = await reservations.reserve('c1', [
    { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0 },
    { protocol: 'udp', hostIp: '127.0.0.1', hostPort: 0 },
  ]);
  assert.ok(tcp && tcp.hostPort > 0 && udp && udp.hostPort > 0);
  assert.equal(await canListen('tcp', tcp.hostPort), false);
  assert.equal(await canListen('udp', udp.hostPort), false);
  assert.deepEqual(reservations.reservedBy('c1'), [tcp, udp]);

  await reservations.release('c1', [udp]);
  assert.equal(await canListen('udp', udp.hostPort), true);
  assert.equal(await canListen('tcp', tcp.hostPort), false);
  await reservations.release('c1');
  assert.equal(await canListen('tcp', tcp.hostPort), true);
  assert.deepEqual(reservations.reservedBy('c1'), []);
});

test('a port in use is a Conflict naming it, and nothing of the request stays held', async (t) => {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => new Promise((resolve) => squatter.close(resolve)));
  const busyPort = (squatter.address() as { port: number }).port;

  const reservations = new PortReservations();
  const first = await reservations.reserve('probe', [{ protocol: 'udp', hostIp: '127.0.0.1', hostPort: 0 }]);
  await reservations.release('probe');
  const freePort = first[0]!.hostPort;

  await assert.rejects(
    reservations.reserve('c1', [
      { protocol: 'udp', hostIp: '127.0.0.1', hostPort: freePort },
      { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: busyPort },
    ]),
    (err) =>
      isMarinaError(err, 'Conflict') &&
      err.message ===
        `port ${busyPort}/tcp is already in use on 127.0.0.1: choose another host port or stop what uses it`,
  );
  assert.deepEqual(reservations.reservedBy('c1'), []);
  assert.equal(await canListen('udp', freePort), true);
});

test('two owners cannot hold the same port', async (t) => {
  const reservations = new PortReservations();
  t.after(async () => {
    await reservations.release('c1');
    await reservations.release('c2');
  });
  const [held] = await reservations.reserve('c1', [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0 }]);
  await assert.rejects(reservations.reserve('c2', [{ ...held! }]), (err) => isMarinaError(err, 'Conflict'));
  assert.deepEqual(reservations.reservedBy('c1'), [held]);
});

test('an address that is not the host’s is Invalid', async () => {
  const reservations = new PortReservations();
  // 192.0.2.0/24 is TEST-NET-1: never a local address, and binding sends nothing.
  await assert.rejects(
    reservations.reserve('c1', [{ protocol: 'tcp', hostIp: '192.0.2.1', hostPort: 0 }]),
    (err) => isMarinaError(err, 'Invalid') && err.message.includes('it is not an address of this host'),
  );
});
