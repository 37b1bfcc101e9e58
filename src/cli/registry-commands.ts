/** pull, push (also under `image`), login, logout, and `registry user|anonymous-pull|gc` for the built-in registry. */
import type { IncomingMessage } from 'node:http';
import type { Command } from 'commander';
import { type ErrorCode, MarinaError } from '../errors.ts';
import { parseReference, parseReferenceLoose } from '../image/reference.ts';
import type { TransferProgress } from '../registry/client/image-transfer.ts';
import type { RegistryUser } from '../registry/server/auth/authorizer.ts';
import type { GcResult } from '../registry/server/distribution.ts';
import { api, forEachName, print } from './cli-support.ts';
import { DaemonError, readJsonLines } from './client.ts';
import {
  configPath,
  credentialsFor,
  encodeRegistryAuth,
  readConfig,
  withCredentials,
  withoutCredentials,
  writeConfig,
} from './docker-config.ts';
import { columns, decimalSize, timeAgo } from './human.ts';
import { canPrompt, prompt, readSecretFromStdin } from './prompt.ts';
import { createProgressRenderer } from './transfer-progress.ts';

/** The X-Registry-Auth header for the registry `reference` lives in, when a login for it is saved. */
async function authHeaders(reference: string): Promise<Record<string, string>> {
  const server = parseReference(reference).domain;
  const credentials = credentialsFor(await readConfig(configPath()), server);
  return credentials ? { 'x-registry-auth': encodeRegistryAuth(credentials, server) } : {};
}

/**
 * Shows a pull or push stream as it comes (the daemon's lines include docker's closing `Digest: …` and
 * `Status: …`) and resolves with its result line; an error line becomes the thrown error.
 */
async function followTransfer<T>(res: IncomingMessage, quiet: boolean): Promise<T> {
  const renderer = quiet ? undefined : await createProgressRenderer(process.stdout);
  // Bars hide the cursor; give it back when the user interrupts.
  const onInterrupt = () => {
    renderer?.stop();
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  let result: T | undefined;
  let failure: DaemonError | undefined;
  try {
    await readJsonLines(res, (line) => {
      if (line.progress) renderer?.update(line.progress as TransferProgress);
      else if (line.result) result = line.result as T;
      else if (typeof line.message === 'string')
        failure = new DaemonError((line.code as ErrorCode) ?? 'Internal', line.message);
    });
  } finally {
    renderer?.stop();
    process.removeListener('SIGINT', onInterrupt);
  }
  if (failure) throw failure;
  if (result === undefined)
    throw new MarinaError('Unavailable', 'marinad ended the transfer without a result: see its log');
  return result;
}

async function pull(reference: string, flags: { platform?: string; quiet?: boolean }): Promise<void> {
  const loose = parseReferenceLoose(reference);
  if (!flags.quiet && loose.tag === undefined && loose.digest === undefined)
    print('Using default tag: latest');
  const res = await api().send('POST', '/v1/images/pull', {
    query: { ref: reference, platform: flags.platform },
    headers: await authHeaders(reference),
  });
  // Docker's last line of a pull, and all of `pull -q`: the full reference.
  print((await followTransfer<{ reference: string }>(res, Boolean(flags.quiet))).reference);
}

async function push(reference: string, flags: { quiet?: boolean }): Promise<void> {
  const res = await api().send('POST', '/v1/images/push', {
    query: { ref: reference },
    headers: await authHeaders(reference),
  });
  const result = await followTransfer<{ reference: string }>(res, Boolean(flags.quiet));
  if (flags.quiet) print(result.reference);
}

/** Adds `pull` and `push` to `parent`: the top level and `image` share them. */
function addTransferCommands(parent: Command): void {
  parent
    .command('pull')
    .description('Download an image from a registry')
    .argument('<reference>', 'image to pull, e.g. busybox or localhost:5000/team/app:1.0')
    .option('--platform <os/arch>', "pick this platform from a multi-platform image (default: the host's)")
    .option('-q, --quiet', 'only print the image reference')
    .action(pull);
  parent
    .command('push')
    .description('Upload an image to the registry in its name')
    .argument('<reference>', 'local image to push, e.g. localhost:5000/team/app:1.0')
    .option('-q, --quiet', 'only print the image reference')
    .action(push);
}

async function readPassword(flags: { password?: string; passwordStdin?: boolean }): Promise<string> {
  if (flags.password !== undefined) return flags.password;
  if (flags.passwordStdin) return readSecretFromStdin('the password');
  return prompt('Password: ', { hidden: true });
}

async function login(
  server: string,
  flags: { username?: string; password?: string; passwordStdin?: boolean },
): Promise<void> {
  if (flags.password !== undefined && flags.passwordStdin)
    throw new MarinaError('Invalid', '--password and --password-stdin cannot be used together: pick one');
  if (flags.passwordStdin && flags.username === undefined)
    throw new MarinaError('Invalid', '--password-stdin needs --username: stdin carries only the password');
  if (flags.password !== undefined)
    process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  if (flags.username === undefined && !canPrompt())
    throw new MarinaError(
      'Invalid',
      'cannot ask for a username without a terminal: pass -u USER and --password-stdin',
    );
  const username = flags.username ?? (await prompt('Username: ')).trim();
  const password = await readPassword(flags);
  if (username === '' || password === '')
    throw new MarinaError('Invalid', 'the username and the password must not be empty');
  const { identityToken } = await api().json<{ status: string; identityToken?: string }>('POST', '/v1/auth', {
    json: { serveraddress: server, username, password },
  });
  const path = configPath();
  await writeConfig(
    path,
    withCredentials(await readConfig(path), server, { username, password, identityToken }),
  );
  print('Login Succeeded');
}

async function logout(server: string): Promise<void> {
  const path = configPath();
  const config = withoutCredentials(await readConfig(path), server);
  if (config === undefined) {
    print(`Not logged in to ${server}`);
    return;
  }
  await writeConfig(path, config);
  print(`Removing login credentials for ${server}`);
}

async function newUserPassword(passwordStdin: boolean): Promise<string> {
  if (passwordStdin) return readSecretFromStdin('the password');
  if (!canPrompt())
    throw new MarinaError('Invalid', 'no terminal to ask the password on: pipe it in with --password-stdin');
  const password = await prompt('Password: ', { hidden: true });
  if (password === '') throw new MarinaError('Invalid', 'the password must not be empty');
  if ((await prompt('Confirm password: ', { hidden: true })) !== password)
    throw new MarinaError('Invalid', 'the passwords do not match: run the command again');
  return password;
}

const enc = encodeURIComponent;

function registerRegistryAdmin(program: Command): void {
  const registry = program
    .command('registry')
    .description("Manage the built-in registry's users, access and storage");

  const user = registry.command('user').description('Manage registry users (bcrypt passwords)');
  user
    .command('add')
    .description('Add a registry user; the password is asked twice on a terminal')
    .argument('<name>')
    .option('--password-stdin', 'read the password from stdin')
    .option('--pull-only', 'may pull but not push or delete')
    .action(async (name: string, flags: { passwordStdin?: boolean; pullOnly?: boolean }) => {
      const password = await newUserPassword(Boolean(flags.passwordStdin));
      await api().json<RegistryUser>('POST', '/v1/registry/users', {
        json: { name, password, pullOnly: Boolean(flags.pullOnly) },
      });
      print(name);
    });
  user
    .command('rm')
    .description('Remove registry users')
    .argument('<name...>')
    .action((names: string[]) =>
      forEachName(names, (name) =>
        api()
          .send('DELETE', `/v1/registry/users/${enc(name)}`)
          .then((res) => res.resume()),
      ),
    );
  user
    .command('ls')
    .description('List registry users')
    .action(async () => {
      const users = await api().json<RegistryUser[]>('GET', '/v1/registry/users');
      const now = Date.now();
      const rows = users.map((u) => [
        u.name,
        u.pullOnly ? 'pull' : 'pull, push, delete',
        timeAgo(u.created, now),
      ]);
      print(columns(['NAME', 'ACCESS', 'CREATED'], rows));
    });

  const anonymous = registry
    .command('anonymous-pull')
    .description('Manage which repositories anyone may pull without logging in');
  anonymous
    .command('add')
    .description('Allow anonymous pull of repositories matching PATTERN: a name, prefix/* or *')
    .argument('<pattern>')
    .action(async (pattern: string) => {
      await api().json('POST', '/v1/registry/anonymous-pull', { json: { pattern } });
      print(pattern);
    });
  anonymous
    .command('rm')
    .description('Stop allowing anonymous pull for PATTERN')
    .argument('<pattern>')
    .action(async (pattern: string) => {
      (await api().send('DELETE', '/v1/registry/anonymous-pull', { query: { pattern } })).resume();
      print(pattern);
    });
  anonymous
    .command('ls')
    .description('List the patterns open to anonymous pull')
    .action(async () => {
      for (const pattern of await api().json<string[]>('GET', '/v1/registry/anonymous-pull')) print(pattern);
    });

  registry
    .command('gc')
    .description('Remove blobs (and with --untagged, manifests) that nothing references any more')
    .option(
      '--min-age <seconds>',
      'keep blobs linked more recently than this, as a push may still need them (default 600)',
    )
    .option('--untagged', 'also remove manifests no tag or other manifest refers to')
    .option('--dry-run', 'only report what would be removed')
    .action(async (flags: { minAge?: string; untagged?: boolean; dryRun?: boolean }) => {
      if (flags.minAge !== undefined && !/^\d+$/.test(flags.minAge))
        throw new MarinaError('Invalid', `--min-age "${flags.minAge}" must be a whole number of seconds`);
      const result = await api().json<GcResult>('POST', '/v1/registry/gc', {
        query: { minAge: flags.minAge, untagged: flags.untagged, dryRun: flags.dryRun },
      });
      const verb = flags.dryRun ? 'Would remove' : 'Removed';
      print(
        [
          `${verb} blob links: ${result.blobLinksRemoved}`,
          `${verb} manifests: ${result.manifestsRemoved}`,
          `${verb} blobs: ${result.blobsRemoved}`,
          `Total ${flags.dryRun ? 'reclaimable' : 'reclaimed'} space: ${decimalSize(result.reclaimedBytes)}`,
        ].join('\n'),
      );
    });
}

export function registerRegistryCommands(program: Command): void {
  addTransferCommands(program);
  // `image` comes from the image commands; registered after them, pull and push join it there.
  const image =
    program.commands.find((command) => command.name() === 'image') ??
    program.command('image').description('Manage images');
  addTransferCommands(image);
  program
    .command('login')
    .description('Log in to a registry and save the credentials in $MARINA_CONFIG/config.json (0600)')
    .argument('<server>', 'registry host[:port], e.g. localhost:5000')
    .option('-u, --username <user>', 'user name (asked on a terminal when missing)')
    .option(
      '-p, --password <password>',
      'password (insecure: visible to other users; prefer --password-stdin)',
    )
    .option('--password-stdin', 'read the password from stdin')
    .action(login);
  program
    .command('logout')
    .description('Remove the saved credentials for a registry')
    .argument('<server>', 'registry host[:port]')
    .action(logout);
  registerRegistryAdmin(program);
}
