import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import { hostnameFile, hostsFile, networkChoice, parseExtraHost, resolvConfFile } from './etc-files.ts';

const own = { hostname: 'abc123', extraHosts: [] };

test('hosts: localhost only without a network, the host file on the host network', () => {
  const hosts = hostsFile({ kind: 'none' }, '10.0.0.1 build-box\n', own);
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
  assert.doesNotMatch(hosts, /build-box|abc123/);
  assert.equal(hostsFile({ kind: 'host' }, '10.0.0.1 build-box\n', own), '10.0.0.1 build-box\n');
  assert.equal(hostnameFile('abc'), 'abc\n');
});

test('hosts: extra hosts, then the container own address and hostname', () => {
  const hosts = hostsFile({ kind: 'bridge', network: 'bridge' }, '', {
    hostname: 'web',
    ip: '10.88.0.5',
    extraHosts: [parseExtraHost('db.local:10.0.0.9')],
  });
  const lines = hosts.trimEnd().split('\n');
  assert.deepEqual(lines.slice(-2), ['10.0.0.9\tdb.local', '10.88.0.5\tweb']);
});

test('--add-host must be NAME:IPV4', () => {
  assert.deepEqual(parseExtraHost('a.b:1.2.3.4'), { host: 'a.b', ip: '1.2.3.4' });
  for (const bad of ['nocolon', ':1.2.3.4', 'a:999.1.1.1', 'a b:1.2.3.4']) {
    assert.throws(() => parseExtraHost(bad), (e) => isMarinaError(e, 'Invalid') && e.message.includes(bad));
  }
});

test('resolv.conf: nameservers replaced, search and options kept', () => {
  const host = 'nameserver 10.255.255.53\nsearch corp.example\noptions ndots:2\n';
  assert.equal(resolvConfFile(host, []), host);
  assert.equal(resolvConfFile(host, ['10.89.0.1']), 'nameserver 10.89.0.1\nsearch corp.example\noptions ndots:2\n');
});

test('resolv.conf: search domains and options replaced when given, dropped when given empty', () => {
  const host = 'nameserver 10.255.255.53\ndomain old.example\nsearch corp.example\noptions ndots:2\noptions rotate\n';
  assert.equal(
    resolvConfFile(host, ['10.88.0.1'], { search: ['default.svc.cluster.local', 'corp.example'], options: ['ndots:5'] }),
    'nameserver 10.88.0.1\nsearch default.svc.cluster.local corp.example\noptions ndots:5\n',
  );
  // Only the options given: the host's nameservers and search lines stay, in their order.
  assert.equal(
    resolvConfFile(host, [], { options: ['ndots:1', 'timeout:2'] }),
    'nameserver 10.255.255.53\ndomain old.example\nsearch corp.example\noptions ndots:1 timeout:2\n',
  );
  assert.equal(resolvConfFile(host, ['10.88.0.1'], { search: [], options: [] }), 'nameserver 10.88.0.1\n');
  assert.equal(resolvConfFile(host, [], {}), host);
});

test('network modes', () => {
  for (const m of [undefined, '', 'default', 'bridge']) assert.deepEqual(networkChoice(m), { kind: 'bridge', network: 'bridge' });
  assert.deepEqual(networkChoice('none'), { kind: 'none' });
  assert.deepEqual(networkChoice('host'), { kind: 'host' });
  assert.deepEqual(networkChoice('backend'), { kind: 'bridge', network: 'backend' });
  assert.deepEqual(networkChoice('container:web'), { kind: 'container', container: 'web' });
});
