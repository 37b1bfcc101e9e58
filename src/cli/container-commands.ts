/** Container verbs: run, create, start, stop, kill, restart, rm, wait, ps, port, logs, exec, stats, container prune. */
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { Command } from 'commander';
import type {
  ContainerRecord,
  ContainerStats,
  ContainerSummary,
  ExecRecord,
  ProcessTable,
} from '../engine/container-types.ts';
import { FrameDecoder } from '../api/stdio-framing.ts';
import { isMarinaError, MarinaError } from '../errors.ts';
import type { PortBinding } from '../network/network-types.ts';
import { api, collect, Exit, forEachName, print } from './cli-support.ts';
import type { Upgraded } from './client.ts';
import { binarySize, columns, cpuPercent, psCommand, shortId, timeAgo } from './human.ts';
import { hostAddressesOf, parsePrivatePort, portLines, psPorts } from './port-format.ts';
import { buildCreateRequest, type CreateFlags } from './run-request.ts';
import { runStdioSession, terminalSize } from './stdio-session.ts';

const enc = encodeURIComponent;
const ctr = (id: string) => `/v1/containers/${enc(id)}`;

/** A `ps` line; `ports` is there while the container runs with published ports. */
type ListedContainer = ContainerSummary & { ports?: PortBinding[] };

function addCreateOptions(command: Command): Command {
  return command
    .option('-i, --interactive', 'keep STDIN open')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option(
      '-e, --env <K=V|K>',
      'set an environment variable (K alone takes it from your environment)',
      collect,
      [],
    )
    .option('--env-file <file>', 'read environment variables from a file', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user name or uid')
    .option('--name <name>', 'container name')
    .option('--entrypoint <cmd>', "overwrite the image's entrypoint ('' clears it)")
    .option('-v, --volume <spec>', 'bind mount /host:/ctr[:ro] or volume name:/ctr[:ro]', collect, [])
    .option('--tmpfs <spec>', 'tmpfs mount /path[:size=64m,mode=1777]', collect, [])
    .option('--read-only', "mount the container's root file system read-only")
    .option('-m, --memory <bytes>', 'memory limit (e.g. 64m, 1g)')
    .option('--cpus <number>', 'number of CPUs (e.g. 0.5)')
    .option('--pids-limit <n>', 'maximum number of processes (-1 unlimited)')
    .option('--restart <policy>', 'no, always, unless-stopped, on-failure[:N]')
    .option('-h, --hostname <name>', 'container host name')
    .option('--network <network>', 'bridge (the default), none (loopback only), host, or a network name')
    .option('--net <network>', 'the same as --network')
    .option('--network-alias <alias>', 'another DNS name for the container on its user-defined network', collect, [])
    .option(
      '-p, --publish <spec>',
      "publish a container port on the host: [hostIP:][hostPort:]containerPort[/tcp|/udp]",
      collect,
      [],
    )
    .option('-P, --publish-all', "publish every port the image exposes on an ephemeral host port")
    .option('--add-host <host:ip>', 'add a line to /etc/hosts', collect, [])
    .option('--dns <ip>', 'use this DNS server', collect, [])
    .option('--cap-add <cap>', 'add a Linux capability', collect, [])
    .option('--cap-drop <cap>', 'drop a Linux capability', collect, [])
    .option('--privileged', 'give extended privileges to this container')
    .option('--security-opt <opt>', 'no-new-privileges[:true|false] or seccomp=unconfined', collect, [])
    .option('--stop-signal <signal>', 'signal to stop the container')
    .option('--stop-timeout <seconds>', 'seconds to wait before killing the container on stop')
    .option('-l, --label <k=v>', 'set a label', collect, [])
    .option('--health-cmd <command>', 'command to run to check health (run by /bin/sh -c)')
    .option('--health-interval <duration>', 'time between health checks, e.g. 30s (default 30s)')
    .option('--health-timeout <duration>', 'maximum time one check may take (default 30s)')
    .option('--health-start-period <duration>', 'start-up time in which failures do not count (default 0s)')
    .option('--health-retries <n>', 'consecutive failures that make the container unhealthy (default 3)')
    .option(
      '--health-on-failure <action>',
      'when unhealthy: restart (default), kill, stop, or none (only mark it)',
    )
    .option('--no-healthcheck', "disable the image's healthcheck");
}

function createRequestFrom(image: string, command: string[], flags: CreateFlags) {
  const envFiles = flags.envFile.map((file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Exit(reportLocal(`cannot read --env-file ${file}: ${(err as Error).message}`));
    }
  });
  return buildCreateRequest(image, command, flags, {
    callerEnv: process.env,
    hostCpus: availableParallelism(),
    envFiles,
    consoleSize: terminalSize(),
  });
}

function reportLocal(message: string): number {
  process.stderr.write(`marina: ${message}\n`);
  return 125;
}

/** docker refuses `-it` without a terminal to read keystrokes from; so does marina (before creating anything). */
function requireTerminalFor(flags: { interactive?: boolean; tty?: boolean; detach?: boolean }): void {
  if (flags.interactive && flags.tty && !flags.detach && !process.stdin.isTTY) {
    process.stderr.write('marina: the input device is not a TTY; drop -t, or run marina from a terminal\n');
    throw new Exit(1);
  }
}

/** Forwards the signals a user sends this process to the container (docker's --sig-proxy). */
function proxySignals(id: string): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = signals.map((signal) => {
    const handler = () =>
      void api()
        .send('POST', `${ctr(id)}/kill`, { query: { signal } })
        .catch(() => {});
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

/** The exit code the engine attached to a process that could not run (126 not executable, 127 not found). */
function reportedExitCode(err: unknown): number | undefined {
  const code = isMarinaError(err) ? err.details?.exitCode : undefined;
  return typeof code === 'number' ? code : undefined;
}

/** docker's exit code for a container that could not start: the engine's 126/127, else 125. */
const startFailureExitCode = (err: unknown): number => reportedExitCode(err) ?? 125;

/**
 * Attach, register the wait, start, stream until the output ends, then take the exit code from the wait.
 * The wait is registered before start (its headers arrive first) so a fast exit is never missed.
 */
async function startAttached(
  id: string,
  options: { stdin: boolean; tty: boolean; autoRemove: boolean; sigProxy: boolean },
): Promise<number> {
  const client = api();
  // Both only need to be in place before start, so they travel together (one round trip less per run).
  const [up, wait] = await Promise.all([
    client.upgrade(`${ctr(id)}/attach`, { stdin: options.stdin }),
    client.send('POST', `${ctr(id)}/wait`, {
      query: { condition: options.autoRemove ? 'removed' : 'next-exit' },
    }),
  ]);
  const waitBody = (async () => {
    let text = '';
    for await (const chunk of wait) text += chunk;
    return JSON.parse(text) as { exitCode?: number; message?: string };
  })();
  waitBody.catch(() => {});
  try {
    await client.send('POST', `${ctr(id)}/start`);
  } catch (err) {
    up.socket.destroy();
    wait.destroy();
    process.stderr.write(`marina: Error response from daemon: ${(err as Error).message}\n`);
    throw new Exit(startFailureExitCode(err));
  }
  const stopProxy = options.sigProxy && !options.tty ? proxySignals(id) : () => {};
  try {
    await runStdioSession(up, {
      stdin: options.stdin,
      tty: options.tty,
      resize: (size) =>
        client.send('POST', `${ctr(id)}/resize`, { query: { h: size.height, w: size.width } }).then(() => {}),
    });
    const result = await waitBody;
    if (typeof result.exitCode !== 'number') {
      process.stderr.write(`marina: waiting for the container failed: ${result.message ?? 'no exit code'}\n`);
      return 125;
    }
    return result.exitCode;
  } finally {
    stopProxy();
  }
}

/**
 * `logs` and `exec` take a pod too: container names and ids never hold a `/`, `pod/web` and `deploy/web`
 * always do. (Decided here, without loading the cluster code, which only a KIND/NAME needs.)
 */
const isClusterTarget = (arg: string): boolean => arg.includes('/');

interface LogsFlags {
  follow?: boolean;
  since?: string;
  until?: string;
  tail?: string;
  n?: string;
  timestamps?: boolean;
  namespace?: string;
  container?: string;
  previous?: boolean;
}

interface ExecFlags {
  interactive?: boolean;
  tty?: boolean;
  env: string[];
  workdir?: string;
  user?: string;
  privileged?: boolean;
  container?: string;
  namespace?: string;
}

/** `logs KIND/NAME`: kubectl's flags (`-n` is the namespace there), through the cluster API. */
async function clusterLogs(target: string, flags: LogsFlags): Promise<void> {
  if (flags.until) throw new MarinaError('Invalid', '--until is for containers: pods take --since');
  const { podLogs } = await import('./cluster-logs.ts');
  const { n, namespace, ...rest } = flags;
  await podLogs(target, { ...rest, namespace: namespace ?? n ?? 'default' });
}

/** `exec KIND/NAME -- CMD`: what kubectl exec takes, through the cluster API. */
async function clusterExec(target: string, command: string[], flags: ExecFlags): Promise<void> {
  if (flags.env.length > 0 || flags.workdir || flags.user || flags.privileged) {
    throw new MarinaError('Invalid', '-e, -w, -u and --privileged are for containers: a pod exec runs as the pod\'s container is set up');
  }
  const { podExec } = await import('./cluster-logs.ts');
  const { container, interactive, tty } = flags;
  // kubectl's form is `exec pod/NAME -- CMD…`; options pass through after the target, so `--` arrives here.
  const args = command[0] === '--' ? command.slice(1) : command;
  if (args.length === 0) throw new MarinaError('Invalid', 'give the command to run: marina exec pod/NAME -- CMD…');
  await podExec(target, args, { namespace: flags.namespace ?? 'default', container, interactive, tty });
}

export function registerContainerCommands(program: Command): void {
  addCreateOptions(
    program
      .command('run')
      .description('Create and run a new container from an image')
      .argument('<image>')
      .argument('[command...]')
      .passThroughOptions()
      .option('-d, --detach', 'run in the background and print the container ID')
      .option('--rm', 'remove the container when it exits')
      .option('--sig-proxy <bool>', 'proxy received signals to the process (non-TTY)', 'true'),
  ).action(async (image: string, command: string[], flags: CreateFlags & { sigProxy: string }) => {
    requireTerminalFor(flags);
    let request: ReturnType<typeof buildCreateRequest>;
    try {
      request = createRequestFrom(image, command, flags);
    } catch (err) {
      if (err instanceof Exit) throw err;
      throw new Exit(reportLocal(`${(err as Error).message}.\nSee 'marina run --help'.`));
    }
    const record = await api().json<ContainerRecord>('POST', '/v1/containers', { json: request });
    if (flags.detach) {
      try {
        await api().send('POST', `${ctr(record.id)}/start`);
      } catch (err) {
        process.stderr.write(`marina: Error response from daemon: ${(err as Error).message}\n`);
        throw new Exit(startFailureExitCode(err));
      }
      print(record.id);
      return;
    }
    const code = await startAttached(record.id, {
      stdin: Boolean(flags.interactive),
      tty: Boolean(flags.tty),
      autoRemove: Boolean(flags.rm),
      sigProxy: flags.sigProxy !== 'false',
    });
    throw new Exit(code);
  });

  addCreateOptions(
    program
      .command('create')
      .description('Create a new container')
      .argument('<image>')
      .argument('[command...]')
      .passThroughOptions()
      .option('--rm', 'remove the container when it exits'),
  ).action(async (image: string, command: string[], flags: CreateFlags) => {
    let request: ReturnType<typeof buildCreateRequest>;
    try {
      request = createRequestFrom(image, command, flags);
    } catch (err) {
      if (err instanceof Exit) throw err;
      throw new Exit(reportLocal(`${(err as Error).message}.\nSee 'marina create --help'.`));
    }
    print((await api().json<ContainerRecord>('POST', '/v1/containers', { json: request })).id);
  });

  program
    .command('start')
    .description('Start one or more stopped containers')
    .argument('<container...>')
    .option('-a, --attach', "attach stdout/stderr and exit with the container's code")
    .option('-i, --interactive', "attach the container's STDIN")
    .action(async (names: string[], flags: { attach?: boolean; interactive?: boolean }) => {
      if (flags.attach || flags.interactive) {
        const record = await api().json<ContainerRecord>('GET', ctr(names[0]!));
        const code = await startAttached(record.id, {
          stdin: Boolean(flags.interactive),
          tty: Boolean(record.request.tty),
          autoRemove: Boolean(record.request.autoRemove),
          sigProxy: true,
        });
        throw new Exit(code);
      }
      await forEachName(names, (name) => api().send('POST', `${ctr(name)}/start`));
    });

  program
    .command('stop')
    .description('Stop one or more running containers')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing')
    .option('-s, --signal <signal>', 'signal to send')
    .action((names: string[], flags: { time?: string; signal?: string }) =>
      forEachName(names, (name) =>
        api().send('POST', `${ctr(name)}/stop`, { query: { t: flags.time, signal: flags.signal } }),
      ),
    );

  program
    .command('kill')
    .description('Kill one or more running containers')
    .argument('<container...>')
    .option('-s, --signal <signal>', 'signal to send', 'KILL')
    .action((names: string[], flags: { signal: string }) =>
      forEachName(names, (name) => api().send('POST', `${ctr(name)}/kill`, { query: { signal: flags.signal } })),
    );

  program
    .command('rename')
    .description('Rename a container')
    .argument('<container>')
    .argument('<new-name>')
    .action(async (name: string, newName: string) => {
      await api().send('POST', `${ctr(name)}/rename`, { query: { name: newName } });
    });

  program
    .command('top')
    .description('Display the running processes of a container')
    .argument('<container>')
    .argument('[ps-options...]', 'options for ps (default -ef)')
    .action(async (name: string, psOptions: string[]) => {
      const query = psOptions.length > 0 ? { psArgs: psOptions.join(' ') } : {};
      const table = await api().json<ProcessTable>('GET', `${ctr(name)}/top`, { query });
      print(columns(table.titles, table.processes));
    });

  program
    .command('restart')
    .description('Restart one or more containers')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing')
    .action((names: string[], flags: { time?: string }) =>
      forEachName(names, (name) => api().send('POST', `${ctr(name)}/restart`, { query: { t: flags.time } })),
    );

  program
    .command('rm')
    .description('Remove one or more containers')
    .argument('<container...>')
    .option('-f, --force', 'kill and remove a running container')
    .option('-v, --volumes', 'remove anonymous volumes of the container')
    .action((names: string[], flags: { force?: boolean; volumes?: boolean }) =>
      forEachName(names, (name) =>
        api().send('DELETE', ctr(name), { query: { force: flags.force, volumes: flags.volumes } }),
      ),
    );

  program
    .command('wait')
    .description('Block until containers stop, then print their exit codes')
    .argument('<container...>')
    .action(async (names: string[]) => {
      await forEachName(
        names,
        async (name) => {
          const res = await api().send('POST', `${ctr(name)}/wait`, { query: { condition: 'not-running' } });
          let text = '';
          for await (const chunk of res) text += chunk;
          const body = JSON.parse(text) as { exitCode?: number; message?: string };
          if (typeof body.exitCode !== 'number') throw new Error(body.message ?? 'wait failed');
          print(String(body.exitCode));
        },
        false,
      );
    });

  program
    .command('ps')
    .description('List containers')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('-q, --quiet', 'only display container IDs')
    .option('--no-trunc', "don't truncate output")
    .action(async (flags: { all?: boolean; quiet?: boolean; trunc: boolean }) => {
      const list = await api().json<ListedContainer[]>('GET', '/v1/containers', {
        query: { all: flags.all },
      });
      const id = (s: ListedContainer) => (flags.trunc ? shortId(s.id) : s.id);
      if (flags.quiet) {
        for (const s of list) print(id(s));
        return;
      }
      const now = Date.now();
      print(
        columns(
          ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
          list.map((s) => [
            id(s),
            s.image,
            psCommand(s.command, flags.trunc),
            timeAgo(s.created, now),
            s.statusText,
            psPorts(s.ports ?? []),
            s.name,
          ]),
        ),
      );
    });

  program
    .command('port')
    .description("List a container's published ports, or the host addresses of one of its ports")
    .argument('<container>')
    .argument('[private_port]', 'PORT or PORT/tcp|udp')
    .action(async (name: string, privatePort: string | undefined) => {
      const wanted = privatePort === undefined ? undefined : parsePrivatePort(privatePort);
      if (privatePort !== undefined && wanted === undefined) {
        throw new MarinaError('Invalid', `invalid port "${privatePort}": use PORT or PORT/tcp|udp, e.g. 80/tcp`);
      }
      const bindings = await api().json<PortBinding[]>('GET', `${ctr(name)}/port`);
      if (wanted === undefined) {
        for (const line of portLines(bindings)) print(line);
        return;
      }
      const addresses = hostAddressesOf(bindings, wanted);
      if (addresses.length === 0) {
        process.stderr.write(`Error: No public port '${wanted.containerPort}/${wanted.protocol}' published for ${name}\n`);
        throw new Exit(1);
      }
      for (const address of addresses) print(address);
    });

  program
    .command('logs')
    .description('Fetch the logs of a container, or of a pod through the cluster API: pod/NAME, deploy/NAME, rs/NAME or job/NAME')
    .argument('<container|kind/name>')
    .option('-f, --follow', 'follow log output')
    .option('--since <time>', 'logs since a timestamp (RFC 3339 or unix seconds) or a duration back from now (10m)')
    .option('--until <time>', 'logs before a timestamp (containers only)')
    .option('--tail <n>', 'number of lines from the end (or all)')
    .option('-n <value>', 'with a container: the same as --tail; with KIND/NAME: the namespace, as in kubectl')
    .option('-t, --timestamps', 'show timestamps')
    .option('--namespace <namespace>', 'KIND/NAME: the namespace (default "default")')
    .option('-c, --container <name>', "KIND/NAME: the pod's container (required when it has several)")
    .option('-p, --previous', "KIND/NAME: the container's previous run, the one before its last restart")
    .action(async (name: string, flags: LogsFlags) => {
      if (isClusterTarget(name)) return clusterLogs(name, flags);
      if (flags.container || flags.previous || flags.namespace) {
        throw new MarinaError('Invalid', '-c, -p and --namespace are for pods (KIND/NAME, e.g. pod/web), not containers');
      }
      const res = await api().send('GET', `${ctr(name)}/logs`, {
        query: {
          follow: flags.follow,
          since: flags.since,
          until: flags.until,
          tail: flags.tail ?? flags.n ?? 'all',
          timestamps: flags.timestamps,
        },
      });
      const decoder = new FrameDecoder();
      for await (const chunk of res) {
        for (const frame of decoder.push(chunk as Buffer))
          (frame.stream === 'stderr' ? process.stderr : process.stdout).write(frame.data);
      }
    });

  program
    .command('exec')
    .description('Run a command in a running container, or in a pod through the cluster API: pod/NAME, deploy/NAME, rs/NAME or job/NAME (then: marina exec [-it] pod/NAME -- CMD…)')
    .argument('<container|kind/name>')
    .argument('<command...>')
    .passThroughOptions()
    .option('-i, --interactive', 'keep STDIN open')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('-e, --env <K=V>', 'set an environment variable (containers only)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container (containers only)')
    .option('-u, --user <user[:group]>', 'user name or uid (containers only)')
    .option('--privileged', 'give extended privileges to the command (containers only)')
    .option('-c, --container <name>', "KIND/NAME: the pod's container (required when it has several)")
    .option('-n, --namespace <namespace>', 'KIND/NAME: the namespace (default "default")')
    .action(
      async (
        name: string,
        command: string[],
        flags: ExecFlags,
      ) => {
        requireTerminalFor(flags);
        if (isClusterTarget(name)) return clusterExec(name, command, flags);
        if (flags.container || flags.namespace) {
          throw new MarinaError('Invalid', '-c and -n are for pods (KIND/NAME, e.g. pod/web), not containers');
        }
        const client = api();
        const exec = await client.json<ExecRecord>('POST', `${ctr(name)}/exec`, {
          json: {
            cmd: command,
            env: flags.env.length > 0 ? flags.env : undefined,
            workingDir: flags.workdir,
            user: flags.user,
            tty: flags.tty || undefined,
            attachStdin: flags.interactive || undefined,
            privileged: flags.privileged || undefined,
            consoleSize: flags.tty ? terminalSize() : undefined,
          },
        });
        const execPath = `/v1/exec/${enc(exec.id)}`;
        let up: Upgraded;
        try {
          up = await client.upgrade(`${execPath}/start`);
        } catch (err) {
          const code = reportedExitCode(err);
          if (code === undefined) throw err;
          process.stderr.write(`Error response from daemon: ${(err as Error).message}\n`);
          throw new Exit(code);
        }
        await runStdioSession(up, {
          stdin: Boolean(flags.interactive),
          tty: Boolean(flags.tty),
          resize: (size) =>
            client
              .send('POST', `${execPath}/resize`, { query: { h: size.height, w: size.width } })
              .then(() => {}),
        });
        // The output ends a moment before the engine has recorded the exit code.
        for (let attempt = 0; attempt < 500; attempt++) {
          const record = await client.json<ExecRecord>('GET', execPath);
          if (!record.running && record.exitCode !== null) throw new Exit(record.exitCode);
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new MarinaError(
          'Internal',
          `exec ${exec.id} ended its output but reported no exit code within 10 s`,
        );
      },
    );

  program
    .command('stats')
    .description('Display resource usage of containers')
    .argument('[container...]')
    .option('--no-stream', 'print one sample and exit')
    .action(async (names: string[], flags: { stream: boolean }) => {
      const ids =
        names.length > 0
          ? names
          : (await api().json<ContainerSummary[]>('GET', '/v1/containers')).map((s) => s.id);
      const sample = () =>
        Promise.all(ids.map((id) => api().json<ContainerStats>('GET', `${ctr(id)}/stats`)));
      let before = await sample();
      do {
        await new Promise((r) => setTimeout(r, 1000));
        const after = await sample();
        const table = statsTable(before, after);
        process.stdout.write(flags.stream && process.stdout.isTTY ? `\x1b[2J\x1b[H${table}\n` : `${table}\n`);
        before = after;
      } while (flags.stream);
    });

  program
    .command('container')
    .description('Manage containers')
    .command('prune')
    .description('Remove all stopped containers')
    .action(async () => {
      const { deleted } = await api().json<{ deleted: string[] }>('POST', '/v1/containers/prune');
      if (deleted.length > 0) print(['Deleted Containers:', ...deleted].join('\n'));
      print('');
      print(`Total reclaimed space: 0B`);
    });
}

function statsTable(before: ContainerStats[], after: ContainerStats[]): string {
  return columns(
    ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'],
    after.map((s, i) => {
      // Without a limit the container may use the whole host, which is what docker shows as the limit.
      const limit = s.memory.limitBytes > 0 ? s.memory.limitBytes : totalmem();
      const memPercent = (s.memory.usageBytes / limit) * 100;
      return [
        shortId(s.id),
        s.name,
        `${cpuPercent(before[i]!.cpu, s.cpu).toFixed(2)}%`,
        `${binarySize(s.memory.usageBytes)} / ${binarySize(limit)}`,
        `${memPercent.toFixed(2)}%`,
        String(s.pids.current),
      ];
    }),
  );
}

