/**
 * System-test harness: each test gets its own marinad (own state root, socket, runc root, cgroup parent),
 * started from the built entry points (bin/marinad, bin/marina) exactly as users run them, and torn down
 * even when the test fails: containers killed, mounts undone, conmon processes gone, root removed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeOwnKernelObjects, uniqueNetworkFlags } from './network-kernel.ts';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const marinaBin = join(projectRoot, 'bin/marina');
export const marinadBin = join(projectRoot, 'bin/marinad');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface TestDaemon {
  root: string;
  socket: string;
  /** Where it serves Docker's Engine API (`--docker-socket`). */
  dockerSocket: string;
  /** The default network's bridge device: its own per daemon, as are its subnets. */
  bridge: string;
  /** Runs `marina ARGS` against this daemon. */
  marina(args: string[], options?: RunOptions): Promise<CliResult>;
  /** Like `marina` but throws with the CLI's output when the exit code is not 0; returns stdout. */
  ok(args: string[], options?: RunOptions): Promise<string>;
  /** Runs the real `docker` CLI against this daemon's Docker socket (its own empty config dir). */
  docker(args: string[], options?: RunOptions): Promise<CliResult>;
  /** Like `docker` but asserts the exit code is 0 (the message shows the CLI's output); returns stdout. */
  dockerOk(args: string[], options?: RunOptions): Promise<string>;
  /** Restarts marinad on the same root (after `kill9` or `stop`). */
  start(): Promise<void>;
  stop(): Promise<void>;
  kill9(): void;
  /** Removes everything: containers, mounts, processes, the root. Safe to call twice. */
  destroy(): Promise<void>;
  /** marinad's stderr so far (structured logs), for failure messages. */
  logs(): string;
}

/** A CLI run as an assertion message shows it. */
export const showResult = (r: CliResult) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

type Cleanup = { after: (fn: () => Promise<unknown>) => void };

/** A detached busybox that sleeps, started with the docker CLI; removed when the test ends, pass or fail. */
export async function dockerSleeper(d: TestDaemon, t: Cleanup, name: string, extra: string[] = []): Promise<string> {
  t.after(() => d.docker(['rm', '-f', name]));
  const id = (await d.dockerOk(['run', '-d', '--name', name, ...extra, 'busybox', 'sleep', '600'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  return id;
}

export function runProcess(cmd: string, args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    // A command that exits without reading its input closes the pipe: that is not the test's failure.
    child.stdin.on('error', () => {});
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? (signal ? 128 + 9 : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

async function waitForSocket(path: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`marinad exited with ${child.exitCode}:\n${logs()}`);
    if (existsSync(path)) {
      const ping = await runProcess(marinaBin, ['--host', `unix://${path}`, 'version'], { timeoutMs: 5000 });
      if (ping.code === 0) return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`marinad did not answer on ${path} within 20 s:\n${logs()}`);
}

export interface DaemonOptions {
  /** Extra marinad flags. */
  args?: string[];
  /** Seed `busybox:latest` into the fresh root (default true). */
  seedBusybox?: boolean;
}

export async function startDaemon(options: DaemonOptions = {}): Promise<TestDaemon> {
  const root = mkdtempSync(join(tmpdir(), 'marina-test-'));
  const socket = join(root, 'marina.sock');
  const dockerSocket = join(root, 'docker.sock');
  const dockerConfig = join(root, 'docker-config');
  // Daemons run side by side: each gets its own bridge and subnets unless the test chose them.
  const given = options.args ?? [];
  const network = given.includes('--bridge') ? undefined : uniqueNetworkFlags();
  // No test may send a DNS query off this machine: names the embedded DNS does not know go to a closed
  // loopback port (discard), never to the host's resolver.
  const dnsSink = given.includes('--dns-upstream') ? [] : ['--dns-upstream', '127.0.0.1:9'];
  const args = [...(network?.args ?? []), ...dnsSink, '--docker-socket', dockerSocket, ...given];
  const bridge = network?.bridge ?? given[given.indexOf('--bridge') + 1]!;
  let child: ChildProcess | undefined;
  let stderr = '';
  const env = { MARINA_HOST: `unix://${socket}` };

  const daemon: TestDaemon = {
    root,
    socket,
    dockerSocket,
    bridge,
    docker: (cliArgs, runOptions = {}) =>
      runProcess('docker', cliArgs, {
        ...runOptions,
        env: { DOCKER_HOST: `unix://${dockerSocket}`, DOCKER_CONFIG: dockerConfig, ...runOptions.env },
      }),
    marina: (cliArgs, runOptions = {}) =>
      runProcess(marinaBin, cliArgs, { ...runOptions, env: { ...env, ...runOptions.env } }),
    async dockerOk(args, runOptions) {
      const r = await daemon.docker(args, runOptions);
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${showResult(r)}`);
      return r.stdout;
    },
    async ok(args, runOptions) {
      const r = await daemon.marina(args, runOptions);
      if (r.code !== 0) throw new Error(`marina ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r.stdout;
    },
    async start() {
      const proc = spawn(marinadBin, ['--root', root, '--socket', socket, ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      proc.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      child = proc;
      await waitForSocket(socket, proc, () => stderr);
    },
    async stop() {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
    kill9() {
      child?.kill('SIGKILL');
    },
    async destroy() {
      await daemon.stop().catch(() => {});
      cleanupRoot(root);
      removeOwnKernelObjects(root, bridge);
    },
    logs: () => stderr,
  };
  try {
    await daemon.start();
    if (options.seedBusybox !== false) await daemon.ok(['image', 'seed', 'busybox']);
  } catch (err) {
    await daemon.destroy();
    throw err;
  }
  return daemon;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/**
 * Kills the containers of the daemon whose state is under `root` (runc's, the build's RUN steps) and every
 * process naming that root (conmon, a marinad): what a machine that lost power leaves running — nothing.
 */
export function killContainersOf(root: string): void {
  // The engine's containers, and the build's RUN steps.
  for (const runcRoot of [join(root, 'runc'), join(root, 'build', 'runc')]) {
    if (!existsSync(runcRoot)) continue;
    for (const line of sh('runc', ['--root', runcRoot, 'list', '-q']).split('\n').filter(Boolean)) {
      sh('runc', ['--root', runcRoot, 'kill', '--all', line, 'KILL']);
      sh('runc', ['--root', runcRoot, 'delete', '--force', line]);
    }
  }
  // conmon processes whose command line names this root.
  for (const pid of sh('pgrep', ['-f', root]).split('\n').filter(Boolean)) {
    if (Number(pid) !== process.pid) sh('kill', ['-9', pid]);
  }
}

/**
 * Kills every process whose conmon or runc state lives under `root`, unmounts everything below it and
 * deletes it. Works from the file system alone, so it cleans up after a daemon that crashed.
 */
export function cleanupRoot(root: string): void {
  killContainersOf(root);
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .map((m) => m.replace(/\\040/g, ' '))
    .filter((m) => m === root || m.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) sh('umount', ['-l', m]);
  rmSync(root, { recursive: true, force: true });
}

/** A name unique to this test run, for containers, volumes and images. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Polls `probe` until it returns a truthy value or the time runs out. */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * One daemon for the enclosing suite (or file): started before its first test, destroyed after its last,
 * even when tests fail. Returns a stand-in that forwards to the started daemon, so tests use it directly.
 */
export function useDaemon(options: DaemonOptions = {}): TestDaemon {
  let started: TestDaemon | undefined;
  before(async () => {
    started = await startDaemon(options);
  });
  after(async () => {
    await started?.destroy();
  });
  return new Proxy({} as TestDaemon, {
    get(_target, key) {
      if (!started) throw new Error('the test daemon is used before its suite started');
      return Reflect.get(started, key);
    },
  });
}
