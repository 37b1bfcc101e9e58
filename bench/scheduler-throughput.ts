/**
 * Scheduler throughput, pure: no daemon, no store. Builds a synthetic cluster (varied capacity, zones,
 * disk labels, some tainted nodes) and a workload of ReplicaSet-owned pods (varied requests, some with
 * nodeSelectors, tolerations, topology spread and anti-affinity), schedules every pod in turn — assuming
 * each decision into the snapshot as the real scheduler does — and prints pods bound per second against
 * issue 7's target of 3,000/s. Flags: --nodes N (1000), --pods N (30000), --seed N (1).
 */
import { performance } from 'node:perf_hooks';
import { Scheduler } from '../src/cluster/scheduler/scheduler.ts';
import { ClusterSnapshot } from '../src/cluster/scheduler/snapshot.ts';
import { node, pod } from '../src/cluster/scheduler/test-objects.ts';
import type { NodeView, PodView } from '../src/cluster/scheduler/types.ts';
import { runBench } from './bench-main.ts';
import { readCountFlags } from './flags.ts';
import { markdownTable } from './stats.ts';

const targetPodsPerSecond = 3000;
const zoneKey = 'topology.kubernetes.io/zone';
const zones = ['zone-a', 'zone-b', 'zone-c', 'zone-d', 'zone-e'];
const gpuTaint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
const spotTaint = { key: 'spot', value: 'true', effect: 'PreferNoSchedule' };

/** A seeded generator, so every run schedules the same cluster and workload. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function syntheticNodes(count: number, random: () => number): NodeView[] {
  return Array.from({ length: count }, (_, i) => {
    const size = pick(random, [4, 8, 16, 32]);
    const roll = random();
    return node(`node-${i}`, {
      cpu: size,
      memory: `${size * 4}Gi`,
      pods: 110,
      labels: { [zoneKey]: zones[i % zones.length]!, disk: random() < 0.3 ? 'ssd' : 'hdd' },
      taints: roll < 0.05 ? [gpuTaint] : roll < 0.1 ? [spotTaint] : undefined,
    });
  });
}

/** Pods come in ReplicaSets of 10–50 replicas; a ReplicaSet's placement rules are shared by its pods. */
function syntheticPods(count: number, random: () => number): PodView[] {
  const pods: PodView[] = [];
  for (let set = 0; pods.length < count; set++) {
    const app = `app-${set}`;
    const replicas = Math.min(count - pods.length, 10 + Math.floor(random() * 41));
    const roll = random();
    const shared = {
      labels: { app },
      ownerUid: `rs-${set}`,
      cpu: `${pick(random, [50, 100, 200, 250, 500])}m`,
      memory: `${pick(random, [64, 128, 256, 512, 1024])}Mi`,
      nodeSelector: roll < 0.1 ? { disk: 'ssd' } : undefined,
      tolerations: roll >= 0.1 && roll < 0.15 ? [{ key: 'dedicated', operator: 'Exists' }] : undefined,
      topologySpreadConstraints:
        roll >= 0.15 && roll < 0.3
          ? [
              {
                maxSkew: 1,
                topologyKey: zoneKey,
                whenUnsatisfiable: roll < 0.2 ? 'DoNotSchedule' : 'ScheduleAnyway',
                labelSelector: { matchLabels: { app } },
              },
            ]
          : undefined,
      affinity:
        roll >= 0.3 && roll < 0.33
          ? {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' },
                ],
              },
            }
          : undefined,
    };
    for (let r = 0; r < replicas; r++) pods.push(pod(`${app}-${r}`, shared));
  }
  return pods;
}

async function main(): Promise<void> {
  const flags = readCountFlags({ nodes: 1000, pods: 30_000, seed: 1 });
  const random = seeded(flags.seed);
  const snapshot = new ClusterSnapshot();
  for (const n of syntheticNodes(flags.nodes, random)) snapshot.setNode(n);
  const pods = syntheticPods(flags.pods, random);
  const scheduler = new Scheduler({ seed: flags.seed });

  let bound = 0;
  const unschedulable = new Map<string, number>();
  const started = performance.now();
  for (const p of pods) {
    const result = scheduler.schedule(p, snapshot);
    if (result.kind === 'Scheduled') {
      snapshot.addPod(p, result.node);
      bound++;
    } else {
      unschedulable.set(result.message, (unschedulable.get(result.message) ?? 0) + 1);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const podsPerSecond = bound / seconds;

  console.log(
    `scheduler throughput: ${flags.nodes} synthetic nodes, ${pods.length} pods, one scheduler, no daemon\n`,
  );
  console.log(
    markdownTable(
      ['measurement', 'value', 'target', 'result'],
      [
        ['pods bound', String(bound), '', ''],
        ['pods unschedulable', String(pods.length - bound), '', ''],
        ['seconds', seconds.toFixed(2), '', ''],
        [
          'pods bound/s',
          podsPerSecond.toFixed(0),
          `≥ ${targetPodsPerSecond}`,
          podsPerSecond >= targetPodsPerSecond ? 'PASS' : 'MISS',
        ],
      ],
    ),
  );
  for (const [message, times] of unschedulable) console.log(`\n${times}× ${message}`);
  console.log(`\nnode ${process.version}`);
}

runBench(main);
