/**
 * For in-process controller tests: a real ResourceService on a temporary store, the shared informers, the
 * ReplicaSet and Deployment controllers running, Events collected in memory — and a stand-in node agent
 * that marks pods Running and Ready (those `ready` accepts), since nothing runs pods here.
 */
import type { TestContext } from 'node:test';
import pino from 'pino';
import type { KubeObject } from '../../apiserver/api-kind.ts';
import { openTestCluster, type TestCluster } from '../../apiserver/test-cluster.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import { type ControllerInformers, createInformers } from '../informers.ts';
import { newReplicaSetController } from '../replicaset/replicaset-controller.ts';
import { runController } from '../runtime/controller.ts';
import { newDeploymentController } from './deployment-controller.ts';

export const podKind = kindByName('pods');
export const replicaSetKind = kindByName('replicasets');
export const deploymentKind = kindByName('deployments');

export interface Workloads {
  cluster: TestCluster;
  informers: ControllerInformers;
  events: { reason: string; message: string }[];
  signal: AbortSignal;
}

export async function startWorkloads(t: TestContext, options: { ready?: (pod: Pod) => boolean } = {}): Promise<Workloads> {
  const cluster = await openTestCluster();
  const abort = new AbortController();
  const informers = createInformers(cluster.api, { retryDelayMs: 10 });
  const events: Workloads['events'] = [];
  const recorder = {
    record: async (_: KubeObject, __: string, reason: string, message: string) => {
      events.push({ reason, message });
    },
  };
  const logger = pino({ level: 'silent' });
  const running = [
    informers.run(abort.signal),
    runController(newReplicaSetController({ client: cluster.api, informers, events: recorder }), { logger, signal: abort.signal }),
    runController(newDeploymentController({ client: cluster.api, informers, events: recorder }), { logger, signal: abort.signal }),
    playNodeAgent(cluster, informers, options.ready ?? (() => true), abort.signal),
  ];
  t.after(async () => {
    abort.abort();
    await Promise.allSettled(running);
    await cluster.dispose();
  });
  await informers.synced();
  return { cluster, informers, events, signal: abort.signal };
}

/** Marks each new pod Running, and Ready when `ready` says so. */
async function playNodeAgent(cluster: TestCluster, informers: ControllerInformers, ready: (pod: Pod) => boolean, signal: AbortSignal) {
  const pending = new Set<string>();
  informers.pods.on({ added: (pod) => pending.add(pod.metadata.name!) });
  while (!signal.aborted) {
    for (const name of [...pending]) {
      pending.delete(name);
      const pod = informers.pods.get('default', name) as Pod | undefined;
      if (!pod || pod.metadata.deletionTimestamp) continue;
      const status = ready(pod) ? 'True' : 'False';
      const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await cluster.api
        .updateStatus(podKind, 'default', name, {
          ...pod,
          status: { phase: 'Running', conditions: [{ type: 'Ready', status, lastTransitionTime: at }] },
        })
        .catch(() => pending.add(name));
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function deploymentManifest(name: string, version: string, spec: Record<string, unknown> = {}) {
  return {
    metadata: { name },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, version } },
        spec: { containers: [{ name: 'c', image: `busybox:${version}` }] },
      },
      ...spec,
    },
  };
}
