import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type NetworkFlags, networkRequestFields } from './network-request.ts';

const none: NetworkFlags = { networkAlias: [], publish: [], addHost: [], dns: [] };
const fields = (flags: Partial<NetworkFlags>) => networkRequestFields({ ...none, ...flags });

test('no networking flags: nothing in the request (the engine picks the default bridge)', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(fields({}))), {});
});

test('maps --network/--net, aliases, -p, -P, --add-host and --dns', () => {
  assert.deepEqual(
    fields({
      net: 'backend',
      networkAlias: ['db', 'primary'],
      publish: ['127.0.0.1:8080:80', '53/udp'],
      publishAll: true,
      addHost: ['gw:10.0.0.1', 'api=10.0.0.2'],
      dns: ['10.0.0.53'],
    }),
    {
      networkMode: 'backend',
      networkAliases: ['db', 'primary'],
      ports: [
        { protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 8080 },
        { protocol: 'udp', containerPort: 53 },
      ],
      publishAll: true,
      extraHosts: ['gw:10.0.0.1', 'api:10.0.0.2'],
      dns: ['10.0.0.53'],
    },
  );
  for (const mode of ['bridge', 'none', 'host', 'my_net.1'])
    assert.equal(fields({ network: mode }).networkMode, mode);
  assert.equal(fields({ network: 'a', net: 'a' }).networkMode, 'a');
});

test('refuses bad networking flags, naming the flag and saying what to use', () => {
  const refuses = (flags: Partial<NetworkFlags>, message: RegExp) =>
    assert.throws(
      () => fields(flags),
      (err: Error & { code?: string }) => err.code === 'Invalid' && message.test(err.message),
    );
  refuses({ network: 'a', net: 'b' }, /--network a and --net b/);
  refuses({ network: 'container:web' }, /invalid --network "container:web"/);
  refuses({ network: '-x' }, /invalid --network/);
  refuses({ networkAlias: ['db'] }, /--network-alias works on user-defined networks only/);
  refuses({ network: 'bridge', networkAlias: ['db'] }, /user-defined networks only/);
  refuses({ publish: ['80:eighty'] }, /invalid port spec "80:eighty"/);
  refuses({ network: 'none', publish: ['80'] }, /-p\/-P and --network none/);
  refuses({ network: 'host', publishAll: true }, /-p\/-P and --network host/);
  refuses({ addHost: ['db'] }, /invalid --add-host "db": use NAME:IP/);
  refuses({ addHost: [':10.0.0.1'] }, /invalid --add-host/);
  refuses({ addHost: ['db:ten'] }, /invalid --add-host/);
  refuses({ dns: ['resolver'] }, /invalid --dns "resolver"/);
});
