/** inspect (of any object), events, version, info. */
import type { Command } from 'commander';
import { marinaVersion } from '../api/version.ts';
import type { SystemInfo } from '../engine/services.ts';
import { isMarinaError, MarinaError } from '../errors.ts';
import { api, collect, Exit, print } from './cli-support.ts';
import { readJsonLines } from './client.ts';
import { decimalSize } from './human.ts';
import { compileFormat } from './inspect-format.ts';

const enc = encodeURIComponent;
type InspectType = 'container' | 'image' | 'volume' | 'network';
const inspectPaths: Record<InspectType, (name: string) => string> = {
  container: (n) => `/v1/containers/${enc(n)}`,
  image: (n) => `/v1/images/${enc(n)}`,
  volume: (n) => `/v1/volumes/${enc(n)}`,
  network: (n) => `/v1/networks/${enc(n)}`,
};

/** Looks a name up as each type in turn (docker's order) unless --type narrows it. */
async function inspectAny(name: string, types: InspectType[]): Promise<unknown> {
  for (const type of types) {
    try {
      return await api().json('GET', inspectPaths[type](name));
    } catch (err) {
      if (!isMarinaError(err, 'NotFound')) throw err;
    }
  }
  return undefined;
}

export function printInspected(
  names: string[],
  types: InspectType[],
  format: string | undefined,
): Promise<void> {
  const render = format === undefined ? undefined : compileFormat(format);
  return (async () => {
    const found: unknown[] = [];
    let missing = false;
    for (const name of names) {
      const value = await inspectAny(name, types);
      if (value === undefined) {
        missing = true;
        process.stderr.write(`Error: No such object: ${name}\n`);
      } else if (render) print(render(value));
      else found.push(value);
    }
    if (!render) print(JSON.stringify(found, null, 4));
    if (missing) throw new Exit(1);
  })();
}

export function registerSystemCommands(program: Command): void {
  program
    .command('inspect')
    .description('Return low-level information on containers, images, volumes or networks (a JSON array)')
    .argument('<name...>')
    .option(
      '-f, --format <template>',
      'render each object with a template, e.g. {{.State.ExitCode}} or {{json .Config}}',
    )
    .option('--type <type>', 'only look up this type: container, image, volume or network')
    .action((names: string[], flags: { format?: string; type?: string }) => {
      const types: InspectType[] =
        flags.type === undefined ? ['container', 'image', 'volume', 'network'] : [flags.type as InspectType];
      if (!types.every((t) => t in inspectPaths))
        throw new MarinaError('Invalid', `unknown --type "${flags.type}": use container, image, volume or network`);
      return printInspected(names, types, flags.format);
    });

  program
    .command('events')
    .description('Stream events from the daemon')
    .option('--since <time>', 'show events since a time (RFC 3339 or unix seconds)')
    .option('-f, --filter <key=value>', 'filter: type, event, container, image, volume, label', collect, [])
    .option('--format <fmt>', 'json for one JSON object per line')
    .action(async (flags: { since?: string; filter: string[]; format?: string }) => {
      const filters: Record<string, string[]> = {};
      for (const f of flags.filter) {
        const eq = f.indexOf('=');
        if (eq <= 0) throw new MarinaError('Invalid', `invalid filter "${f}": use key=value`);
        const key = f.slice(0, eq);
        filters[key] = [...(filters[key] ?? []), f.slice(eq + 1)];
      }
      const res = await api().send('GET', '/v1/events', {
        query: { since: flags.since, filters: flags.filter.length > 0 ? JSON.stringify(filters) : undefined },
      });
      await readJsonLines(res, (e) => {
        if (flags.format === 'json') return print(JSON.stringify(e));
        const actor = e.actor as { id: string; attributes: Record<string, string> };
        const when = new Date(Number(e.time) * 1000).toISOString().replace('.000Z', 'Z');
        const attributes = Object.entries(actor.attributes)
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join(', ');
        print(`${when} ${e.type} ${e.action} ${actor.id}${attributes ? ` (${attributes})` : ''}`);
      });
    });

  program
    .command('version')
    .description('Show the client and daemon versions')
    .action(async () => {
      print(
        `Client:\n Version:      ${marinaVersion}\n Node:         ${process.version}\n OS/Arch:      ${process.platform}/${process.arch}\n`,
      );
      const server = await api().json<{
        version: string;
        apiVersion: string;
        os: string;
        arch: string;
        nodeVersion: string;
      }>('GET', '/v1/version');
      print(
        `Server:\n Version:      ${server.version}\n API version:  ${server.apiVersion}\n Node:         ${server.nodeVersion}\n OS/Arch:      ${server.os}/${server.arch}`,
      );
    });

  program
    .command('info')
    .description('Display system-wide information')
    .action(async () => {
      const info = await api().json<SystemInfo>('GET', '/v1/info');
      print(
        [
          `Containers: ${info.containers.total}`,
          ` Running: ${info.containers.running}`,
          ` Stopped: ${info.containers.stopped}`,
          `Images: ${info.images}`,
          `Server Version: ${info.version}`,
          `Marina Root Dir: ${info.root}`,
          `Default Runtime: ${info.runtime}`,
          `Cgroup Version: ${info.cgroupVersion}`,
          `Kernel Version: ${info.kernel}`,
          `Operating System: ${info.os}`,
          `Architecture: ${info.arch}`,
          `CPUs: ${info.cpus}`,
          `Total Memory: ${decimalSize(info.memoryBytes)}`,
        ].join('\n'),
      );
    });
}
