import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FieldPath } from './field-errors.ts';
import type { PodSpec } from './pod-schemas.ts';
import { validatePodSpec } from './validate-pod.ts';

function dnsErrors(spec: Partial<PodSpec>): string[] {
  const full: PodSpec = { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Always', ...spec };
  return validatePodSpec(full, new FieldPath('spec'), { restartPolicies: ['Always'] })
    .filter((e) => e.path.startsWith('spec.dns'))
    .map((e) => `${e.path}: ${e.message}`);
}

test('dnsPolicy: the four Kubernetes policies, or none (ClusterFirst)', () => {
  for (const dnsPolicy of [undefined, 'ClusterFirst', 'ClusterFirstWithHostNet', 'Default']) {
    assert.deepEqual(dnsErrors(dnsPolicy === undefined ? {} : { dnsPolicy }), [], String(dnsPolicy));
  }
  assert.deepEqual(dnsErrors({ dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.53'] } }), []);
  const [error] = dnsErrors({ dnsPolicy: 'clusterfirst' });
  assert.match(error ?? '', /^spec\.dnsPolicy: Unsupported value: "clusterfirst"/);
});

test('dnsPolicy None needs dnsConfig with at least one nameserver', () => {
  assert.deepEqual(dnsErrors({ dnsPolicy: 'None' }), [
    'spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None',
  ]);
  assert.deepEqual(dnsErrors({ dnsPolicy: 'None', dnsConfig: { searches: ['a.example'] } }), [
    'spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None',
  ]);
});

test('dnsConfig: IPv4 nameservers (at most 3), search domains as DNS subdomains, options named without spaces', () => {
  assert.deepEqual(
    dnsErrors({
      dnsConfig: {
        nameservers: ['192.0.2.1'],
        searches: ['ns1.svc.cluster.local', 'corp.example.'],
        options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
      },
    }),
    [],
  );
  const errors = dnsErrors({
    dnsConfig: {
      nameservers: ['192.0.2.1', '192.0.2.2', '192.0.2.3', 'dns.example'],
      searches: ['Bad_Domain'],
      options: [{ value: '2' }, { name: 'ndots', value: '2 rotate' }],
    },
  });
  assert.deepEqual(
    errors.map((e) => e.split(':')[0]),
    [
      'spec.dnsConfig.nameservers',
      'spec.dnsConfig.nameservers[3]',
      'spec.dnsConfig.searches[0]',
      'spec.dnsConfig.options[0]',
      'spec.dnsConfig.options[1].value',
    ],
  );
});

test('dnsConfig: at most 32 search domains and 2048 characters', () => {
  const paths = (searches: string[]) => dnsErrors({ dnsConfig: { searches } }).map((e) => e.split(':')[0]);
  assert.deepEqual(paths(Array.from({ length: 33 }, (_, i) => `d${i}.example`)), ['spec.dnsConfig.searches']);
  const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example`;
  assert.deepEqual(paths(Array.from({ length: 12 }, () => long)), ['spec.dnsConfig.searches']);
});
