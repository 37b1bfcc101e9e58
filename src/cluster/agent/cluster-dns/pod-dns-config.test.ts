import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, PodSpec } from '../../resources/pod-schemas.ts';
import { parseResolvConf, podDnsConfig } from './pod-dns-config.ts';

const host = parseResolvConf(
  'nameserver 192.0.2.53\nnameserver 192.0.2.54 # second\nsearch corp.example lab.example\noptions rotate timeout:2\n',
);
const clusterDns = '10.88.0.1';

function pod(spec: Partial<PodSpec> = {}, namespace = 'shop'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name: 'p' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
  };
}

test('parseResolvConf: nameservers in order, the last search or domain line, every options line', () => {
  assert.deepEqual(host, {
    nameservers: ['192.0.2.53', '192.0.2.54'],
    searches: ['corp.example', 'lab.example'],
    options: ['rotate', 'timeout:2'],
  });
  assert.deepEqual(
    parseResolvConf('search a.example\ndomain b.example\n; comment\noptions ndots:1\noptions edns0'),
    {
      nameservers: [],
      searches: ['b.example'],
      options: ['ndots:1', 'edns0'],
    },
  );
});

test('ClusterFirst (the default): the cluster DNS alone, the cluster search domains then the host ones, ndots:5', () => {
  const expected = {
    nameservers: [clusterDns],
    searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'],
    options: ['ndots:5'],
  };
  assert.deepEqual(podDnsConfig(pod(), clusterDns, host), expected);
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'ClusterFirst' }), clusterDns, host), expected);
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: 'ClusterFirstWithHostNet' }), clusterDns, host), expected);
  assert.deepEqual(
    podDnsConfig(pod({ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }), clusterDns, host),
    expected,
  );
});

test('ClusterFirst without a cluster DNS, or on the host network: the node resolv.conf as it is', () => {
  assert.equal(podDnsConfig(pod(), undefined, host), undefined);
  assert.equal(podDnsConfig(pod({ hostNetwork: true }), clusterDns, host), undefined);
});

test('Default: the node resolv.conf as it is; with dnsConfig, merged into the node settings', () => {
  assert.equal(podDnsConfig(pod({ dnsPolicy: 'Default' }), clusterDns, host), undefined);
  const merged = podDnsConfig(
    pod({
      dnsPolicy: 'Default',
      dnsConfig: {
        nameservers: ['192.0.2.54', '198.51.100.1'],
        searches: ['extra.example', 'corp.example'],
        options: [{ name: 'timeout', value: '5' }, { name: 'edns0' }],
      },
    }),
    clusterDns,
    host,
  );
  assert.deepEqual(merged, {
    nameservers: ['192.0.2.53', '192.0.2.54', '198.51.100.1'],
    searches: ['corp.example', 'lab.example', 'extra.example'],
    // An option of the same name is replaced in place; new ones follow.
    options: ['rotate', 'timeout:5', 'edns0'],
  });
});

test('None: only the pod dnsConfig', () => {
  const spec: Partial<PodSpec> = {
    dnsPolicy: 'None',
    dnsConfig: { nameservers: ['198.51.100.1'], options: [{ name: 'ndots', value: '2' }] },
  };
  assert.deepEqual(podDnsConfig(pod(spec), clusterDns, host), {
    nameservers: ['198.51.100.1'],
    searches: [],
    options: ['ndots:2'],
  });
});

test('ClusterFirst with dnsConfig: nameservers and searches appended, options merged over ndots:5', () => {
  const spec: Partial<PodSpec> = {
    dnsConfig: {
      nameservers: ['198.51.100.1'],
      searches: ['svc.cluster.local', 'extra.example'],
      options: [{ name: 'ndots', value: '2' }, { name: 'single-request-reopen' }],
    },
  };
  assert.deepEqual(podDnsConfig(pod(spec, 'default'), clusterDns, host), {
    nameservers: [clusterDns, '198.51.100.1'],
    searches: [
      'default.svc.cluster.local',
      'svc.cluster.local',
      'cluster.local',
      'corp.example',
      'lab.example',
      'extra.example',
    ],
    options: ['ndots:2', 'single-request-reopen'],
  });
});

test('what resolvers read at most: 3 nameservers, 32 search domains', () => {
  const many = parseResolvConf(
    `${Array.from({ length: 40 }, (_, i) => `nameserver 192.0.2.${i + 1}`).join('\n')}\nsearch ${Array.from({ length: 40 }, (_, i) => `d${i}.example`).join(' ')}\n`,
  );
  const config = podDnsConfig(pod({ dnsConfig: { nameservers: ['198.51.100.1'] } }), clusterDns, many);
  assert.deepEqual(config?.nameservers, [clusterDns, '198.51.100.1']);
  assert.equal(config?.searches.length, 32);
  const fromHost = podDnsConfig(pod({ dnsPolicy: 'Default', dnsConfig: {} }), clusterDns, many);
  assert.deepEqual(fromHost?.nameservers, ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
});
