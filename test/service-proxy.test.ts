/**
 * The service proxy against the real kernel, without marinad: a bridge of the test's own with network
 * namespaces as pods (three backends and a client), a ServiceProxy fed by a plain ServiceView, and real
 * connections to the Services' virtual addresses. Every device, namespace and chain carries a tag unique
 * to this run and is removed at the end, even when a test fails.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { pino } from 'pino';
import { proxiedPorts } from '../src/cluster/agent/service-proxy/proxied-ports.ts';
import { ServiceProxy, removeServiceRules } from '../src/cluster/agent/service-proxy/service-proxy.ts';
import {
  buildServiceChains,
  serviceChainPrefix,
  serviceRuleComment,
  serviceRuleOwner,
} from '../src/cluster/agent/service-proxy/service-rules.ts';
import {
  readyEndpoint,
  StaticServiceView,
  testService,
  testSlice,
} from '../src/cluster/agent/service-proxy/test-services.ts';
import { eventually } from '../src/cluster/controllers/test-eventually.ts';
import type { Endpoint, EndpointSlice, Service } from '../src/cluster/resources/service-schemas.ts';
import { runChecked, runCommand } from '../src/run-command.ts';

const tag = randomBytes(3).toString('hex');
const logger = pino({ level: 'silent' });
const bridge = `spb${tag}`;

/** A /24 in 10.244.0.0/16 that no route on the host uses yet, and cluster IPs in 10.96.X.0/24. */
async function pickAddresses(): Promise<{ net: string; services: string }> {
  const routes = await runChecked('ip', ['-4', 'route', 'show']);
  let third = randomInt(256);
  while (routes.includes(`10.244.${third}.`)) third = (third + 1) % 256;
  return { net: `10.244.${third}`, services: `10.96.${randomInt(256)}` };
}

let net = '';
let serviceNet = '';
const gateway = () => `${net}.1`;
const subnet = () => `${net}.0/24`;

interface Pod {
  name: string;
  netns: string;
  hostVeth: string;
  ip: string;
}

const pod = (name: string, host: number): Pod => ({
  name,
  netns: `msp${tag}${name}`,
  hostVeth: `sp${tag}${name}`,
  get ip() {
    return `${net}.${host}`;
  },
});
const backends = [pod('b1', 11), pod('b2', 12), pod('b3', 13)];
const client = pod('c', 50);
const pods = [...backends, client];
const servers: ChildProcess[] = [];

async function addPod(p: Pod): Promise<void> {
  await runChecked('ip', ['netns', 'add', p.netns]);
  await runChecked('ip', ['link', 'add', p.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p.netns]);
  await runChecked('ip', ['link', 'set', p.hostVeth, 'master', bridge, 'up']);
  // As Marina's own veths: a pod reaching itself through a Service leaves and re-enters by one port.
  await runChecked('ip', ['link', 'set', p.hostVeth, 'type', 'bridge_slave', 'hairpin', 'on']);
  await runChecked('ip', ['-n', p.netns, 'addr', 'add', `${p.ip}/24`, 'dev', 'eth0']);
  await runChecked('ip', ['-n', p.netns, 'link', 'set', 'eth0', 'up']);
  await runChecked('ip', ['-n', p.netns, 'link', 'set', 'lo', 'up']);
  await runChecked('ip', ['-n', p.netns, 'route', 'add', 'default', 'via', gateway()]);
}

/** Answers its name on TCP 8080 and UDP 5353. */
const serverScript = `
const name = process.argv[1];
require('node:net').createServer((s) => s.end(name + '\\n')).listen(8080);
const udp = require('node:dgram').createSocket('udp4');
udp.on('message', (m, r) => udp.send(name, r.port, r.address)).bind(5353);`;

/** n requests to ip:port, one after another; prints the replies (or error codes) as JSON. */
const clientScript = `
const [proto, ip, port, n, localPort] = process.argv.slice(1);
const one = () => new Promise((resolve) => {
  if (proto === 'udp') {
    const s = require('node:dgram').createSocket('udp4');
    const done = (v) => { clearTimeout(t); s.close(); resolve(v); };
    const t = setTimeout(() => done('error:timeout'), 2000);
    s.on('message', (m) => done(m.toString()));
    s.on('error', (e) => done('error:' + e.code));
    s.bind(Number(localPort) || 0, () => s.send('x', Number(port), ip));
  } else {
    let out = '';
    const s = require('node:net').connect({ host: ip, port: Number(port), timeout: 3000 });
    s.on('data', (d) => { out += d; });
    s.on('end', () => resolve(out.trim()));
    s.on('timeout', () => { s.destroy(); resolve('error:timeout'); });
    s.on('error', (e) => resolve('error:' + e.code));
  }
});
(async () => { const r = []; for (let i = 0; i < Number(n); i++) r.push(await one()); console.log(JSON.stringify(r)); })();`;

async function request(from: Pod, proto: 'tcp' | 'udp', ip: string, port: number, n: number, localPort = 0) {
  const out = await runChecked('ip', [
    'netns',
    'exec',
    from.netns,
    process.execPath,
    '-e',
    clientScript,
    proto,
    ip,
    String(port),
    String(n),
    String(localPort),
  ]);
  return JSON.parse(out) as string[];
}

/** Removes whatever this run left, from the kernel's view alone (works after a failed test too). */
async function cleanup(): Promise<void> {
  for (const child of servers) child.kill('SIGKILL');
  for (const p of pods) await runCommand('ip', ['netns', 'del', p.netns]);
  for (const p of pods) await runCommand('ip', ['link', 'del', p.hostVeth]);
  await runCommand('ip', ['link', 'del', bridge]);
  await removeServiceRules(tag);
}

// --- the cluster as the view shows it

const webIP = () => `${serviceNet}.10`;
const dnsIP = () => `${serviceNet}.53`;
const idleIP = () => `${serviceNet}.99`;
const selfIP = () => `${serviceNet}.11`;
const stickyIP = () => `${serviceNet}.12`;
/** The proxy refuses what no Service takes in this range (its /24 of the test's service addresses). */
const serviceRange = () => `${serviceNet}.0/24`;
const nodePort = 30000 + randomInt(2000);

function services(): Service[] {
  return [
    testService('web', {
      type: 'NodePort',
      clusterIP: webIP(),
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort }],
    }),
    testService('dns', {
      clusterIP: dnsIP(),
      ports: [{ name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353 }],
    }),
    testService('idle', { clusterIP: idleIP(), ports: [{ protocol: 'TCP', port: 80 }] }),
    testService('self', { clusterIP: selfIP(), ports: [{ protocol: 'TCP', port: 80, targetPort: 8080 }] }),
    testService('sticky', {
      clusterIP: stickyIP(),
      ports: [{ protocol: 'TCP', port: 80, targetPort: 8080 }],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
    }),
  ];
}

function slices(ready: Record<string, boolean>): EndpointSlice[] {
  const endpoints = (names: string[]): Endpoint[] =>
    backends
      .filter((b) => names.includes(b.name))
      .map((b) => readyEndpoint(b.ip, { ready: ready[b.name] ?? true }));
  const all = backends.map((b) => b.name);
  return [
    testSlice('web', endpoints(all), [{ name: 'http', protocol: 'TCP', port: 8080 }]),
    testSlice('dns', endpoints(all), [{ name: 'dns', protocol: 'UDP', port: 5353 }]),
    testSlice('idle', [], []),
    testSlice('self', endpoints(['b1']), [{ protocol: 'TCP', port: 8080 }]),
    testSlice('sticky', endpoints(all), [{ protocol: 'TCP', port: 8080 }]),
  ];
}

type RulesByTable = Record<string, { chains: Record<string, string[]>; jumps: string[] }>;

function tableIn(out: RulesByTable, table: string): RulesByTable[string] {
  const found = out[table] ?? { chains: {}, jumps: [] };
  out[table] = found;
  return found;
}

function append(view: RulesByTable[string], chain: string, rules: string[]): void {
  view.chains[chain] = [...(view.chains[chain] ?? []), ...rules];
}

/** The proxy's lines in iptables-save, per table: chains with their rules in order, and its jumps. */
async function kernelRules(): Promise<RulesByTable> {
  const prefix = serviceChainPrefix(tag);
  const out: RulesByTable = {};
  let table = '';
  for (const line of (await runChecked('iptables-save', [])).split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    if (line.startsWith(`:${prefix}`)) append(tableIn(out, table), line.slice(1).split(' ')[0] ?? '', []);
    else if (line.startsWith(`-A ${prefix}`)) append(tableIn(out, table), line.split(' ')[1] ?? '', [line]);
    else if (line.includes(`"${serviceRuleComment(tag)}"`)) tableIn(out, table).jumps.push(line);
  }
  for (const view of Object.values(out)) view.jumps.sort();
  return out;
}

/** What kernelRules should show for a view: the builder's chains and the owner's jumps as iptables-save lists them. */
function expectedRules(view: StaticServiceView): RulesByTable {
  const out: RulesByTable = {};
  const options = { tag, podSubnet: subnet(), podBridge: bridge, serviceRange: serviceRange() };
  for (const chain of buildServiceChains(proxiedPorts(view), options))
    append(tableIn(out, chain.table), chain.name, chain.rules);
  for (const jump of serviceRuleOwner(tag).jumps)
    tableIn(out, jump.table).jumps.push(jump.line.replace(/^-I /, '-A '));
  for (const v of Object.values(out)) v.jumps.sort();
  return out;
}

function proxy(view: StaticServiceView): { stop: () => Promise<void> } {
  const controller = new AbortController();
  const running = new ServiceProxy({
    view,
    tag,
    podNetwork: { subnet: subnet(), bridge },
    serviceRange: serviceRange(),
    logger,
  }).run(controller.signal);
  return {
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

const distinct = (replies: string[]) => [...new Set(replies)].sort();

describe('service proxy on the kernel', { concurrency: false }, () => {
  const view = new StaticServiceView();
  let first: { stop: () => Promise<void> } | undefined;

  before(async () => {
    ({ net, services: serviceNet } = await pickAddresses());
    await runChecked('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await runChecked('ip', ['addr', 'add', `${gateway()}/24`, 'dev', bridge]);
    await runChecked('ip', ['link', 'set', bridge, 'up']);
    for (const p of pods) await addPod(p);
    for (const b of backends) {
      const child = spawn('ip', ['netns', 'exec', b.netns, process.execPath, '-e', serverScript, b.name], {
        stdio: 'ignore',
      });
      servers.push(child);
    }
    for (const b of backends) {
      await eventually(
        async () => (await request(client, 'tcp', b.ip, 8080, 1))[0] === b.name,
        `${b.name} serving`,
      );
    }
    view.set(services(), slices({}));
    first = proxy(view);
    await eventually(
      async () => (await request(client, 'tcp', webIP(), 80, 1))[0]?.startsWith('b'),
      'web reachable',
    );
  });

  after(async () => {
    await first?.stop().catch(() => undefined);
    await cleanup();
  });

  test('connections to the cluster IP reach every ready backend', async () => {
    assert.deepEqual(distinct(await request(client, 'tcp', webIP(), 80, 60)), ['b1', 'b2', 'b3']);
  });

  test('a NodePort answers on the node’s address, and a pod reaches itself through its Service', async () => {
    assert.deepEqual(distinct(await request(client, 'tcp', gateway(), nodePort, 30)), ['b1', 'b2', 'b3']);
    assert.deepEqual(distinct(await request(backends[0] as Pod, 'tcp', selfIP(), 80, 3)), ['b1']);
  });

  test('a service port without endpoints refuses at once, as does an address or port no Service has', async () => {
    assert.deepEqual(await request(client, 'tcp', idleIP(), 80, 1), ['error:ECONNREFUSED']);
    assert.deepEqual(await request(client, 'tcp', webIP(), 81, 1), ['error:ECONNREFUSED']);
    assert.deepEqual(await request(client, 'tcp', `${serviceNet}.200`, 80, 1), ['error:ECONNREFUSED']);
  });

  test('ClientIP affinity sends every connection of a client to one backend', async () => {
    const replies = await request(client, 'tcp', stickyIP(), 80, 30);
    assert.equal(distinct(replies).length, 1, `one backend for one client: ${replies}`);
    assert.match(replies[0] ?? '', /^b[123]$/);
  });

  test('an endpoint that stops being ready leaves the rotation', async () => {
    view.set(services(), slices({ b2: false }));
    await eventually(
      async () => !(await runChecked('iptables-save', ['-t', 'nat'])).includes(`${backends[1]?.ip}:8080`),
      'b2 out',
    );
    assert.deepEqual(distinct(await request(client, 'tcp', webIP(), 80, 60)), ['b1', 'b3']);
  });

  test('a UDP service answers; a client stuck to an endpoint that leaves moves on to another', async () => {
    view.set(services(), slices({}));
    await eventually(
      async () => (await runChecked('iptables-save', ['-t', 'nat'])).includes(`${backends[1]?.ip}:5353`),
      'b2 back',
    );
    const sourcePort = 40000 + randomInt(10000);
    // One source port is one conntrack entry: every packet goes to the backend the first one picked.
    const replies = await request(client, 'udp', dnsIP(), 53, 5, sourcePort);
    assert.equal(distinct(replies).length, 1, `one backend for one flow: ${replies}`);
    const stuck = replies[0] ?? '';
    assert.match(stuck, /^b[123]$/);
    view.set(services(), slices({ [stuck]: false }));
    await eventually(
      async () =>
        !(await runChecked('iptables-save', ['-t', 'nat'])).includes(
          `${backends.find((b) => b.name === stuck)?.ip}:5353`,
        ),
      `${stuck} out`,
    );
    const moved = await eventually(async () => {
      const [reply] = await request(client, 'udp', dnsIP(), 53, 1, sourcePort);
      return reply?.startsWith('b') ? reply : undefined;
    }, 'a reply after the change');
    assert.notEqual(moved, stuck);
  });

  test('a restart removes stale chains and jumps, and leaves exactly the wanted rules', async () => {
    await first?.stop();
    first = undefined;
    assert.ok(
      Object.keys((await kernelRules()).nat?.chains ?? {}).length > 0,
      'rules stay when the proxy stops',
    );
    // What a daemon killed with -9 could leave: a service's chains that no longer exist, a duplicate jump.
    const prefix = serviceChainPrefix(tag);
    const staleSvc = `${prefix}SVC-STALESTALEST`;
    const staleSep = `${prefix}SEP-STALESTALEST`;
    await runChecked('iptables', ['-w', '-t', 'nat', '-N', staleSep]);
    await runChecked('iptables', ['-w', '-t', 'nat', '-N', staleSvc]);
    await runChecked('iptables', ['-w', '-t', 'nat', '-A', staleSvc, '-j', staleSep]);
    await runChecked('iptables', [
      '-w',
      '-t',
      'nat',
      '-A',
      `${prefix}SERVICES`,
      '-d',
      `${serviceNet}.77/32`,
      '-j',
      staleSvc,
    ]);
    await runChecked('iptables', [
      '-w',
      '-t',
      'nat',
      '-A',
      'OUTPUT',
      '-m',
      'comment',
      '--comment',
      serviceRuleComment(tag),
      '-j',
      `${prefix}SERVICES`,
    ]);

    const changed = new StaticServiceView(
      services().filter((s) => s.metadata.name !== 'idle'),
      slices({ b3: false }),
    );
    const second = proxy(changed);
    try {
      const expected = expectedRules(changed);
      await eventually(async () => {
        const actual = await kernelRules();
        return isDeepStrictEqual(actual, expected) ? actual : undefined;
      }, 'the kernel to hold exactly the wanted rules').catch(async (err) => {
        assert.deepEqual(await kernelRules(), expected);
        throw err;
      });
      assert.deepEqual(distinct(await request(client, 'tcp', webIP(), 80, 40)), ['b1', 'b2']);
    } finally {
      await second.stop();
    }
  });
});
