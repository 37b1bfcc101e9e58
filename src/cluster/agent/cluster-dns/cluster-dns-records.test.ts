import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Answer, RecordType } from 'dns-packet';
import { rcode } from '../../../network/dns-answer.ts';
import { clusterDnsTtl, clusterRecords, inClusterDomain } from './cluster-dns-records.ts';
import { endpoint, fixedView, service, slice } from './test-service-lookups.ts';

const web = service('default', 'web', {
  clusterIP: '10.96.0.10',
  ports: [
    { name: 'http', protocol: 'TCP', port: 80 },
    { protocol: 'TCP', port: 9090 },
    { name: 'dns', protocol: 'UDP', port: 53 },
  ],
});
const db = service('default', 'db', {
  clusterIP: 'None',
  ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
});
const dbSlice = slice(
  db,
  [
    endpoint('10.88.0.5', true, 'db-0'),
    endpoint('10.88.0.6', true),
    endpoint('10.88.0.7', false, 'db-2'),
    // No conditions: the EndpointSlice API says to take it as ready.
    endpoint('10.88.0.8', undefined),
  ],
  [{ name: 'pg', protocol: 'TCP', port: 15432 }],
);
const peers = service('other', 'peers', { clusterIP: 'None', publishNotReadyAddresses: true });
const peersSlice = slice(peers, [endpoint('10.88.1.2', false, 'peer-0')]);
const view = fixedView([web, db, peers], [dbSlice, peersSlice]);

function ask(name: string, type: RecordType = 'A') {
  return clusterRecords({ name, type, class: 'IN' }, view);
}

/** NOERROR with no answers: the name exists, without records of the asked type. */
function assertNoData(found: ReturnType<typeof ask>, message: string): void {
  assert.equal(found?.rcode, rcode.noError, message);
  assert.deepEqual(found?.answers, [], message);
}

/** Each record's data. */
function data(records: readonly Answer[] | undefined): unknown[] {
  return (records ?? []).map((r) => ('data' in r ? r.data : undefined));
}

/** Records as `TYPE name ttl data` lines, to compare whole answers at once. */
function lines(records: readonly Answer[] | undefined): string[] {
  return (records ?? []).map((r) => {
    const value = data([r])[0];
    const shown = typeof value === 'object' ? JSON.stringify(value) : String(value);
    return `${r.type} ${r.name} ${'ttl' in r ? r.ttl : ''} ${shown}`;
  });
}

test('a ClusterIP Service: A is its clusterIP, with the short TTL', () => {
  const found = ask('web.default.svc.cluster.local');
  assert.equal(found?.rcode, rcode.noError);
  assert.deepEqual(lines(found?.answers), [`A web.default.svc.cluster.local ${clusterDnsTtl} 10.96.0.10`]);
});

test('names are case-insensitive and may end in the root dot; answers echo the name as asked', () => {
  const found = ask('WEB.Default.SVC.Cluster.Local.');
  assert.deepEqual(lines(found?.answers), [`A WEB.Default.SVC.Cluster.Local. ${clusterDnsTtl} 10.96.0.10`]);
  assert.equal(inClusterDomain('Svc.CLUSTER.local.'), true);
});

test('a name that exists without records of the type: NOERROR with no answers (NODATA), never NXDOMAIN', () => {
  for (const type of ['AAAA', 'MX', 'TXT'] as const) {
    assertNoData(ask('web.default.svc.cluster.local', type), type);
  }
  // The domain, `svc` and a namespace with Services exist as parents of Service names.
  for (const name of [
    'cluster.local',
    'svc.cluster.local',
    'default.svc.cluster.local',
    'other.svc.cluster.local',
  ]) {
    assertNoData(ask(name), name);
  }
  assertNoData(ask('_tcp.web.default.svc.cluster.local', 'SRV'), '_tcp');
});

test('names under the cluster domain that do not exist are NXDOMAIN', () => {
  for (const name of [
    'nope.default.svc.cluster.local',
    'web.nope.svc.cluster.local',
    'nope.svc.cluster.local',
    'web.default.pod.cluster.local',
    'a.b.web.default.svc.cluster.local',
    // A ClusterIP Service's endpoints have no names of their own.
    '10-88-0-5.web.default.svc.cluster.local',
    '_sctp.web.default.svc.cluster.local',
  ]) {
    assert.deepEqual(ask(name), { rcode: rcode.nxDomain, answers: [] }, name);
  }
});

test('names outside the cluster domain are not its own (forwarded)', () => {
  for (const name of ['example.com', 'web', 'web.default', 'cluster.local.example.com', 'notcluster.local']) {
    assert.equal(ask(name), undefined, name);
    assert.equal(inClusterDomain(name), false, name);
  }
});

test('a headless Service: A records of its ready endpoints only', () => {
  const found = ask('db.default.svc.cluster.local');
  assert.deepEqual(data(found?.answers), ['10.88.0.5', '10.88.0.6', '10.88.0.8']);
});

test('a headless Service with publishNotReadyAddresses: every endpoint', () => {
  assert.deepEqual(data(ask('peers.other.svc.cluster.local')?.answers), ['10.88.1.2']);
  assert.deepEqual(data(ask('peer-0.peers.other.svc.cluster.local')?.answers), ['10.88.1.2']);
});

test('endpoints of a headless Service by hostname, or by dashed address without one; not-ready ones do not exist', () => {
  assert.deepEqual(lines(ask('db-0.db.default.svc.cluster.local')?.answers), [
    `A db-0.db.default.svc.cluster.local ${clusterDnsTtl} 10.88.0.5`,
  ]);
  assert.deepEqual(data(ask('10-88-0-6.db.default.svc.cluster.local')?.answers), ['10.88.0.6']);
  assert.equal(ask('db-2.db.default.svc.cluster.local')?.rcode, rcode.nxDomain);
  assert.equal(ask('10-88-0-7.db.default.svc.cluster.local')?.rcode, rcode.nxDomain);
});

test('SRV of a named port of a ClusterIP Service: the Service name and port, its address as additional', () => {
  const found = ask('_http._tcp.web.default.svc.cluster.local', 'SRV');
  assert.equal(found?.rcode, rcode.noError);
  assert.deepEqual(lines(found?.answers), [
    `SRV _http._tcp.web.default.svc.cluster.local ${clusterDnsTtl} {"priority":0,"weight":100,"port":80,"target":"web.default.svc.cluster.local"}`,
  ]);
  assert.deepEqual(lines(found?.additionals), [
    `A web.default.svc.cluster.local ${clusterDnsTtl} 10.96.0.10`,
  ]);
  assert.deepEqual(data(ask('_DNS._UDP.web.default.svc.cluster.local', 'SRV')?.answers), [
    { priority: 0, weight: 100, port: 53, target: 'web.default.svc.cluster.local' },
  ]);
  // An A question on the SRV name: it exists, without addresses.
  assertNoData(ask('_http._tcp.web.default.svc.cluster.local', 'A'), 'A on an SRV name');
});

test('SRV: wrong protocol, unnamed ports and unknown names are NXDOMAIN', () => {
  for (const name of [
    '_http._udp.web.default.svc.cluster.local',
    '_9090._tcp.web.default.svc.cluster.local',
    '_nope._tcp.web.default.svc.cluster.local',
    '_http.tcp.web.default.svc.cluster.local',
  ]) {
    assert.equal(ask(name, 'SRV')?.rcode, rcode.nxDomain, name);
  }
});

test('SRV of a headless Service: each ready endpoint by name at the resolved port, their addresses as additionals', () => {
  const found = ask('_pg._tcp.db.default.svc.cluster.local', 'SRV');
  assert.deepEqual(
    data(found?.answers),
    ['db-0', '10-88-0-6', '10-88-0-8'].map((host) => ({
      priority: 0,
      weight: 33,
      port: 15432,
      target: `${host}.db.default.svc.cluster.local`,
    })),
  );
  assert.deepEqual(lines(found?.additionals), [
    `A db-0.db.default.svc.cluster.local ${clusterDnsTtl} 10.88.0.5`,
    `A 10-88-0-6.db.default.svc.cluster.local ${clusterDnsTtl} 10.88.0.6`,
    `A 10-88-0-8.db.default.svc.cluster.local ${clusterDnsTtl} 10.88.0.8`,
  ]);
});

test('a Service without a clusterIP yet, and a headless one without slices, exist with no addresses', () => {
  const pending = service('default', 'pending', { ports: [{ name: 'http', port: 80 }] });
  const lonely = service('default', 'lonely', { clusterIP: 'None' });
  const sparse = fixedView([pending, lonely], []);
  for (const name of ['pending.default.svc.cluster.local', 'lonely.default.svc.cluster.local']) {
    assertNoData(clusterRecords({ name, type: 'A' }, sparse), name);
  }
});
