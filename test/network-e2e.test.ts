/**
 * Container networking end to end, through the CLI against a real marinad with its own bridge, subnets
 * and pool: DNS by name and alias on a user network, isolation between networks, published TCP and UDP
 * ports reached from the host on 127.0.0.1, `--network none`, bad input that changes nothing, and daemon
 * restarts (stop, kill -9) that keep connectivity and leave nothing stale. Traffic goes to loopback and to
 * this test's own containers only; no DNS query leaves the machine (only container names are looked up).
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { projectRoot, type TestDaemon, eventually, uniqueName, useDaemon } from './harness.ts';
import { ownKernelObjects, removeOwnKernelObjects, uniqueNetworkFlags } from './network-kernel.ts';

const network = uniqueNetworkFlags();
const daemon = useDaemon({ args: network.args });
after(() => {
  try {
    removeOwnKernelObjects(daemon.root, network.bridge);
  } catch {
    // The daemon never started: it created nothing.
  }
});

/** A busybox httpd on port 8080 serving `hello-<name>`. */
function httpd(name: string, extra: string[] = []): Promise<string> {
  return daemon.ok([
    'run',
    '-d',
    '--name',
    name,
    ...extra,
    'busybox',
    'sh',
    '-c',
    `mkdir -p /www && echo hello-${name} > /www/index.html && exec httpd -f -p 8080 -h /www`,
  ]);
}

/**
 * `wget` from a fresh container on `net`; its result, success or not. Bounded by busybox `timeout`
 * (Debian's busybox-static 1.35 segfaults in `wget -T`), kept off pid 1 by a shell that cannot exec it
 * in its place (`; exit $?`): as pid 1, `timeout` would signal itself, and the kernel ignores signals to
 * an init without handlers.
 */
function wgetFrom(net: string, url: string) {
  return daemon.marina(['run', '--rm', '--network', net, 'busybox', 'sh', '-c', `timeout 3 wget -qO- ${url}; exit $?`]);
}

async function reachable(net: string, url: string): Promise<string> {
  return eventually(
    async () => {
      const r = await wgetFrom(net, url);
      return r.code === 0 ? r.stdout : undefined;
    },
    20_000,
    `${url} from network ${net}`,
  );
}

async function hostGet(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) });
  return res.text();
}

/** One datagram to 127.0.0.1:port, and the reply. */
function udpExchange(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP reply from 127.0.0.1:${port} within 2 s`));
    }, 2000);
    socket.on('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply.toString());
    });
    socket.send(message, port, '127.0.0.1');
  });
}

/** `marina port CTR PORT/PROTO` → the host port (one binding expected). */
async function hostPortOf(d: TestDaemon, container: string, privatePort: string): Promise<number> {
  const out = (await d.ok(['port', container, privatePort])).trim();
  const match = /^0\.0\.0\.0:(\d+)$/.exec(out);
  assert.ok(match, `marina port ${container} ${privatePort} printed "${out}"`);
  return Number(match[1]);
}

async function ipOn(net: string, container: string): Promise<string> {
  const [inspected] = JSON.parse(await daemon.ok(['network', 'inspect', net])) as {
    containers: Record<string, { name: string; ip: string }>;
  }[];
  const endpoint = Object.values(inspected!.containers).find((c) => c.name === container);
  assert.ok(endpoint, `${container} is on ${net}: ${JSON.stringify(inspected)}`);
  return endpoint.ip;
}

/** A UDP echo server in a container: the project's node binary and the host's libraries, mounted read-only. */
const udpEchoArgs = [
  '-v',
  `${projectRoot}/node_modules/node/bin/node:/usr/local/bin/node:ro`,
  '-v',
  '/usr/lib:/lib:ro',
  '-v',
  '/usr/lib64:/lib64:ro',
  'busybox',
  '/usr/local/bin/node',
  '-e',
  "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('echo:'+m,r.port,r.address));s.bind(9999)",
];

describe('user networks', () => {
  const front = uniqueName('front');
  const back = uniqueName('back');
  const web = uniqueName('web');

  test('containers on one network reach each other by name and by alias', async () => {
    await daemon.ok(['network', 'create', front]);
    await daemon.ok(['network', 'create', back]);
    await httpd(web, ['--network', front, '--network-alias', 'api']);
    assert.equal((await reachable(front, `http://${web}:8080/`)).trim(), `hello-${web}`);
    assert.equal((await reachable(front, 'http://api:8080/')).trim(), `hello-${web}`);
  });

  test('a container on another network can reach it neither by name nor by address', async () => {
    const ip = await ipOn(front, web);
    const byName = await wgetFrom(back, `http://${web}:8080/`);
    assert.notEqual(byName.code, 0, `found ${web} from ${back}: ${byName.stdout}`);
    const byAddress = await wgetFrom(back, `http://${ip}:8080/`);
    assert.notEqual(byAddress.code, 0, `reached ${ip} from ${back}: ${byAddress.stdout}`);
  });

  test('network connect: reached there at once and after a restart; disconnect leaves it', async () => {
    const own = uniqueName('own');
    const joined = uniqueName('joined');
    const svc = uniqueName('svc');
    await daemon.ok(['network', 'create', own]);
    await daemon.ok(['network', 'create', joined]);
    await httpd(svc, ['--network', own]);
    await daemon.ok(['network', 'connect', '--alias', 'cache', joined, svc]);
    assert.equal((await reachable(joined, 'http://cache:8080/')).trim(), `hello-${svc}`);
    await daemon.ok(['restart', '-t', '1', svc]);
    assert.equal((await reachable(joined, `http://${svc}:8080/`)).trim(), `hello-${svc}`, 'rejoined at start');
    const again = await daemon.marina(['network', 'connect', joined, svc]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already connected/);
    await daemon.ok(['network', 'disconnect', joined, svc]);
    assert.notEqual((await wgetFrom(joined, `http://${svc}:8080/`)).code, 0, 'not reachable after disconnect');
    await daemon.ok(['rm', '-f', svc]);
    await daemon.ok(['network', 'rm', own, joined]);
  });

  test('ls lists it like docker; rm of a network in use is refused and changes nothing', async () => {
    const ls = await daemon.ok(['network', 'ls']);
    assert.match(ls.split('\n')[0]!, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    assert.match(ls, new RegExp(`^[0-9a-f]{12}\\s+${front}\\s+bridge\\s+local$`, 'm'));
    const rm = await daemon.marina(['network', 'rm', front]);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /Error response from daemon: .+/);
    assert.match(await daemon.ok(['network', 'ls']), new RegExp(`\\s${front}\\s`));
    assert.equal((await reachable(front, `http://${web}:8080/`)).trim(), `hello-${web}`);
  });
});

describe('published ports', () => {
  test('a TCP port (-p 8080, ephemeral) is shown by marina port and ps, and reached on 127.0.0.1', async () => {
    const name = uniqueName('pub');
    await httpd(name, ['-p', '8080']);
    const port = await hostPortOf(daemon, name, '8080/tcp');
    assert.equal((await daemon.ok(['port', name])).trim(), `8080/tcp -> 0.0.0.0:${port}`);
    const ps = (await daemon.ok(['ps'])).split('\n').find((l) => l.endsWith(name));
    assert.match(ps ?? '', new RegExp(`0\\.0\\.0\\.0:${port}->8080/tcp`));
    assert.equal(
      (await eventually(() => hostGet(port), 10_000, 'the published port')).trim(),
      `hello-${name}`,
    );
  });

  test('a UDP port is reached from the host on 127.0.0.1', async () => {
    const name = uniqueName('udp');
    await daemon.ok(['run', '-d', '--name', name, '-p', '9999/udp', ...udpEchoArgs]);
    const port = await hostPortOf(daemon, name, '9999/udp');
    assert.equal(await eventually(() => udpExchange(port, 'ping'), 10_000, 'a UDP reply'), 'echo:ping');
  });

  test('a host port already in use is a clear error at run, and nothing is left', async (t) => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', r));
    t.after(() => blocker.close());
    const port = (blocker.address() as { port: number }).port;
    const before = ownKernelObjects(daemon.root, network.bridge);
    const name = uniqueName('taken');
    const r = await daemon.marina([
      'run',
      '-d',
      '--name',
      name,
      '-p',
      `${port}:80`,
      'busybox',
      'sleep',
      '60',
    ]);
    assert.equal(r.code, 125, r.stderr);
    assert.match(r.stderr, new RegExp(String(port)));
    assert.doesNotMatch(await daemon.ok(['ps', '-a']), new RegExp(name), 'no container is left');
    assert.deepEqual(ownKernelObjects(daemon.root, network.bridge), before, 'no veth or rule is left');
  });
});

test('--network none has only loopback; the default network adds eth0', async () => {
  assert.equal(
    (await daemon.ok(['run', '--rm', '--network', 'none', 'busybox', 'ls', '/sys/class/net'])).trim(),
    'lo',
  );
  assert.deepEqual(
    (await daemon.ok(['run', '--rm', 'busybox', 'ls', '/sys/class/net'])).split(/\s+/).filter(Boolean).sort(),
    ['eth0', 'lo'],
  );
});

describe('bad input: a clear error, and nothing changed', () => {
  test('network create: invalid CIDR, overlapping subnet', async () => {
    const [second, third] = network.args[3]!.split('.').slice(1, 3);
    const taken = uniqueName('taken');
    // The bridge's own subnet is taken by the default network.
    const overlap = await daemon.marina([
      'network',
      'create',
      '--subnet',
      `10.${second}.${third}.128/25`,
      taken,
    ]);
    assert.equal(overlap.code, 1);
    assert.match(overlap.stderr, /overlap/i);
    const bad = await daemon.marina(['network', 'create', '--subnet', '10.1.2.0/33', taken]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /10\.1\.2\.0\/33/);
    assert.doesNotMatch(await daemon.ok(['network', 'ls']), new RegExp(taken));
  });

  test('run: an unknown network and a malformed -p', async () => {
    const before = await daemon.ok(['ps', '-a', '-q']);
    const unknown = await daemon.marina(['run', '--rm', '--network', 'no-such-net', 'busybox', 'true']);
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /no-such-net/);
    const malformed = await daemon.marina(['run', '--rm', '-p', '80:eighty', 'busybox', 'true']);
    assert.equal(malformed.code, 125);
    assert.match(malformed.stderr, /invalid port spec "80:eighty"/);
    assert.equal(await daemon.ok(['ps', '-a', '-q']), before);
  });
});

describe('marinad restarts', () => {
  const net = uniqueName('live');
  const web = uniqueName('live-web');
  let port = 0;

  /** By name on the user network, and through the published port from the host. */
  async function connected(): Promise<void> {
    assert.equal((await reachable(net, `http://${web}:8080/`)).trim(), `hello-${web}`);
    assert.equal(
      (await eventually(() => hostGet(port), 10_000, 'the published port')).trim(),
      `hello-${web}`,
    );
  }

  test('stop and start keep a running container connected, with the same links and rules', async () => {
    await daemon.ok(['network', 'create', net]);
    await httpd(web, ['--network', net, '-p', '8080']);
    port = await hostPortOf(daemon, web, '8080');
    await connected();
    const before = ownKernelObjects(daemon.root, network.bridge);
    await daemon.stop();
    await daemon.start();
    assert.deepEqual(ownKernelObjects(daemon.root, network.bridge), before);
    await connected();
  });

  test('kill -9 and start: still connected, nothing stale or doubled', async () => {
    const before = ownKernelObjects(daemon.root, network.bridge);
    daemon.kill9();
    await daemon.start();
    assert.deepEqual(ownKernelObjects(daemon.root, network.bridge), before);
    await connected();
  });

  test('removing every container and network leaves only the default bridge and no port rule', async () => {
    const ids = (await daemon.ok(['ps', '-a', '-q'])).split('\n').filter(Boolean);
    if (ids.length > 0) await daemon.ok(['rm', '-f', ...ids]);
    await daemon.ok(['network', 'prune']);
    const left = ownKernelObjects(daemon.root, network.bridge);
    assert.deepEqual(left.links, [network.bridge]);
    assert.deepEqual(
      left.rules.filter((r) => r.includes('DNAT')),
      left.rules.filter((r) => r.includes('DNAT') && !r.includes('--to-destination')),
      'no DNAT rule for a removed container',
    );
    assert.doesNotMatch(await daemon.ok(['network', 'ls']), new RegExp(`${net}`));
  });
});
