import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OwnChain } from '../../../network/iptables.ts';
import { type ProxiedPort, proxiedPorts } from './proxied-ports.ts';
import {
  buildServiceChains,
  fixedChains,
  maxChainName,
  probability,
  sepChain,
  serviceRuleOwner,
  svcChain,
} from './service-rules.ts';
import { readyEndpoint, StaticServiceView, testService, testSlice } from './test-services.ts';

const tag = 'a1b2c3';
const options = { tag, podSubnet: '10.244.0.0/24', podBridge: 'marina0' };
const fixed = fixedChains(tag);

function port(overrides: Partial<ProxiedPort> = {}): ProxiedPort {
  return {
    name: 'default/web:http',
    protocol: 'tcp',
    clusterIP: '10.96.0.10',
    port: 80,
    externalIPs: [],
    backends: [
      { ip: '10.244.0.2', port: 8080 },
      { ip: '10.244.0.3', port: 8080 },
      { ip: '10.244.0.4', port: 8080 },
    ],
    ...overrides,
  };
}

const rulesOf = (chains: OwnChain[], table: OwnChain['table'], name: string) =>
  chains.find((c) => c.table === table && c.name === name)?.rules;

test('a ClusterIP with 3 endpoints: jump from SERVICES, masquerade outsiders, probabilities 1/3, 1/2, then the rest', () => {
  const p = port();
  const chains = buildServiceChains([p], options);
  const svc = svcChain(tag, p);
  const seps = p.backends.map((b) => sepChain(tag, p, b));
  assert.deepEqual(rulesOf(chains, 'nat', fixed.services), [
    `-A ${fixed.services} -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j ${svc}`,
    `-A ${fixed.services} -m addrtype --dst-type LOCAL -j ${fixed.nodePorts}`,
  ]);
  assert.deepEqual(rulesOf(chains, 'nat', svc), [
    `-A ${svc} ! -s 10.244.0.0/24 -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j ${fixed.markMasquerade}`,
    `-A ${svc} -m statistic --mode random --probability 0.33333333349 -j ${seps[0]}`,
    `-A ${svc} -m statistic --mode random --probability 0.50000000000 -j ${seps[1]}`,
    `-A ${svc} -j ${seps[2]}`,
  ]);
  assert.deepEqual(rulesOf(chains, 'nat', seps[0] ?? ''), [
    `-A ${seps[0]} -s 10.244.0.2/32 -j ${fixed.markMasquerade}`,
    `-A ${seps[0]} -p tcp -m tcp -j DNAT --to-destination 10.244.0.2:8080`,
  ]);
  assert.deepEqual(rulesOf(chains, 'filter', fixed.services), []);
  assert.ok(
    !chains.some((c) => c.name.includes('-EXT-')),
    'no external chain without NodePort or external IPs',
  );
});

test('probabilities are written as iptables-save prints them', () => {
  assert.equal(probability(1 / 3), '0.33333333349');
  assert.equal(probability(1 / 2), '0.50000000000');
  assert.equal(probability(1 / 7), '0.14285714272');
});

test('a service port without ready endpoints rejects (TCP reset, UDP port unreachable) and has no NAT chains', () => {
  const tcp = port({ backends: [], externalIPs: ['192.0.2.9'], nodePort: 30080 });
  const udp = port({
    name: 'default/dns:dns',
    protocol: 'udp',
    port: 53,
    clusterIP: '10.96.0.53',
    backends: [],
  });
  const chains = buildServiceChains([tcp, udp], options);
  assert.deepEqual(rulesOf(chains, 'filter', fixed.services), [
    `-A ${fixed.services} -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with tcp-reset`,
    `-A ${fixed.services} -d 192.0.2.9/32 -p tcp -m comment --comment "default/web:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with tcp-reset`,
    `-A ${fixed.services} -p tcp -m addrtype --dst-type LOCAL -m comment --comment "default/web:http has no endpoints" -m tcp --dport 30080 -j REJECT --reject-with tcp-reset`,
    `-A ${fixed.services} -d 10.96.0.53/32 -p udp -m comment --comment "default/dns:dns has no endpoints" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable`,
  ]);
  assert.deepEqual(rulesOf(chains, 'nat', fixed.services), [
    `-A ${fixed.services} -m addrtype --dst-type LOCAL -j ${fixed.nodePorts}`,
  ]);
  assert.ok(!chains.some((c) => /-(SVC|SEP|EXT)-/.test(c.name)));
});

test('NodePort and external IPs go through an EXT chain that always masquerades, then the same SVC chain', () => {
  const p = port({
    externalIPs: ['192.0.2.9'],
    nodePort: 30080,
    backends: [{ ip: '10.244.0.2', port: 8080 }],
  });
  const chains = buildServiceChains([p], options);
  const ext = chains.find((c) => c.name.includes('-EXT-'))?.name ?? '';
  const svc = svcChain(tag, p);
  assert.ok(
    rulesOf(chains, 'nat', fixed.services)?.includes(
      `-A ${fixed.services} -d 192.0.2.9/32 -p tcp -m comment --comment "default/web:http external IP" -m tcp --dport 80 -j ${ext}`,
    ),
  );
  assert.deepEqual(rulesOf(chains, 'nat', fixed.nodePorts), [
    `-A ${fixed.nodePorts} -p tcp -m comment --comment "default/web:http node port" -m tcp --dport 30080 -j ${ext}`,
  ]);
  assert.deepEqual(rulesOf(chains, 'nat', ext), [
    `-A ${ext} -j ${fixed.markMasquerade}`,
    `-A ${ext} -j ${svc}`,
  ]);
  // A single endpoint takes everything: no statistic match.
  assert.deepEqual(rulesOf(chains, 'nat', svc)?.slice(1), [
    `-A ${svc} -j ${sepChain(tag, p, p.backends[0]!)}`,
  ]);
});

test('given node addresses, NodePorts answer only on them', () => {
  const chains = buildServiceChains([port()], { ...options, nodeAddresses: ['192.0.2.1', '198.51.100.7'] });
  assert.deepEqual(rulesOf(chains, 'nat', fixed.services)?.slice(1), [
    `-A ${fixed.services} -d 192.0.2.1/32 -j ${fixed.nodePorts}`,
    `-A ${fixed.services} -d 198.51.100.7/32 -j ${fixed.nodePorts}`,
  ]);
});

test('ClientIP affinity: a recent check per endpoint before the random pick, and the SEP chain records the client', () => {
  const p = port({
    affinitySeconds: 600,
    backends: [
      { ip: '10.244.0.2', port: 8080 },
      { ip: '10.244.0.3', port: 8080 },
    ],
  });
  const chains = buildServiceChains([p], options);
  const svc = svcChain(tag, p);
  const [a, b] = p.backends.map((x) => sepChain(tag, p, x));
  const recent = (sep: string | undefined) => `--name ${sep} --mask 255.255.255.255 --rsource`;
  assert.deepEqual(rulesOf(chains, 'nat', svc)?.slice(1), [
    `-A ${svc} -m recent --rcheck --seconds 600 --reap ${recent(a)} -j ${a}`,
    `-A ${svc} -m recent --rcheck --seconds 600 --reap ${recent(b)} -j ${b}`,
    `-A ${svc} -m statistic --mode random --probability 0.50000000000 -j ${a}`,
    `-A ${svc} -j ${b}`,
  ]);
  assert.deepEqual(
    rulesOf(chains, 'nat', a ?? '')?.[1],
    `-A ${a} -p tcp -m recent --set ${recent(a)} -m tcp -j DNAT --to-destination 10.244.0.2:8080`,
  );
});

test('UDP service ports DNAT with udp matches', () => {
  const p = port({
    name: 'default/dns:dns',
    protocol: 'udp',
    port: 53,
    backends: [{ ip: '10.244.0.5', port: 5353 }],
  });
  const chains = buildServiceChains([p], options);
  const sep = sepChain(tag, p, p.backends[0]!);
  assert.deepEqual(
    rulesOf(chains, 'nat', sep)?.[1],
    `-A ${sep} -p udp -m udp -j DNAT --to-destination 10.244.0.5:5353`,
  );
  assert.match(rulesOf(chains, 'nat', fixed.services)?.[0] ?? '', /-p udp .* -m udp --dport 53 -j MSVC-/);
});

test('from Services to rules: headless Services get none; not-ready endpoints are out of rotation', () => {
  const view = new StaticServiceView(
    [
      testService('web', { clusterIP: '10.96.0.10', ports: [{ port: 80, targetPort: 8080 }] }),
      testService('peers', { clusterIP: 'None', ports: [{ port: 80 }] }),
    ],
    [
      testSlice(
        'web',
        [readyEndpoint('10.244.0.2'), readyEndpoint('10.244.0.3', { ready: false })],
        [{ port: 8080 }],
      ),
      testSlice('peers', [readyEndpoint('10.244.0.7')], [{ port: 80 }]),
    ],
  );
  const chains = buildServiceChains(proxiedPorts(view), options);
  const text = chains.flatMap((c) => c.rules).join('\n');
  assert.ok(text.includes('--to-destination 10.244.0.2:8080'));
  assert.ok(!text.includes('10.244.0.3'), 'a not-ready endpoint is not in rotation');
  assert.ok(!text.includes('10.244.0.7') && !text.includes('peers'), 'a headless Service has no rules');
  assert.equal(chains.filter((c) => c.name.includes('-SEP-')).length, 1);
});

test('chain names: prefixed with the tag, within 28 characters, stable, distinct per service port and endpoint', () => {
  const p = port();
  const names = buildServiceChains([p], options).map((c) => c.name);
  for (const name of names) {
    assert.ok(name.startsWith(`MSVC-${tag}-`), name);
    assert.ok(name.length <= maxChainName, name);
  }
  assert.equal(new Set(names.filter((n) => n.includes('-SEP-'))).size, 3);
  assert.deepEqual(
    buildServiceChains([port()], options).map((c) => c.name),
    names,
  );
  assert.equal(
    svcChain(tag, port({ backends: [] })),
    svcChain(tag, p),
    'endpoints do not change the service chain',
  );
  assert.notEqual(svcChain(tag, port({ protocol: 'udp' })), svcChain(tag, p));
  assert.notEqual(svcChain(tag, port({ name: 'default/web:https' })), svcChain(tag, p));
  assert.ok(svcChain('ffffff', p).startsWith('MSVC-ffffff-SVC-'));
});

test('the proxy’s jumps come first in their built-in chains and carry its own comment', () => {
  const owner = serviceRuleOwner(tag);
  assert.equal(owner.chainPrefix, 'MSVC-a1b2c3-');
  assert.ok(!owner.chainPrefix.startsWith('MARINA-'), 'never inside the network rules’ prefix');
  for (const jump of owner.jumps) {
    assert.match(jump.line, /^-I (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) /);
    assert.ok(jump.line.includes('--comment "marina-svc:a1b2c3"'));
  }
  const forward = rulesOf(buildServiceChains([], options), 'filter', fixed.forward);
  assert.deepEqual(forward, [
    `-A ${fixed.forward} -o marina0 -m mark --mark 0x4000/0x4000 -j ACCEPT`,
    `-A ${fixed.forward} -m conntrack --ctstate RELATED,ESTABLISHED -m conntrack --ctstate DNAT -j ACCEPT`,
  ]);
});

test('given the service range, connections to it that no Service translated are refused last', () => {
  const chains = buildServiceChains([port({ backends: [] })], { ...options, serviceRange: '10.96.0.0/12' });
  assert.deepEqual(rulesOf(chains, 'filter', fixed.services)?.at(-1), `-A ${fixed.services} -d 10.96.0.0/12 -m comment --comment "no such service" -j REJECT --reject-with icmp-port-unreachable`);
  assert.equal(rulesOf(chains, 'filter', fixed.services)?.length, 2);
});
