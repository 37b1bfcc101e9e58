/**
 * Pod startup latency, part (1) of `npm run bench:control-plane`, also runnable alone
 * (`node bench/control-plane-startup.ts --replicas N --runs N`): a Deployment of busybox pods applied
 * through the API and run by marinad's own node agent; for each pod, the time from the apply to its
 * Ready condition seen on a watch. Beside the latencies it reports the CPU time marinad and every tool it
 * runs (runc, conmon, ip, mount…) spent per pod, measured by a cpuacct cgroup around them, and how busy
 * the host's CPUs were meanwhile: whether startup was CPU-bound, and whether a change made it cheaper or
 * the machine was only quieter.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ApiClient, readJsonLines } from '../src/cli/client.ts';
import { isPodReady } from '../test/cluster-helpers.ts';
import type { TestDaemon } from '../test/harness.ts';
import { buildMarina, runBench, startBenchDaemon, versionsLine } from './bench-main.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { readCountFlags } from './flags.ts';
import { markdownTable, ms, type Summary, summarize } from './stats.ts';

interface PodEvent {
  type: string;
  object: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } };
}

const podsPath = '/api/v1/namespaces/default/pods';

/** Applies a Deployment of `replicas` and times each pod from the apply to Ready; then deletes it all. */
export async function podStartupLatency(
  client: ApiClient,
  replicas: number,
  cpu?: CpuMeter,
): Promise<{ latencies: number[]; cpu?: CpuUse }> {
  const list = await client.json<{ metadata: { resourceVersion: string } }>('GET', podsPath);
  const readyAt = new Map<string, number>();
  let allReady: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allReady = resolve;
  });
  const stream = await client.send('GET', podsPath, {
    query: { watch: 'true', resourceVersion: list.metadata.resourceVersion, labelSelector: 'app=startup' },
  });
  const reading = readJsonLines(stream, (value) => {
    const event = value as unknown as PodEvent;
    if (event.type === 'DELETED' || readyAt.has(event.object.metadata.name) || !isPodReady(event.object)) return;
    readyAt.set(event.object.metadata.name, performance.now());
    if (readyAt.size === replicas) allReady();
  }).catch(() => {});
  const cpuBefore = cpu?.used();
  const start = performance.now();
  await client.json('POST', '/apis/apps/v1/namespaces/default/deployments', {
    json: {
      metadata: { name: 'startup' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'startup' } },
        template: {
          metadata: { labels: { app: 'startup' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'sleep',
                image: 'busybox',
                imagePullPolicy: 'IfNotPresent',
                command: ['sleep', '3600'],
              },
            ],
          },
        },
      },
    },
  });
  await done;
  const cpuAfter = cpu?.used();
  const used =
    cpuBefore && cpuAfter
      ? {
          totalMs: cpuAfter.totalMs - cpuBefore.totalMs,
          daemonMs: cpuAfter.daemonMs - cpuBefore.daemonMs,
          hostBusyMs: cpuAfter.hostBusyMs - cpuBefore.hostBusyMs,
          hostElapsedMs: cpuAfter.hostElapsedMs - cpuBefore.hostElapsedMs,
        }
      : undefined;
  stream.destroy();
  await reading;
  await client.json('DELETE', '/apis/apps/v1/namespaces/default/deployments/startup', {
    json: { propagationPolicy: 'Foreground' },
  });
  for (let left = replicas; left > 0; await new Promise((resolve) => setTimeout(resolve, 500))) {
    left = (
      await client.json<{ items: unknown[] }>('GET', podsPath, { query: { labelSelector: 'app=startup' } })
    ).items.length;
  }
  return { latencies: [...readyAt.values()].map((at) => at - start), cpu: used };
}

export interface CpuUse {
  /** marinad and every process it started, but not the containers (nor runc's init, which runs in them). */
  totalMs: number;
  /** marinad's own process. */
  daemonMs: number;
  /** The whole host (every process and the kernel): busy and elapsed CPU time over all cores. */
  hostBusyMs: number;
  hostElapsedMs: number;
}

/** CPU time used so far by marinad and the tools it runs, from a cgroup v1 cpuacct group they run in. */
export interface CpuMeter {
  used(): CpuUse;
  close(): void;
}

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

const cpuacctRoot = '/sys/fs/cgroup/cpuacct';

/**
 * Moves marinad and its children (the spawn helper) into a cpuacct group of their own; everything they
 * start later (runc, conmon, ip…) lands there too, while containers go to the cgroups runc makes for
 * them. Undefined when the host has no cgroup v1 cpuacct hierarchy (then only latencies are reported).
 */
export function meterDaemon(daemon: TestDaemon): CpuMeter | undefined {
  if (!existsSync(join(cpuacctRoot, 'cpuacct.usage'))) return undefined;
  const group = join(cpuacctRoot, `marina-bench-${process.pid}`);
  mkdirSync(group, { recursive: true });
  const pids = daemonProcesses(daemon.socket);
  for (const pid of pids) writeFileSync(join(group, 'cgroup.procs'), String(pid));
  return {
    used: () => {
      const stat = readFileSync(`/proc/${pids[0]}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      // /proc/stat's first line: user nice system idle iowait irq softirq steal… in ticks, all cores.
      const host = readFileSync('/proc/stat', 'utf8')
        .split('\n')[0]!
        .trim()
        .split(/\s+/)
        .slice(1, 9)
        .map(Number);
      const hostTicks = host.reduce((sum, t) => sum + t, 0);
      const idleTicks = host[3]! + host[4]!;
      return {
        totalMs: Number(readFileSync(join(group, 'cpuacct.usage'), 'utf8')) / 1e6,
        daemonMs: (ticks * 1000) / ticksPerSecond,
        hostBusyMs: ((hostTicks - idleTicks) * 1000) / ticksPerSecond,
        hostElapsedMs: (hostTicks * 1000) / ticksPerSecond,
      };
    },
    close() {
      // marinad and the conmons it left running go back to the root group, so that this one can go.
      for (const pid of readFileSync(join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(join(cpuacctRoot, 'cgroup.procs'), pid);
        } catch {
          // It exited meanwhile.
        }
      }
      rmdirSync(group);
    },
  };
}

/** marinad (the node process serving `socket`, first) and its descendants. */
function daemonProcesses(socket: string): number[] {
  const parentOf = new Map<number, number>();
  let daemon: number | undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('marinad.js')) && argv.includes(socket)) daemon = Number(entry);
    } catch {
      // The process exited while we looked.
    }
  }
  if (daemon === undefined) throw new Error(`no marinad process serving ${socket}`);
  const found = [daemon];
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parentOf) {
      if (found.includes(parent) && !found.includes(pid)) {
        found.push(pid);
        grew = true;
      }
    }
  }
  return found;
}

export function startupTable(replicas: number, startup: Summary, cpu?: CpuUse): string {
  const verdict = startup.p99 <= 1000 ? 'PASS' : startup.p99 <= 5000 ? 'MISS (within SLO)' : 'MISS';
  return [
    markdownTable(
      ['measurement', 'n', 'p50 ms', 'p99 ms', 'target', 'result'],
      [
        [
          'apply → pod Ready',
          String(startup.n),
          ms(startup.median),
          ms(startup.p99),
          'p99 ≤ 1000 (SLO ≤ 5000)',
          verdict,
        ],
      ],
    ),
    ...(cpu === undefined
      ? []
      : [
          `\nCPU from the apply until all ${replicas} were Ready, per pod: ${ms(cpu.totalMs / replicas)} ms for marinad ` +
            `and the tools it runs, of which marinad itself ${ms(cpu.daemonMs / replicas)} ms; the host's CPUs were ` +
            `${((100 * cpu.hostBusyMs) / cpu.hostElapsedMs).toFixed(0)}% busy`,
        ]),
  ].join('\n');
}

async function main(): Promise<void> {
  const flags = readCountFlags({ replicas: 100, runs: 1, 'timeout-s': 900 });
  const cleanup = new CleanupStack();
  cleanup.exitOnSignalsAndAfter(flags['timeout-s'] * 1000);
  try {
    console.log('preparing: build, daemon…');
    buildMarina();
    const { daemon, client } = await startBenchDaemon(cleanup);
    const cpu = meterDaemon(daemon);
    if (cpu) cleanup.defer('remove the CPU accounting group', () => cpu.close());
    for (let run = 1; run <= flags.runs; run++) {
      console.log(
        `\npod startup, run ${run}/${flags.runs}: a Deployment of ${flags.replicas} on marinad's own node…`,
      );
      const startup = await podStartupLatency(client, flags.replicas, cpu);
      console.log(startupTable(flags.replicas, summarize(startup.latencies), startup.cpu));
    }
    console.log(
      `\n${await versionsLine([
        ['runc', '--version'],
        ['conmon', '--version'],
      ])}`,
    );
  } finally {
    await cleanup.run();
  }
}

if (import.meta.main) runBench(main);
