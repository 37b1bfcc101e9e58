/**
 * Runs one RUN instruction in a real container: the same runc, the same OCI spec defaults as `marina run`
 * (capabilities, seccomp, masked paths, cgroup limits), on the build's overlay snapshot. A build step needs
 * no supervisor that outlives marinad — if marinad dies the build is lost anyway — so runc runs in the
 * foreground (`runc run`) with its stdio on pipes, which is faster than going through conmon.
 *
 * Network `default` joins the default bridge network through the NetworkService, as a container would:
 * a named network namespace is made first, joined, and handed to runc.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { hostsFile, networkChoice, resolvConfFile } from '../engine/etc-files.ts';
import { cgroupsPathOf } from '../engine/layout.ts';
import { userInRootfs } from '../engine/rootfs-user.ts';
import { MarinaError } from '../errors.ts';
import type { NetworkService } from '../network/network-service.ts';
import { readTextOrEmpty } from '../read-text.ts';
import { runCommand } from '../run-command.ts';
import { buildSpec } from '../runtime/spec.ts';
import type { SpecInput } from '../runtime/spec-input.ts';

export type StepNetwork = 'default' | 'none' | 'host';

export interface StepProcess {
  /** A unique container id for this step. */
  id: string;
  rootfs: string;
  argv: string[];
  env: string[];
  cwd: string;
  user: string;
  network: StepNetwork;
  /** Fed to the process's stdin, which is otherwise /dev/null. */
  stdin?: string;
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void;
  signal: AbortSignal;
}

export interface StepRunnerOptions {
  /** `<state root>/build`: bundles and runc state of running steps live under it. */
  dir: string;
  runcPath: string;
  /** Absent when the daemon runs without networking: `default` then means `none`. */
  networks?: NetworkService;
  /** Prefix of the named network namespaces of this daemon's steps (so cleanup finds only its own). */
  netnsPrefix: string;
  logger: Logger;
}

export const buildHostname = 'marina-build';

export class StepRunner {
  readonly #options: StepRunnerOptions;

  constructor(options: StepRunnerOptions) {
    this.#options = options;
  }

  get #runcRoot(): string {
    return join(this.#options.dir, 'runc');
  }

  /** Runs the process to its end; resolves with its exit code. */
  async run(step: StepProcess): Promise<number> {
    const bundle = join(this.#options.dir, 'bundles', step.id);
    await mkdir(bundle, { recursive: true });
    const network = step.network === 'default' && !this.#options.networks ? 'none' : step.network;
    const netns = network === 'default' ? await this.#joinDefaultNetwork(step.id) : undefined;
    try {
      const hostResolv = await readTextOrEmpty('/etc/resolv.conf');
      const etcFiles = {
        hostname: join(bundle, 'hostname'),
        hosts: join(bundle, 'hosts'),
        resolvConf: join(bundle, 'resolv.conf'),
      };
      await writeFile(etcFiles.hostname, `${buildHostname}\n`);
      await writeFile(
        etcFiles.hosts,
        hostsFile(networkChoice(network), await readTextOrEmpty('/etc/hosts'), { hostname: buildHostname, extraHosts: [] }),
      );
      await writeFile(etcFiles.resolvConf, resolvConfFile(hostResolv, netns?.nameservers ?? []));
      const input: SpecInput = {
        rootfs: step.rootfs,
        readOnlyRootfs: false,
        args: step.argv,
        env: step.env,
        cwd: step.cwd,
        user: await userInRootfs(step.user || 'root', step.rootfs),
        hostname: buildHostname,
        tty: false,
        mounts: [],
        resources: {},
        capAdd: [],
        capDrop: [],
        privileged: false,
        noNewPrivileges: false,
        seccomp: 'default',
        cgroupsPath: cgroupsPathOf(step.id),
        network: netns ? { mode: 'path', path: netns.path } : { mode: network === 'host' ? 'host' : 'private' },
        etcFiles,
      };
      await writeFile(join(bundle, 'config.json'), JSON.stringify(buildSpec(input)));
      return await this.#runc(step, bundle);
    } finally {
      if (netns) await this.#leaveDefaultNetwork(step.id, netns.name);
      await rm(bundle, { recursive: true, force: true });
    }
  }

  /** Deletes what a killed marinad left: runc state and bundles of steps that were running. */
  async cleanup(): Promise<void> {
    const list = await runCommand(this.#options.runcPath, ['--root', this.#runcRoot, 'list', '-q']);
    for (const id of list.stdout.split('\n').filter(Boolean)) {
      await runCommand(this.#options.runcPath, ['--root', this.#runcRoot, 'delete', '--force', id]);
    }
    await rm(join(this.#options.dir, 'bundles'), { recursive: true, force: true });
    const namespaces = await runCommand('ip', ['netns', 'list']);
    for (const line of namespaces.stdout.split('\n')) {
      const name = line.split(' ')[0] ?? '';
      if (name.startsWith(this.#options.netnsPrefix)) await runCommand('ip', ['netns', 'del', name]);
    }
  }

  #runc(step: StepProcess, bundle: string): Promise<number> {
    const args = ['--root', this.#runcRoot, 'run', '--bundle', bundle, step.id];
    const child = spawn(this.#options.runcPath, args, {
      stdio: [step.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (data: Buffer) => step.onOutput('stdout', data));
    child.stderr?.on('data', (data: Buffer) => step.onOutput('stderr', data));
    if (step.stdin !== undefined) {
      child.stdin?.on('error', () => {});
      child.stdin?.end(step.stdin);
    }
    const abort = () => {
      runCommand(this.#options.runcPath, ['--root', this.#runcRoot, 'kill', step.id, 'KILL']).catch(() => {});
    };
    step.signal.addEventListener('abort', abort, { once: true });
    return new Promise<number>((resolve, reject) => {
      child.on('error', (err) =>
        reject(new MarinaError('Unavailable', `cannot run runc (${this.#options.runcPath}): ${err.message}`, { cause: err })),
      );
      child.on('close', (code, signal) => {
        step.signal.removeEventListener('abort', abort);
        runCommand(this.#options.runcPath, ['--root', this.#runcRoot, 'delete', '--force', step.id]).finally(() => {
          if (step.signal.aborted) reject(new MarinaError('Conflict', 'the build was cancelled'));
          else resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15));
        });
      });
    });
  }

  async #joinDefaultNetwork(id: string): Promise<{ name: string; path: string; nameservers: string[] }> {
    const name = `${this.#options.netnsPrefix}${id}`;
    const added = await runCommand('ip', ['netns', 'add', name]);
    if (added.code !== 0) throw new MarinaError('Internal', `cannot make the network namespace of a build step: ${added.stderr.trim()}`);
    const path = `/run/netns/${name}`;
    try {
      const joined = await this.#options.networks!.attach({
        containerId: id,
        containerName: id,
        netnsPath: path,
        networks: [{ nameOrId: 'bridge', aliases: [] }],
        ports: [],
      });
      return { name, path, nameservers: joined.nameservers };
    } catch (err) {
      await runCommand('ip', ['netns', 'del', name]);
      throw err;
    }
  }

  async #leaveDefaultNetwork(id: string, name: string): Promise<void> {
    const networks = this.#options.networks!;
    await networks.detach(id).catch((err) => this.#options.logger.warn({ err, id }, 'detaching a build step failed'));
    await networks.release(id).catch((err) => this.#options.logger.warn({ err, id }, 'releasing a build step failed'));
    await runCommand('ip', ['netns', 'del', name]);
  }
}
