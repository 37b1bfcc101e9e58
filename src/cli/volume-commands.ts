/** volume create|ls|inspect|rm|prune. */
import type { Command } from 'commander';
import type { VolumeRecord } from '../volume/volume-service.ts';
import { api, collect, forEachName, print } from './cli-support.ts';
import { printInspected } from './system-commands.ts';

const enc = encodeURIComponent;

export function registerVolumeCommands(program: Command): void {
  const volume = program.command('volume').description('Manage volumes');
  volume
    .command('create')
    .argument('[name]')
    .option('-l, --label <k=v>', 'set a label', collect, [])
    .action(async (name: string | undefined, flags: { label: string[] }) => {
      const labels = Object.fromEntries(
        flags.label.map((l) => [l.split('=')[0]!, l.slice(l.indexOf('=') + 1)]),
      );
      const record = await api().json<VolumeRecord>('POST', '/v1/volumes', {
        json: { name, labels: flags.label.length > 0 ? labels : undefined },
      });
      print(record.name);
    });
  volume
    .command('ls')
    .option('-q, --quiet', 'only display volume names')
    .action(async (flags: { quiet?: boolean }) => {
      const volumes = await api().json<VolumeRecord[]>('GET', '/v1/volumes');
      if (flags.quiet) for (const v of volumes) print(v.name);
      else
        for (const line of [['DRIVER', 'VOLUME NAME'], ...volumes.map((v) => [v.driver, v.name])])
          print(`${line[0]!.padEnd(10)}${line[1]}`);
    });
  volume
    .command('inspect')
    .argument('<name...>')
    .option('-f, --format <template>', 'render each volume with a template')
    .action((names: string[], flags: { format?: string }) => printInspected(names, ['volume'], flags.format));
  volume
    .command('rm')
    .argument('<name...>')
    .option('-f, --force', 'remove even when in use')
    .action((names: string[], flags: { force?: boolean }) =>
      forEachName(names, (name) =>
        api().send('DELETE', `/v1/volumes/${enc(name)}`, { query: { force: flags.force } }),
      ),
    );
  volume.command('prune').action(async () => {
    const { deleted } = await api().json<{ deleted: string[] }>('POST', '/v1/volumes/prune');
    if (deleted.length > 0) print(['Deleted Volumes:', ...deleted, ''].join('\n'));
    print(`Total reclaimed volumes: ${deleted.length}`);
  });
}
