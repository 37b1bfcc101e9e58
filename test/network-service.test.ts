/**
 * NetworkServiceImpl with the real bridge driver: namespaces made with `ip netns add` stand in for
 * containers. The daemon tag, bridge names, subnets and namespaces are unique to this run, traffic only
 * ever goes between this run's namespaces, and everything is removed at the end even when a test fails.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { StateDb } from '../src/db/state-db.ts';
import { BridgeDriver } from '../src/network/bridge-driver.ts';
import { parseOwnRules, restoreInput } from '../src/network/iptables.ts';
import { type NetworkDns, NetworkServiceImpl } from '../src/network/network-service-impl.ts';
import { runCommand } from '../src/run-command.ts';

const tag = randomBytes(3).toString('hex');
const octet2 = 200 + ((randomBytes(1)[0] ?? 0) % 51);
const octet3 = ((randomBytes(1)[0] ?? 0) % 120) * 2;
const namespaces = ['a', 'b'].map((n) => `ms${tag}${n}`);

async function sh(cmd: string, args: string[]): Promise<string> {
  const result = await runCommand(cmd, args);
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function ownLinks(): Promise<string[]> {
  const out = await sh('ip', ['-o', 'link', 'show']);
  return [...out.matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]!).filter((name) => name.includes(tag));
}

const silentDns: NetworkDns = { update: async () => {}, stop: async () => {} };

describe('network service on the kernel', { concurrency: false }, () => {
  const root = mkdtempSync(join(tmpdir(), 'marina-network-service-'));
  const db = new StateDb(join(root, 'state.db'));
  const service = new NetworkServiceImpl({
    db,
    driver: new BridgeDriver({ daemonTag: tag, logger: pino({ level: 'silent' }) }),
    dns: silentDns,
    defaultNetwork: { name: 'bridge', bridge: `mb${tag}`, subnet: `10.${octet2}.${octet3}.0/24` },
    pool: `10.${octet2}.${octet3 + 1}.0/24`,
    daemonTag: tag,
    readHostRoutes: () => sh('ip', ['-4', 'route']),
  });

  after(async () => {
    for (const netns of namespaces) await runCommand('ip', ['netns', 'del', netns]);
    for (const name of await ownLinks().catch(() => [])) await runCommand('ip', ['link', 'del', name]);
    const input = restoreInput(tag, { chains: [], current: parseOwnRules(await sh('iptables-save', []), tag) });
    if (input !== '') await runCommand('iptables-restore', ['-w', '--noflush'], { input });
    db.close();
    rmSync(root, { recursive: true, force: true });
    assert.deepEqual(await ownLinks(), [], 'no device of this run is left');
  });

  test('two namespaces on a user network get leased addresses and reach each other; removal leaves nothing', async () => {
    for (const netns of namespaces) await sh('ip', ['netns', 'add', netns]);
    const web = await service.create({ name: 'web' });
    assert.equal(web.subnet, `10.${octet2}.${octet3 + 1}.0/24`);
    const results = [];
    for (const [i, netns] of namespaces.entries()) {
      results.push(
        await service.attach({
          containerId: `${tag}${i}`.padEnd(64, '0'),
          containerName: `box${i}`,
          netnsPath: `/run/netns/${netns}`,
          networks: [{ nameOrId: 'web', aliases: [] }],
          ports: [],
        }),
      );
    }
    const [first, second] = results.map((r) => r.endpoints[0]!);
    assert.equal(first?.ip, `10.${octet2}.${octet3 + 1}.2`);
    assert.equal(second?.ip, `10.${octet2}.${octet3 + 1}.3`);
    const addresses = await sh('ip', ['netns', 'exec', namespaces[0]!, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    assert.match(addresses, new RegExp(`inet ${first!.ip.replaceAll('.', '\\.')}/24`));
    await sh('ip', ['netns', 'exec', namespaces[0]!, 'busybox', 'ping', '-c', '1', '-W', '2', second!.ip]);

    await assert.rejects(service.remove('web'), /has active endpoints \(box0, box1\)/);
    for (const i of [0, 1]) await service.release(`${tag}${i}`.padEnd(64, '0'));
    await service.remove('web');
    assert.deepEqual(
      (await ownLinks()).filter((name) => name !== `mb${tag}`),
      [],
    );
  });
});
