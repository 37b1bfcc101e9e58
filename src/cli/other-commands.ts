/** inspect, events, images, volumes, version, info. */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { marinaVersion } from '../api/version.ts';
import type { SystemInfo } from '../engine/services.ts';
import type { ImageRecord } from '../image/image-types.ts';
import type { VolumeRecord } from '../volume/volume-service.ts';
import { type ErrorCode, isMarinaError, MarinaError } from '../errors.ts';
import { api, collect, Exit, print } from './cli-support.ts';
import { DaemonError, readJsonLines } from './client.ts';
import { decimalSize, shortId, timeAgo } from './human.ts';
import { compileFormat } from './inspect-format.ts';

const enc = encodeURIComponent;
type InspectType = 'container' | 'image' | 'volume';
const inspectPaths: Record<InspectType, (name: string) => string> = {
  container: (n) => `/v1/containers/${enc(n)}`,
  image: (n) => `/v1/images/${enc(n)}`,
  volume: (n) => `/v1/volumes/${enc(n)}`,
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

function printInspected(names: string[], types: InspectType[], format: string | undefined): Promise<void> {
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

/** `docker.io/library/busybox:latest` → [`busybox`, `latest`], as `docker images` shows it. */
export function displayRepoTag(reference: string): [string, string] {
  const short = reference.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
  const at = short.indexOf('@');
  if (at >= 0) return [short.slice(0, at), '<none>'];
  const colon = short.lastIndexOf(':');
  return colon > short.lastIndexOf('/') ? [short.slice(0, colon), short.slice(colon + 1)] : [short, 'latest'];
}

/** One line that rewrites itself on a terminal; whole lines when piped. */
function progressLine(): { update(text: string): void; done(): void } {
  const tty = Boolean(process.stderr.isTTY);
  let shown = false;
  return {
    update(text) {
      if (tty) process.stderr.write(`\r\x1b[K${text}`);
      else process.stderr.write(`${text}\n`);
      shown = true;
    },
    done() {
      if (tty && shown) process.stderr.write('\n');
    },
  };
}

/** Counts bytes through a stream so a terminal can show upload progress. */
function withByteProgress(source: Readable, label: string): Readable {
  if (!process.stderr.isTTY) return source;
  const progress = progressLine();
  let bytes = 0;
  source.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    progress.update(`${label} ${decimalSize(bytes)}`);
  });
  source.on('end', () => progress.done());
  return source;
}

function printImages(images: ImageRecord[], quiet: boolean): void {
  if (quiet) {
    for (const image of images) print(shortId(image.id));
    return;
  }
  const now = Date.now();
  const rows = images.flatMap((image) => {
    const names =
      image.names.length > 0 ? image.names.map(displayRepoTag) : [['<none>', '<none>'] as [string, string]];
    return names.map(([repo, tag]) => [
      repo,
      tag,
      shortId(image.id),
      timeAgo(image.created, now),
      decimalSize(image.size),
    ]);
  });
  const header = ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    print(row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]! + 3) : c)).join(''));
}

async function removeImages(names: string[], force: boolean): Promise<void> {
  let failed = false;
  for (const name of names) {
    try {
      const result = await api().json<{ untagged: string[]; deleted: string[] }>(
        'DELETE',
        `/v1/images/${enc(name)}`,
        { query: { force } },
      );
      for (const u of result.untagged) print(`Untagged: ${u}`);
      for (const d of result.deleted) print(`Deleted: ${d}`);
    } catch (err) {
      if (!(err instanceof MarinaError)) throw err;
      failed = true;
      process.stderr.write(`Error response from daemon: ${err.message}\n`);
    }
  }
  if (failed) throw new Exit(1);
}

export function registerOtherCommands(program: Command): void {
  program
    .command('inspect')
    .description('Return low-level information on containers, images or volumes (a JSON array)')
    .argument('<name...>')
    .option(
      '-f, --format <template>',
      'render each object with a template, e.g. {{.State.ExitCode}} or {{json .Config}}',
    )
    .option('--type <type>', 'only look up this type: container, image or volume')
    .action((names: string[], flags: { format?: string; type?: string }) => {
      const types: InspectType[] =
        flags.type === undefined ? ['container', 'image', 'volume'] : [flags.type as InspectType];
      if (!types.every((t) => t in inspectPaths))
        throw new MarinaError('Invalid', `unknown --type "${flags.type}": use container, image or volume`);
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

  const image = program.command('image').description('Manage images');
  const listImages = (flags: { quiet?: boolean }) =>
    api()
      .json<ImageRecord[]>('GET', '/v1/images')
      .then((images) => printImages(images, Boolean(flags.quiet)));
  program
    .command('images')
    .description('List images')
    .option('-q, --quiet', 'only show image IDs')
    .action(listImages);
  image
    .command('ls')
    .description('List images')
    .option('-q, --quiet', 'only show image IDs')
    .action(listImages);
  image
    .command('inspect')
    .argument('<image...>')
    .option('-f, --format <template>', 'render each image with a template')
    .action((names: string[], flags: { format?: string }) => printInspected(names, ['image'], flags.format));
  const tag = (source: string, target: string) =>
    api()
      .send('POST', `/v1/images/${enc(source)}/tag`, { query: { target } })
      .then(() => {});
  program
    .command('tag')
    .description('Create a tag TARGET that refers to SOURCE')
    .argument('<source>')
    .argument('<target>')
    .action(tag);
  image.command('tag').argument('<source>').argument('<target>').action(tag);
  const rmi = (names: string[], flags: { force?: boolean }) => removeImages(names, Boolean(flags.force));
  program
    .command('rmi')
    .description('Remove images')
    .argument('<image...>')
    .option('-f, --force', 'force removal')
    .action(rmi);
  image.command('rm').argument('<image...>').option('-f, --force', 'force removal').action(rmi);
  image
    .command('prune')
    .description('Remove unused images')
    .option('-a, --all', 'remove all images no container uses, not just dangling ones')
    .action(async (flags: { all?: boolean }) => {
      const result = await api().json<{ deleted: string[]; reclaimedBytes: number }>(
        'POST',
        '/v1/images/prune',
        { query: { all: flags.all } },
      );
      if (result.deleted.length > 0)
        print(['Deleted Images:', ...result.deleted.map((d) => `deleted: ${d}`), ''].join('\n'));
      print(`Total reclaimed space: ${decimalSize(result.reclaimedBytes)}`);
    });
  image
    .command('load')
    .description('Load images from a tar archive (docker save or OCI layout)')
    .option('-i, --input <file>', 'read from a file instead of STDIN')
    .action(async (flags: { input?: string }) => {
      const source = withByteProgress(flags.input ? createReadStream(flags.input) : process.stdin, 'Loading');
      const { loaded } = await api().json<{ loaded: string[] }>('POST', '/v1/images/load', { body: source });
      for (const name of loaded) print(`Loaded image: ${name}`);
    });
  image
    .command('save')
    .description('Save images to a tar archive')
    .argument('<image...>')
    .option('-o, --output <file>', 'write to a file instead of STDOUT')
    .action(async (names: string[], flags: { output?: string }) => {
      if (!flags.output && process.stdout.isTTY) {
        throw new MarinaError(
          'Invalid',
          'refusing to write a tar archive to a terminal: use -o FILE or redirect the output',
        );
      }
      const res = await api().send('GET', '/v1/images/save', { query: { names } });
      await pipeline(res, flags.output ? createWriteStream(flags.output) : process.stdout);
    });
  image
    .command('import')
    .description('Create an image from a root file system tarball (FILE, - for STDIN) or a directory')
    .argument('<source>')
    .argument('<reference>')
    .option('-c, --change <instruction>', 'Dockerfile instruction to apply (CMD, ENV, …)', collect, [])
    .option('-m, --message <message>', 'commit message')
    .action(async (source: string, reference: string, flags: { change: string[]; message?: string }) => {
      const body = await importSource(source);
      const record = await api().json<ImageRecord>('POST', '/v1/images/import', {
        query: { ref: reference, changes: flags.change, message: flags.message },
        body: withByteProgress(body, 'Importing'),
      });
      print(record.id);
    });
  image
    .command('seed')
    .description('Create a built-in image without a registry: busybox or debian')
    .argument('<name>')
    .action(async (name: string) => {
      const res = await api().send('POST', '/v1/images/seed', { query: { name } });
      const progress = progressLine();
      let failure: DaemonError | undefined;
      await readJsonLines(res, (line) => {
        if (typeof line.progress === 'string') progress.update(line.progress);
        else if (line.result) {
          progress.done();
          print((line.result as { reference: string }).reference);
        } else if (typeof line.message === 'string')
          failure = new DaemonError((line.code as ErrorCode) ?? 'Internal', line.message);
      });
      if (failure) {
        progress.done();
        throw failure;
      }
    });

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
    .action(async (names: string[], flags: { force?: boolean }) => {
      let failed = false;
      for (const name of names) {
        try {
          await api().send('DELETE', `/v1/volumes/${enc(name)}`, { query: { force: flags.force } });
          print(name);
        } catch (err) {
          if (!(err instanceof MarinaError)) throw err;
          failed = true;
          process.stderr.write(`Error response from daemon: ${err.message}\n`);
        }
      }
      if (failed) throw new Exit(1);
    });
  volume.command('prune').action(async () => {
    const { deleted } = await api().json<{ deleted: string[] }>('POST', '/v1/volumes/prune');
    if (deleted.length > 0) print(['Deleted Volumes:', ...deleted, ''].join('\n'));
    print(`Total reclaimed volumes: ${deleted.length}`);
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

/** A file, STDIN (`-`) or a directory (tarred on the fly by tar(1)). */
async function importSource(source: string): Promise<Readable> {
  if (source === '-') return process.stdin;
  const stat = statSync(source, { throwIfNoEntry: false });
  if (!stat) throw new MarinaError('NotFound', `${source}: no such file or directory`);
  if (!stat.isDirectory()) return createReadStream(source);
  const tar = spawn('tar', ['-C', source, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return Readable.from(tar.stdout);
}
