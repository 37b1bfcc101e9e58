import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../errors.ts';
import {
  carveSubnet,
  defaultGateway,
  formatCidr,
  formatIpv4,
  macFromIp,
  nextFreeAddress,
  overlaps,
  parseIpv4,
  parseSubnet,
  routedSubnets,
  validateGateway,
} from './ipam.ts';

const invalidWith = (text: string) => (err: unknown) => isMarinaError(err, 'Invalid') && err.message === text;

test('IPv4 addresses round-trip; malformed ones are undefined', () => {
  assert.equal(formatIpv4(parseIpv4('10.255.0.7')!), '10.255.0.7');
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.01', '10.0.0.x', '', '1.2.3.4.5', '::1']) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
});

test('parseSubnet accepts a network address with prefix 8 to 30', () => {
  assert.equal(formatCidr(parseSubnet('10.89.3.0/24')), '10.89.3.0/24');
  assert.equal(formatCidr(parseSubnet('10.0.0.0/8')), '10.0.0.0/8');
  assert.equal(formatCidr(parseSubnet(' 192.168.1.4/30 ')), '192.168.1.4/30');
});

test('parseSubnet errors name the value and say what is wrong', () => {
  assert.throws(() => parseSubnet('10.1.2.0/33'), invalidWith('invalid subnet "10.1.2.0/33": the prefix length must be 8 to 30'));
  assert.throws(() => parseSubnet('10.0.0.0/7'), invalidWith('invalid subnet "10.0.0.0/7": the prefix length must be 8 to 30'));
  assert.throws(
    () => parseSubnet('10.1.2.5/24'),
    invalidWith('invalid subnet "10.1.2.5/24": host bits are set; did you mean 10.1.2.0/24?'),
  );
  assert.throws(() => parseSubnet('10.1.2.0'), invalidWith('invalid subnet "10.1.2.0": expected an IPv4 CIDR such as 10.89.0.0/24'));
  assert.throws(() => parseSubnet('10.1.300.0/24'), invalidWith('invalid subnet "10.1.300.0/24": "10.1.300.0" is not an IPv4 address'));
  assert.throws(() => parseSubnet('fd00::/64'), (err) => isMarinaError(err, 'Invalid') && err.message.includes('only IPv4'));
  assert.throws(() => parseSubnet('x', 'network pool'), (err) => isMarinaError(err, 'Invalid') && err.message.startsWith('invalid network pool "x"'));
});

test('overlaps is true for nesting and shared ranges, false for neighbours', () => {
  const s = parseSubnet;
  assert.equal(overlaps(s('10.0.0.0/16'), s('10.0.5.0/24')), true);
  assert.equal(overlaps(s('10.0.5.0/24'), s('10.0.0.0/16')), true);
  assert.equal(overlaps(s('10.0.5.0/24'), s('10.0.5.0/24')), true);
  assert.equal(overlaps(s('10.0.5.0/24'), s('10.0.6.0/24')), false);
  assert.equal(overlaps(s('10.0.4.0/23'), s('10.0.5.128/25')), true);
});

test('the default gateway is the first host; a given gateway must be a host inside the subnet', () => {
  const cidr = parseSubnet('10.89.3.0/24');
  assert.equal(defaultGateway(cidr), '10.89.3.1');
  assert.equal(validateGateway(cidr, '10.89.3.254'), '10.89.3.254');
  assert.throws(() => validateGateway(cidr, '10.89.4.1'), invalidWith('invalid gateway "10.89.4.1": it is not inside the subnet 10.89.3.0/24'));
  assert.throws(() => validateGateway(cidr, '10.89.3.0'), (err) => isMarinaError(err, 'Invalid') && err.message.includes('network or broadcast'));
  assert.throws(() => validateGateway(cidr, '10.89.3.255'), (err) => isMarinaError(err, 'Invalid') && err.message.includes('10.89.3.1'));
  assert.throws(() => validateGateway(cidr, 'gw'), (err) => isMarinaError(err, 'Invalid') && err.message.includes('"gw"'));
});

test('nextFreeAddress skips the network, gateway, broadcast and used addresses', () => {
  const cidr = parseSubnet('10.0.0.0/29'); // hosts .1 – .6
  assert.equal(nextFreeAddress(cidr, '10.0.0.1', new Set()), '10.0.0.2');
  assert.equal(nextFreeAddress(cidr, '10.0.0.1', new Set(['10.0.0.2', '10.0.0.4'])), '10.0.0.3');
  assert.equal(nextFreeAddress(cidr, '10.0.0.3', new Set()), '10.0.0.1');
  assert.equal(nextFreeAddress(cidr, '10.0.0.1', new Set(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'])), '10.0.0.6');
  assert.equal(nextFreeAddress(cidr, '10.0.0.1', new Set(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'])), undefined);
});

test('routedSubnets reads destinations of ip -4 route output, skipping default routes', () => {
  const output = [
    'default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100',
    '10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15',
    '10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100',
    'unicast 172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown',
    'blackhole 10.89.7.0/24',
    '',
  ].join('\n');
  assert.deepEqual(routedSubnets(output).map(formatCidr), ['10.0.2.0/24', '10.0.2.2/32', '172.17.0.0/16', '10.89.7.0/24']);
});

test('carveSubnet returns the first /24 of the pool clear of every subnet to avoid', () => {
  const pool = parseSubnet('10.89.0.0/16');
  assert.equal(formatCidr(carveSubnet(pool, [])!), '10.89.0.0/24');
  const avoid = [parseSubnet('10.89.0.0/24'), parseSubnet('10.89.1.0/25'), ...routedSubnets('10.89.2.9 dev eth1')];
  assert.equal(formatCidr(carveSubnet(pool, avoid)!), '10.89.3.0/24');
  assert.equal(carveSubnet(parseSubnet('10.89.0.0/23'), [parseSubnet('10.89.0.0/23')]), undefined);
  assert.equal(formatCidr(carveSubnet(parseSubnet('10.9.9.0/26'), [])!), '10.9.9.0/26');
});

test('macFromIp is 02:42 and the address bytes', () => {
  assert.equal(macFromIp('10.89.3.2'), '02:42:0a:59:03:02');
  assert.equal(macFromIp('255.0.16.1'), '02:42:ff:00:10:01');
  assert.throws(() => macFromIp('nope'), (err) => isMarinaError(err, 'Invalid'));
});
