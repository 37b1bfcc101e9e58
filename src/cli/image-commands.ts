/** images, image ls|inspect|tag|rm|prune|load|save|import|seed, tag, rmi. */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { type ErrorCode, MarinaError } from '../errors.ts';
import type { ImageRecord } from '../image/image-types.ts';
import { api, collect, forEachName, print } from './cli-support.ts';
import { DaemonError, readJsonLines } from './client.ts';
import { columns, decimalSize, shortId, timeAgo } from './human.ts';
import { printInspected } from './system-commands.ts';

const enc = encodeURIComponent;

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
  print(columns(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
}

function removeImages(names: string[], force: boolean): Promise<void> {
  return forEachName(
    names,
    async (name) => {
      const result = await api().json<{ untagged: string[]; deleted: string[] }>(
        'DELETE',
        `/v1/images/${enc(name)}`,
        {
          query: { force },
        },
      );
      for (const u of result.untagged) print(`Untagged: ${u}`);
      for (const d of result.deleted) print(`Deleted: ${d}`);
    },
    false,
  );
}
export function registerImageCommands(program: Command): void {
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
