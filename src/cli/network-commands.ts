/** network create|ls|inspect|rm|connect|disconnect|prune, printed as docker prints them. */
import type { Command } from 'commander';
import { parseLabels } from '../engine/config-parse.ts';
import type { NetworkRecord } from '../network/network-types.ts';
import { api, collect, forEachName, print } from './cli-support.ts';
import { columns, shortId } from './human.ts';
import { printInspected } from './system-commands.ts';

const net = (nameOrId: string) => `/v1/networks/${encodeURIComponent(nameOrId)}`;

interface CreateFlags {
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  label: string[];
}

export function registerNetworkCommands(program: Command): void {
  const network = program.command('network').description('Manage networks');
  network
    .command('create')
    .description("Create a bridge network (without --subnet, the next free /24 of the daemon's pool)")
    .argument('<name>')
    .option('--subnet <cidr>', 'IPv4 subnet, e.g. 10.90.0.0/24')
    .option('--gateway <ip>', 'gateway address in the subnet (default: its first address)')
    .option('--internal', 'no traffic to or from outside the network')
    .option('-l, --label <k=v>', 'set a label', collect, [])
    .action(async (name: string, flags: CreateFlags) => {
      const record = await api().json<NetworkRecord>('POST', '/v1/networks', {
        json: {
          name,
          subnet: flags.subnet,
          gateway: flags.gateway,
          internal: flags.internal || undefined,
          labels: flags.label.length > 0 ? parseLabels(flags.label) : undefined,
        },
      });
      print(record.id);
    });
  network
    .command('ls')
    .description('List networks')
    .option('-q, --quiet', 'only display network IDs')
    .option('--no-trunc', "don't truncate the IDs")
    .action(async (flags: { quiet?: boolean; trunc: boolean }) => {
      const networks = await api().json<NetworkRecord[]>('GET', '/v1/networks');
      const id = (n: NetworkRecord) => (flags.trunc ? shortId(n.id) : n.id);
      if (flags.quiet) {
        for (const n of networks) print(id(n));
        return;
      }
      print(
        columns(
          ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
          networks.map((n) => [id(n), n.name, n.driver, 'local']),
        ),
      );
    });
  network
    .command('inspect')
    .description('Display detailed information on networks, with the containers attached')
    .argument('<network...>')
    .option('-f, --format <template>', 'render each network with a template, e.g. {{.Subnet}}')
    .action((names: string[], flags: { format?: string }) => printInspected(names, ['network'], flags.format));
  network
    .command('rm')
    .description('Remove networks (none may have containers attached)')
    .argument('<network...>')
    .action((names: string[]) => forEachName(names, (name) => api().send('DELETE', net(name))));
  network
    .command('connect')
    .description('Connect a running container to a network')
    .argument('<network>')
    .argument('<container>')
    .option('--alias <name>', 'another DNS name for the container on this network', collect, [])
    .action(async (name: string, container: string, flags: { alias: string[] }) => {
      await api().json('POST', `${net(name)}/connect`, {
        json: { container, aliases: flags.alias.length > 0 ? flags.alias : undefined },
      });
    });
  network
    .command('disconnect')
    .description('Disconnect a container from a network')
    .argument('<network>')
    .argument('<container>')
    .action(async (name: string, container: string) => {
      await api().send('POST', `${net(name)}/disconnect`, { json: { container } });
    });
  network
    .command('prune')
    .description('Remove all user-defined networks no container uses')
    .action(async () => {
      const { deleted } = await api().json<{ deleted: string[] }>('POST', '/v1/networks/prune');
      if (deleted.length > 0) print(['Deleted Networks:', ...deleted].join('\n'));
    });
}
