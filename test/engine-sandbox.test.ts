/**
 * Pod sandboxes through the Engine object, in-process as the node agent uses it (real runc, conmon,
 * iproute2, iptables, as root), and Docker's `--network container:NAME` through the docker CLI. Each suite
 * has its own state root, bridge and subnets; namespaces, veths and rules are removed even on failure.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { StateDb } from '../src/db/state-db.ts';
import { createEngine } from '../src/engine/create-engine.ts';
import { sandboxNetnsPrefix } from '../src/engine/pod-sandbox.ts';
import { SandboxStore } from '../src/engine/sandbox-store.ts';
import { isMarinaError } from '../src/errors.ts';
import type { ImageStore } from '../src/image/image-store.ts';
import { seedBusybox } from '../src/image/seed.ts';
import { daemonTagOf } from '../src/network/daemon-tag.ts';
import { cleanupRoot, projectRoot, uniqueName, useDaemon } from './harness.ts';
import { ownKernelObjects, removeOwnKernelObjects, uniqueNetworkFlags } from './network-kernel.ts';

type TestEngine = Awaited<ReturnType<typeof createEngine>>;

const netnsNames = () =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);

/** One engine over its own root; `restart` closes it (containers keep running) and composes it again. */
function useEngine() {
  const root = mkdtempSync(join(tmpdir(), 'marina-sandbox-'));
  const { args, bridge } = uniqueNetworkFlags();
  const flag = (name: string) => args[args.indexOf(name) + 1]!;
  const prefix = sandboxNetnsPrefix(daemonTagOf(root));
  const open = () =>
    createEngine({
      root,
      logger: pino({ level: 'silent' }),
      version: 'test',
      attachHelperPath: join(projectRoot, 'dist', 'marina-attach'),
      bridge,
      bridgeSubnet: flag('--bridge-subnet'),
      networkPool: flag('--network-pool'),
      // No DNS query leaves the machine.
      dnsUpstreams: [{ host: '127.0.0.1', port: 9 }],
    });
  const state = { engine: undefined as TestEngine | undefined };
  before(async () => {
    state.engine = await open();
    await seedBusybox(state.engine.images as ImageStore);
  });
  after(async () => {
    const engine = state.engine;
    if (engine) {
      for (const c of await engine.containers.list({ all: true })) await engine.containers.remove(c.id, { force: true }).catch(() => {});
      for (const s of await engine.sandboxes.list()) await engine.sandboxes.remove(s.id, { force: true }).catch(() => {});
      await engine.close();
    }
    cleanupRoot(root);
    // The namespaces its sandboxes left go too.
    removeOwnKernelObjects(root, bridge);
  });
  return {
    root,
    bridge,
    prefix,
    get engine(): TestEngine {
      if (!state.engine) throw new Error('the engine is used before its suite started');
      return state.engine;
    },
    async restart(between?: () => void | Promise<void>) {
      await state.engine?.close();
      state.engine = undefined;
      await between?.();
      state.engine = await open();
    },
  };
}

/** Runs `script` in a busybox container of `sandbox` with `shared` at /shared; resolves with its exit code once removed. */
async function runIn(engine: TestEngine, sandbox: string, shared: string, script: string): Promise<number> {
  const c = await engine.containers.create({
    image: 'busybox',
    sandbox,
    cmd: ['sh', '-c', script],
    mounts: [{ type: 'bind', source: shared, target: '/shared' }],
  });
  try {
    await engine.containers.start(c.id);
    return (await engine.containers.wait(c.id)).exitCode;
  } finally {
    await engine.containers.remove(c.id, { force: true });
  }
}

/** Starts a busybox httpd in `sandbox` serving `shared` on port 8080, after writing `page` into its index.html. */
async function startServer(engine: TestEngine, sandbox: string, shared: string, page: string) {
  const server = await engine.containers.create({
    image: 'busybox',
    sandbox,
    cmd: ['sh', '-c', `echo ${page} > /shared/index.html && exec httpd -f -p 8080 -h /shared`],
    mounts: [{ type: 'bind', source: shared, target: '/shared' }],
  });
  await engine.containers.start(server.id);
  return server;
}

/** Fetches the served page (on the sandbox's own 127.0.0.1 unless `host`) into /shared/<into>, retrying until httpd listens. */
const fetchInto = (into: string, host = '127.0.0.1') =>
  `for i in $(seq 100); do wget -qO /shared/${into} http://${host}:8080/index.html && exit 0; sleep 0.1; done; exit 1`;

describe('engine: pod sandboxes', () => {
  const e = useEngine();

  test('containers of a sandbox share localhost, its address, hostname and /etc files, and a host directory', async (t) => {
    const { engine } = e;
    const linksBefore = ownKernelObjects(e.root, e.bridge).links;
    const sandbox = await engine.sandboxes.create({
      name: 'web-0',
      labels: { pod: 'web-0' },
      extraHosts: ['db.local:10.0.0.9'],
      ports: [{ protocol: 'tcp', containerPort: 8080 }],
    });
    t.after(() => engine.sandboxes.remove(sandbox.id, { force: true }).catch(() => {}));
    assert.equal(sandbox.status, 'ready');
    assert.match(sandbox.ip, /^\d+\.\d+\.\d+\.\d+$/);
    assert.ok(netnsNames().includes(sandbox.netnsName));
    assert.deepEqual(
      (await engine.sandboxes.list()).map((s) => s.id),
      [sandbox.id],
    );

    const shared = mkdtempSync(join(e.root, 'shared-'));
    const server = await startServer(engine, sandbox.id, shared, 'from-the-pod');
    const code = await runIn(
      engine,
      sandbox.id,
      shared,
      `hostname > /shared/hostname; cat /etc/hosts > /shared/hosts; ip -4 -o addr show eth0 > /shared/addr; ${fetchInto('fetched')}`,
    );
    assert.equal(code, 0, 'the second container could not fetch from 127.0.0.1:8080');
    assert.equal(readFileSync(join(shared, 'fetched'), 'utf8'), 'from-the-pod\n');
    assert.equal(readFileSync(join(shared, 'hostname'), 'utf8'), 'web-0\n');
    assert.match(readFileSync(join(shared, 'hosts'), 'utf8'), new RegExp(`^${sandbox.ip.replace(/\./g, '\\.')}\\tweb-0$`, 'm'));
    assert.match(readFileSync(join(shared, 'hosts'), 'utf8'), /^10\.0\.0\.9\tdb\.local$/m);
    assert.match(readFileSync(join(shared, 'addr'), 'utf8'), new RegExp(` ${sandbox.ip.replace(/\./g, '\\.')}/`));
    assert.deepEqual((await engine.containers.inspect(server.id)).networks, [], 'a sandbox container has no endpoint of its own');

    // The sandbox's published port reaches the pod's server from the host.
    const hostPort = sandbox.ports[0]!.hostPort;
    assert.equal(await (await fetch(`http://127.0.0.1:${hostPort}/index.html`)).text(), 'from-the-pod\n');

    // A restart of a container keeps the sandbox: same namespace, same address.
    await engine.containers.restart(server.id, { timeoutSeconds: 1 });
    assert.equal(await runIn(engine, sandbox.id, shared, fetchInto('again')), 0);
    assert.equal((await engine.sandboxes.inspect(sandbox.id)).ip, sandbox.ip);

    // Removing it while it has containers names them; with force they go first, and so does everything it made.
    await assert.rejects(
      engine.sandboxes.remove(sandbox.id),
      (err) => isMarinaError(err, 'Conflict') && err.message.includes(server.name),
    );
    await engine.sandboxes.remove(sandbox.id, { force: true });
    await assert.rejects(engine.containers.inspect(server.id), (err) => isMarinaError(err, 'NotFound'));
    await assert.rejects(engine.sandboxes.inspect(sandbox.id), (err) => isMarinaError(err, 'NotFound'));
    assert.ok(!netnsNames().includes(sandbox.netnsName), 'its namespace is left');
    assert.ok(!existsSync(join(e.root, 'sandboxes', sandbox.id)), 'its files are left');
    assert.deepEqual(ownKernelObjects(e.root, e.bridge).links, linksBefore, 'a veth is left');
    assert.ok(!execFileSync('iptables-save', [], { encoding: 'utf8' }).includes(`:${hostPort} `), 'a port rule is left');
  });

  test('bad input changes nothing: own networking in a sandbox, unknown sandboxes and networks, taken ids', async (t) => {
    const { engine } = e;
    const sandbox = await engine.sandboxes.create({ id: uniqueName('pod'), name: 'refuser' });
    t.after(() => engine.sandboxes.remove(sandbox.id, { force: true }).catch(() => {}));
    const refused = [
      { networkMode: 'bridge' },
      { ports: [{ protocol: 'tcp' as const, containerPort: 80 }] },
      { networkAliases: ['x'] },
    ];
    for (const extra of refused) {
      await assert.rejects(
        engine.containers.create({ image: 'busybox', sandbox: sandbox.id, ...extra }),
        (err) => isMarinaError(err, 'Invalid'),
        JSON.stringify(extra),
      );
    }
    await assert.rejects(engine.containers.create({ image: 'busybox', sandbox: 'no-such-pod' }), (err) => isMarinaError(err, 'NotFound'));
    await assert.rejects(engine.sandboxes.create({ name: 'x', network: 'no-such-network' }), (err) => isMarinaError(err, 'NotFound'));
    await assert.rejects(engine.sandboxes.create({ id: sandbox.id, name: 'again' }), (err) => isMarinaError(err, 'Conflict'));
    assert.deepEqual(await engine.containers.list({ all: true }), []);
    assert.deepEqual(
      (await engine.sandboxes.list()).map((s) => s.id),
      [sandbox.id],
    );
    assert.deepEqual(
      netnsNames().filter((n) => n.startsWith(e.prefix)),
      [sandbox.netnsName],
    );
  });

  test('on a user network the sandbox answers to its name in the embedded DNS', async (t) => {
    const { engine } = e;
    const network = await engine.networks.create({ name: uniqueName('pods') });
    t.after(() => engine.networks.remove(network.id).catch(() => {}));
    const sandbox = await engine.sandboxes.create({ name: 'api-0', network: network.name });
    t.after(() => engine.sandboxes.remove(sandbox.id, { force: true }).catch(() => {}));
    assert.equal(sandbox.request.network, network.name);
    assert.match(readFileSync(sandbox.etcFiles.resolvConf, 'utf8'), new RegExp(`^nameserver ${network.gateway.replace(/\./g, '\\.')}$`, 'm'));
    const shared = mkdtempSync(join(e.root, 'shared-'));
    await startServer(engine, sandbox.id, shared, 'by-name');
    const client = await engine.containers.create({
      image: 'busybox',
      networkMode: network.name,
      cmd: ['sh', '-c', fetchInto('fetched', 'api-0')],
      mounts: [{ type: 'bind', source: shared, target: '/shared' }],
    });
    t.after(() => engine.containers.remove(client.id, { force: true }).catch(() => {}));
    await engine.containers.start(client.id);
    assert.equal((await engine.containers.wait(client.id)).exitCode, 0, 'the sandbox was not reached by its name');
    assert.equal(readFileSync(join(shared, 'fetched'), 'utf8'), 'by-name\n');
    // In this order: the network can go once nothing is attached to it.
    await engine.containers.remove(client.id);
    await engine.sandboxes.remove(sandbox.id, { force: true });
    await engine.networks.remove(network.id);
  });

  test('a restart keeps sandboxes and their running containers, remakes vanished namespaces, drops what a crash left', async () => {
    const survivor = await e.engine.sandboxes.create({ id: uniqueName('survivor'), name: 'survivor' });
    const rebooted = await e.engine.sandboxes.create({ id: uniqueName('rebooted'), name: 'rebooted' });
    const shared = mkdtempSync(join(e.root, 'shared-'));
    mkdirSync(join(shared, 'r'));
    const server = await startServer(e.engine, survivor.id, shared, 'still-here');
    const { pid } = (await e.engine.containers.inspect(server.id)).state;

    const orphan = `${e.prefix}orphan`;
    const halfMade = `${e.prefix}half-made`;
    await e.restart(() => {
      // What a reboot does to one sandbox, and what kill -9 in the middle of a create leaves.
      execFileSync('ip', ['netns', 'del', rebooted.netnsName]);
      execFileSync('ip', ['netns', 'add', orphan]);
      execFileSync('ip', ['netns', 'add', halfMade]);
      const db = new StateDb(join(e.root, 'state.db'));
      new SandboxStore(db).insert({ ...survivor, id: 'half-made', netnsName: halfMade, netnsPath: `/run/netns/${halfMade}`, status: 'creating' });
      db.close();
    });
    const { engine } = e;

    const after = await engine.containers.inspect(server.id);
    assert.equal(after.state.status, 'running');
    assert.equal(after.state.pid, pid);
    assert.equal(await runIn(engine, survivor.id, shared, fetchInto('fetched')), 0, 'the surviving sandbox lost its server');
    assert.equal(readFileSync(join(shared, 'fetched'), 'utf8'), 'still-here\n');
    assert.equal((await engine.sandboxes.inspect(survivor.id)).ip, survivor.ip);

    const remade = await engine.sandboxes.inspect(rebooted.id);
    assert.equal(remade.status, 'ready');
    assert.ok(netnsNames().includes(rebooted.netnsName), 'the vanished namespace was not made again');
    assert.equal(await runIn(engine, rebooted.id, shared, 'ip -4 -o addr show eth0 > /shared/r/addr; hostname > /shared/r/hostname'), 0);
    assert.match(readFileSync(join(shared, 'r', 'addr'), 'utf8'), new RegExp(` ${remade.ip.replace(/\./g, '\\.')}/`));
    assert.equal(readFileSync(join(shared, 'r', 'hostname'), 'utf8'), 'rebooted\n');

    assert.ok(!netnsNames().includes(orphan), 'a namespace without a sandbox was kept');
    assert.ok(!netnsNames().includes(halfMade), 'a half-made sandbox namespace was kept');
    await assert.rejects(engine.sandboxes.inspect('half-made'), (err) => isMarinaError(err, 'NotFound'));

    await engine.sandboxes.remove(survivor.id, { force: true });
    await engine.sandboxes.remove(rebooted.id);
    assert.deepEqual(
      netnsNames().filter((n) => n.startsWith(e.prefix)),
      [],
    );
  });
});

describe('docker: --network container:NAME', () => {
  const d = useDaemon();

  test('joins a running container: localhost, hostname and /etc files shared; inspect names it by id', async () => {
    const a = uniqueName('a');
    const serve = 'mkdir /www && echo served-by-a > /www/index.html && exec httpd -f -p 8080 -h /www';
    const run = await d.docker(['run', '-d', '--name', a, '--hostname', 'alpha', 'busybox', 'sh', '-c', serve]);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    try {
      const fetched = await d.docker([
        'run', '--rm', '--network', `container:${a}`, 'busybox', 'sh', '-c',
        'for i in $(seq 100); do wget -qO- http://127.0.0.1:8080/index.html && break; sleep 0.1; done; hostname; grep -c alpha /etc/hosts',
      ]);
      assert.equal(fetched.code, 0, fetched.stderr);
      assert.equal(fetched.stdout, 'served-by-a\nalpha\n1\n');

      const b = uniqueName('b');
      assert.equal((await d.docker(['create', '--name', b, '--network', `container:${a}`, 'busybox', 'true'])).code, 0);
      const mode = await d.docker(['inspect', '-f', '{{.HostConfig.NetworkMode}} {{len .NetworkSettings.Networks}}', b]);
      assert.equal(mode.stdout.trim(), `container:${id} 0`);

      // Docker's refusals: settings that belong to the owner, and an owner that is not running.
      const withPort = await d.docker(['run', '--rm', '--network', `container:${a}`, '-p', '9000:80', 'busybox', 'true']);
      assert.notEqual(withPort.code, 0);
      assert.match(withPort.stderr, /conflicting options: port publishing and the container type network mode/);
      assert.equal((await d.docker(['stop', '-t', '1', a])).code, 0);
      const stopped = await d.docker(['start', b]);
      assert.notEqual(stopped.code, 0);
      assert.match(stopped.stderr, new RegExp(`cannot join network of a non running container: ${id}`));
      const missing = await d.docker(['run', '--rm', '--network', 'container:no-such-container', 'busybox', 'true']);
      assert.match(missing.stderr, /No such container: no-such-container/);
      await d.docker(['rm', '-f', b]);
    } finally {
      await d.docker(['rm', '-f', a]);
    }
  });
});
