/**
 * Registers the agent's Node (created, or its labels and status brought up to date) and keeps its Lease
 * renewed, which is how the node lifecycle controller knows the node is alive. The Node's status is
 * written again when it is not Ready (the controller marked it Unknown while the agent was away) or its
 * heartbeat is old.
 */
import type { Logger } from 'pino';
import { isMarinaError } from '../../errors.ts';
import type { ResourceClient } from '../apiserver/resource-client.ts';
import { type Lease, nodeLeaseNamespace } from '../resources/coordination-schemas.ts';
import type { Node } from '../resources/core-schemas.ts';
import { kindByName } from '../resources/registry.ts';
import { getOrUndefined } from './api-reads.ts';
import {
  type HostFacts,
  leaseSpec,
  nodeLabels,
  nodeStatus,
  nodeStatusDue,
} from './node-object.ts';
import { abortableSleep } from '../../abortable-sleep.ts';
import { kubeTime } from '../resources/kube-time.ts';

const nodes = kindByName('nodes');
const leases = kindByName('leases');

export interface NodeRegistrationOptions {
  client: ResourceClient;
  nodeName: string;
  facts: HostFacts;
  /** Lease renewal period (default 10 s). */
  leaseRenewMs?: number;
  leaseDurationSeconds?: number;
  /** How often the Node's status is written while all is well (default 1 min). */
  statusUpdateMs?: number;
  logger: Logger;
}

export class NodeRegistration {
  readonly #options: NodeRegistrationOptions;

  constructor(options: NodeRegistrationOptions) {
    this.#options = options;
  }

  /** Creates or updates the Node and writes its status. */
  async register(): Promise<void> {
    const { client, nodeName, facts } = this.#options;
    const labels = nodeLabels(nodeName, facts);
    let node = await getOrUndefined(client, nodes, undefined, nodeName);
    if (!node) {
      try {
        node = (await client.create(nodes, undefined, { metadata: { name: nodeName, labels }, spec: {} }))
          .object;
      } catch (err) {
        if (!isMarinaError(err, 'Conflict')) throw err;
        node = await client.get(nodes, undefined, nodeName);
      }
    } else if (Object.entries(labels).some(([key, value]) => node?.metadata.labels?.[key] !== value)) {
      node = (await client.patch(nodes, undefined, nodeName, { metadata: { labels } }, { type: 'merge' }))
        .object;
    }
    await this.#writeStatus(node as unknown as Node);
  }

  /** Renews the Lease every period (and the Node's status when due) until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const every = this.#options.leaseRenewMs ?? 10_000;
    while (!signal.aborted) {
      try {
        await this.renewLease();
        const node = (await getOrUndefined(
          this.#options.client,
          nodes,
          undefined,
          this.#options.nodeName,
        )) as unknown as Node | undefined;
        if (!node) await this.register();
        else if (nodeStatusDue(node.status, Date.now(), this.#options.statusUpdateMs ?? 60_000))
          await this.#writeStatus(node);
      } catch (err) {
        if (signal.aborted) break;
        this.#options.logger.warn({ err }, 'renewing the node lease failed; trying again');
      }
      await abortableSleep(every, signal);
    }
  }

  async renewLease(): Promise<void> {
    const { client, nodeName } = this.#options;
    const duration = this.#options.leaseDurationSeconds ?? 40;
    const now = new Date().toISOString();
    const lease = (await getOrUndefined(client, leases, nodeLeaseNamespace, nodeName)) as unknown as
      | Lease
      | undefined;
    if (!lease) {
      await client.create(leases, nodeLeaseNamespace, {
        metadata: { name: nodeName },
        spec: leaseSpec(nodeName, undefined, duration, now),
      });
      return;
    }
    await client.update(leases, nodeLeaseNamespace, nodeName, {
      ...lease,
      spec: leaseSpec(nodeName, lease.spec, duration, now),
    });
  }

  async #writeStatus(node: Node): Promise<void> {
    const status = nodeStatus(this.#options.facts, node.status, kubeTime(new Date()));
    await this.#options.client.updateStatus(nodes, undefined, this.#options.nodeName, {
      metadata: { name: this.#options.nodeName },
      status,
    });
  }
}
