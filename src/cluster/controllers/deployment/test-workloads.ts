/**
 * For in-process controller tests: a real ResourceService on a temporary store, the shared informers, the
 * ReplicaSet and Deployment controllers running, Events collected in memory — and a stand-in node agent
 * that marks pods Running and Ready (those `ready` accepts), since nothing runs pods here.
 */
import type { TestContext } from 'node:test';
import type { TestCluster } from '../../apiserver/test-cluster.ts';
import type { Pod } from '../../resources/pod-schemas.ts';
import { kindByName } from '../../resources/registry.ts';
import type { ControllerInformers } from '../informers.ts';
import { newReplicaSetController } from '../replicaset/replicaset-controller.ts';
import { type ControllerFixture, controllerFixture } from '../test-controllers.ts';
import { newDeploymentController } from './deployment-controller.ts';
import { kubeTime } from '../../resources/kube-time.ts';

export const podKind = kindByName('pods');
export const replicaSetKind = kindByName('replicasets');
export const deploymentKind = kindByName('deployments');

export type Workloads = Pick<ControllerFixture, 'cluster' | 'informers' | 'signal'> & {
  events: ControllerFixture['events']['recorded'];
};

export async function startWorkloads(t: TestContext, options: { ready?: (pod: Pod) => boolean } = {}): Promise<Workloads> {
  const f = await controllerFixture(t);
  const { cluster, informers, events } = f;
  f.run(newReplicaSetController(f.common), newDeploymentController(f.common));
  void playNodeAgent(cluster, informers, options.ready ?? (() => true), f.signal);
  return { cluster, informers, events: events.recorded, signal: f.signal };
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
      const at = kubeTime();
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
