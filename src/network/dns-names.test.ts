import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dnsNamesOfEndpoints, dnsNameTable, normalDnsName, renamedAliases } from './dns-names.ts';
import type { EndpointRecord } from './network-types.ts';

test('normalDnsName: lower case, without the root dot', () => {
  assert.equal(normalDnsName('Web.'), 'web');
  assert.equal(normalDnsName('db.Corp.Example'), 'db.corp.example');
  assert.equal(normalDnsName('.'), '');
});

test('dnsNameTable pools names that meet in one normal form, each address once', () => {
  const table = dnsNameTable(
    new Map([
      ['Web', ['10.89.0.2']],
      ['web.', ['10.89.0.2', '10.89.0.3']],
      ['db', ['10.89.0.4']],
      ['', ['10.89.0.9']],
    ]),
  );
  assert.deepEqual(
    [...table],
    [
      ['web', ['10.89.0.2', '10.89.0.3']],
      ['db', ['10.89.0.4']],
    ],
  );
});

const endpoint = (ip: string, aliases: string[]): EndpointRecord => ({
  networkId: 'n'.repeat(64),
  containerId: ip,
  ifName: 'eth0',
  hostIfName: 'vabc1231234567',
  ip,
  prefixLength: 24,
  gateway: '10.89.0.1',
  mac: '02:42:0a:59:00:02',
  aliases,
});

test('dnsNamesOfEndpoints: every alias of every endpoint; a shared alias resolves to all its containers', () => {
  const names = dnsNamesOfEndpoints([
    endpoint('10.89.0.2', ['web-1', '0123456789ab', 'Web']),
    endpoint('10.89.0.3', ['web-2', 'ba9876543210', 'web']),
  ]);
  assert.deepEqual(names.get('web'), ['10.89.0.2', '10.89.0.3']);
  assert.deepEqual(names.get('web-1'), ['10.89.0.2']);
  assert.deepEqual(names.get('ba9876543210'), ['10.89.0.3']);
  assert.equal(names.size, 5);
});

test('renamedAliases: the new name takes the old one\'s place; the short id and other aliases stay', () => {
  assert.deepEqual(renamedAliases(['old', 'aaaaaaaaaaaa', 'api'], 'old', 'new'), ['new', 'aaaaaaaaaaaa', 'api']);
  assert.deepEqual(renamedAliases(['old', 'aaaaaaaaaaaa', 'new'], 'old', 'new'), ['new', 'aaaaaaaaaaaa'], 'each name once');
  assert.deepEqual(renamedAliases(['other', 'aaaaaaaaaaaa'], 'old', 'new'), ['other', 'aaaaaaaaaaaa']);
});
