/**
 * `marina build [options] CONTEXT`. The daemon is local, so a directory context travels as its path (nothing is
 * tarred); a .tar/.tar.gz/.tgz file or a tar on stdin is streamed as the body. A Dockerfile from stdin (`-f -`, or
 * `marina build - < Dockerfile`, whose context is then empty) is written to a private temporary directory and sent
 * by path as well: the client sends every body as a tar, and the daemon reads the same files the user does.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { BuildEvent } from '../build/build-service.ts';
import { type ErrorCode, invalid, MarinaError, notFound } from '../errors.ts';
import { isGzip } from '../image/compression.ts';
import { type BuildFailure, type ProgressMode, createBuildProgress } from './build-progress.ts';
import { api, collect, Exit, print } from './cli-support.ts';
import { readJsonLines } from './client.ts';
import { configPath, credentialsFor, readConfig, registryKey } from './docker-config.ts';

interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  label: string[];
  target?: string;
  /** Commander's `--no-cache` is `cache: false`. */
  cache: boolean;
  pull?: boolean;
  platform?: string;
  network: string;
  progress: string;
  quiet?: boolean;
  iidfile?: string;
}

const networks = ['default', 'none', 'host'] as const;

/**
 * `--build-arg K=V` sets K; `--build-arg K` takes K from the environment and is left out when it is not set there,
 * as docker does.
 */
export function parseBuildArgs(values: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const args: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    if (key === '' || /\s/.test(key))
      throw invalid(
        `invalid --build-arg "${value}": expected KEY=VALUE, or KEY to take it from the environment`,
      );
    if (eq >= 0) args[key] = value.slice(eq + 1);
    else if (env[key] !== undefined) args[key] = env[key];
  }
  return args;
}

/** `--label K=V`; a bare `--label K` is an empty value, as docker makes it. */
export function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    if (key === '') throw invalid(`invalid --label "${value}": expected KEY=VALUE`);
    labels[key] = eq < 0 ? '' : value.slice(eq + 1);
  }
  return labels;
}

export function progressMode(flag: string, quiet: boolean, isTTY: boolean): ProgressMode {
  if (quiet) return 'quiet';
  if (flag === 'auto') return isTTY ? 'tty' : 'plain';
  if (flag === 'plain' || flag === 'tty') return flag;
  throw invalid(`invalid --progress "${flag}": use auto, plain or tty`);
}

/** What the first bytes of stdin are: a tar (plain or gzip) context, or a Dockerfile. */
export function stdinKind(head: Buffer): 'tar' | 'dockerfile' {
  if (head.subarray(0, 3).toString('latin1') === 'BZh' || head.subarray(0, 6).equals(xzMagic))
    throw invalid('the context on stdin is bzip2 or xz compressed: send a plain or gzip-compressed tar');
  return isGzip(head) || head.subarray(257, 262).toString('latin1') === 'ustar' ? 'tar' : 'dockerfile';
}

const xzMagic = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** The first bytes of `stream` (enough for the tar magic at 257) and a stream that replays them, then the rest. */
async function peek(stream: Readable, size = 512): Promise<{ head: Buffer; all: Readable }> {
  const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* chunks;
    if (ended) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head: Buffer.concat(chunks), all: Readable.from(replay(), { objectMode: false }) };
}

async function readAllText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const isArchiveName = (path: string): boolean => /\.(tar|tar\.gz|tgz)$/i.test(path);

interface PreparedContext {
  query: { contextPath?: string; dockerfile?: string };
  body?: Readable;
  /** Removes the temporary files made for a Dockerfile from stdin. */
  cleanup(): Promise<void>;
}

/** Writes a Dockerfile from stdin where the daemon can read it; `withEmptyContext` adds an empty directory beside. */
async function stdinDockerfile(text: string, withEmptyContext: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'marina-build-'));
  const dockerfile = join(dir, 'Dockerfile');
  await writeFile(dockerfile, text);
  const context = join(dir, 'context');
  if (withEmptyContext) await mkdir(context);
  return { dockerfile, context, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Checks CONTEXT and -f locally (nothing is sent when they are wrong) and turns them into query and body. */
async function prepareContext(context: string, file: string | undefined): Promise<PreparedContext> {
  const none = async () => {};
  if (context === '-') {
    if (file === '-')
      throw invalid('the context and the Dockerfile cannot both come from stdin: give one of them a path');
    const { head, all } = await peek(process.stdin);
    if (stdinKind(head) === 'tar') return { query: { dockerfile: file }, body: all, cleanup: none };
    if (file !== undefined)
      throw invalid(
        'stdin holds a Dockerfile, not a tar context: -f names a file inside a context, leave it out',
      );
    const made = await stdinDockerfile(await readAllText(all), true);
    return { query: { contextPath: made.context, dockerfile: made.dockerfile }, cleanup: made.cleanup };
  }
  const stats = await stat(context).catch(() => undefined);
  if (stats === undefined) throw notFound(`unable to prepare context: path "${context}" not found`);
  if (stats.isFile()) {
    if (!isArchiveName(context))
      throw invalid(
        `unable to prepare context: "${context}" is a file: give a directory, a .tar/.tar.gz/.tgz archive or - for stdin`,
      );
    if (file === '-')
      throw invalid('-f - needs a directory context: with an archive, -f names a file inside it');
    // Inside an archive, -f names a path in it, as docker takes it.
    return { query: { dockerfile: file }, body: createReadStream(context), cleanup: none };
  }
  if (!stats.isDirectory())
    throw invalid(`unable to prepare context: "${context}" is neither a directory nor a tar archive`);
  const contextPath = resolve(context);
  if (file === '-') {
    const made = await stdinDockerfile(await readAllText(process.stdin), false);
    return { query: { contextPath, dockerfile: made.dockerfile }, cleanup: made.cleanup };
  }
  if (file === undefined) return { query: { contextPath }, cleanup: none };
  // Like docker, -f is relative to the current directory, not to the context.
  const dockerfile = resolve(file);
  if (!(await stat(dockerfile).catch(() => undefined))?.isFile())
    throw notFound(`unable to prepare context: the Dockerfile "${file}" (${dockerfile}) does not exist`);
  return { query: { contextPath, dockerfile }, cleanup: none };
}

/** X-Registry-Config from the saved logins: base64url JSON `{host: {username, password, identitytoken}}`. */
async function registryConfigHeader(): Promise<Record<string, string>> {
  const config = await readConfig(configPath());
  const all: Record<string, { username?: string; password?: string; identitytoken?: string }> = {};
  for (const server of Object.keys(config.auths ?? {})) {
    let credentials: ReturnType<typeof credentialsFor>;
    try {
      credentials = credentialsFor(config, server);
    } catch {
      // A damaged login for one registry must not stop builds that may never pull from it.
      continue;
    }
    if (credentials === undefined) continue;
    all[registryKey(server)] = {
      username: credentials.username,
      password: credentials.password,
      identitytoken: credentials.identityToken,
    };
  }
  return Object.keys(all).length === 0
    ? {}
    : { 'x-registry-config': Buffer.from(JSON.stringify(all)).toString('base64url') };
}

async function build(context: string, flags: BuildFlags): Promise<void> {
  // Everything checked before anything is read from stdin or sent.
  const mode = progressMode(flags.progress, Boolean(flags.quiet), Boolean(process.stderr.isTTY));
  if (!(networks as readonly string[]).includes(flags.network))
    throw invalid(`invalid --network "${flags.network}": use ${networks.join(', ')}`);
  const buildArgs = parseBuildArgs(flags.buildArg, process.env);
  const labels = parseLabels(flags.label);
  const headers = await registryConfigHeader();
  const prepared = await prepareContext(context, flags.file);
  const view = createBuildProgress({
    mode,
    progress: (text) => process.stderr.write(text),
    summary: (text) => process.stdout.write(text),
    columns: process.stderr.columns,
    rows: process.stderr.rows,
  });
  const onInterrupt = () => {
    view.stop();
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  let imageId: string | undefined;
  let failure: (BuildFailure & { code: ErrorCode }) | undefined;
  try {
    const res = await api().send('POST', '/v1/build', {
      query: {
        ...prepared.query,
        t: flags.tag,
        buildargs: Object.keys(buildArgs).length > 0 ? JSON.stringify(buildArgs) : undefined,
        labels: Object.keys(labels).length > 0 ? JSON.stringify(labels) : undefined,
        target: flags.target,
        nocache: !flags.cache,
        pull: flags.pull,
        platform: flags.platform,
        network: flags.network === 'default' ? undefined : flags.network,
      },
      headers,
      ...(prepared.body ? { body: prepared.body } : {}),
    });
    await readJsonLines(res, (line) => {
      if (line.type === 'error') failure = line.error as BuildFailure & { code: ErrorCode };
      else {
        const event = line as unknown as BuildEvent;
        if (event.type === 'result') imageId = event.imageId;
        view.event(event);
      }
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    await prepared.cleanup();
  }
  if (failure) {
    view.fail(failure);
    throw new Exit(1);
  }
  if (imageId === undefined) {
    view.stop();
    throw new MarinaError('Unavailable', 'marinad ended the build without a result: see its log');
  }
  if (flags.quiet) print(imageId);
  // Like docker's --iidfile: the full ID, no newline.
  if (flags.iidfile) await writeFile(flags.iidfile, imageId);
}

export function registerBuildCommand(program: Command): void {
  program
    .command('build')
    .description('Build an image from a Dockerfile')
    .argument(
      '<context>',
      'a directory, a .tar/.tar.gz/.tgz archive, or - for a tar or a Dockerfile on stdin',
    )
    .option('-t, --tag <name>', 'name the image NAME[:TAG] (repeatable)', collect, [])
    .option(
      '-f, --file <path>',
      'the Dockerfile, relative to the current directory (default CONTEXT/Dockerfile; - for stdin)',
    )
    .option(
      '--build-arg <key=value>',
      'set a build-time variable; KEY alone takes it from the environment',
      collect,
      [],
    )
    .option('--label <key=value>', 'set a label on the image (repeatable)', collect, [])
    .option('--target <stage>', 'build up to this stage')
    .option('--no-cache', 'do not use the cache')
    .option('--pull', 'always fetch base images from their registry')
    .option('--platform <os/arch>', "the image's platform (only the host's can run RUN steps)")
    .option('--network <mode>', 'network of RUN steps: default, none or host', 'default')
    .option('--progress <mode>', 'auto, plain or tty', 'auto')
    .option('-q, --quiet', 'print only the image ID')
    .option('--iidfile <path>', 'write the image ID to this file')
    .action(build);
}
