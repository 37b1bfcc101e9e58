/**
 * What marinad runs as a node of a cluster, all fed through one ResourceClient so it works the same
 * beside its own control plane and joined to another's: the node agent (Marina's kubelet), the service
 * proxy that programs Services into the kernel (kube-proxy), and the cluster DNS that answers Service
 * names to the node's pods (node-local, on the pod network's gateway). The proxy and the DNS read one
 * shared view of Services and EndpointSlices.
 */
import type { Logger } from 'pino';
import { hostFacts } from '../cluster/agent/host-facts.ts';
import type { ImagePull } from '../cluster/agent/image-puller.ts';
import { ClusterDns } from '../cluster/agent/cluster-dns/cluster-dns.ts';
import { NodeAgent } from '../cluster/agent/node-agent.ts';
import { ServiceProxy } from '../cluster/agent/service-proxy/service-proxy.ts';
import { WatchedServiceView } from '../cluster/agent/service-view.ts';
import type { ResourceClient } from '../cluster/apiserver/resource-client.ts';
import { EventRecorder } from '../cluster/controllers/event-recorder.ts';
import { defaultServiceRange } from '../cluster/resources/service-allocator.ts';
import { defaultNetworkName } from '../engine/etc-files.ts';
import type { Engine } from '../engine/services.ts';
import type { DnsUpstream } from '../network/dns-upstreams.ts';

/** The node marinad runs for its own engine (`--no-agent` leaves it out). */
export interface LocalNodeOptions {
  engine: Engine;
  transfer: ImagePull;
  nodeName: string;
  /** The agent's state directory (pods' emptyDirs and projected files). */
  stateDir: string;
  /** The daemon's tag (daemonTagOf(root)): names its service rules apart from other daemons'. */
  daemonTag: string;
  /** Where the cluster DNS sends names outside the cluster domain (the engine's embedded DNS uses the same). */
  dnsUpstreams: readonly DnsUpstream[];
}

/** Runs the node's parts until `signal` aborts; Service rules stay in the kernel after. */
export async function runNode(client: ResourceClient, options: LocalNodeOptions, logger: Logger, signal: AbortSignal): Promise<void> {
  const { engine, nodeName } = options;
  const log = logger.child({ node: nodeName });
  const podNetwork = await engine.networks.inspect(defaultNetworkName);
  const services = new WatchedServiceView(client, { onError: (err) => log.warn({ err }, 'service watch failed; listing again') });
  const proxy = new ServiceProxy({
    view: services,
    tag: options.daemonTag,
    podNetwork: { subnet: podNetwork.subnet, bridge: podNetwork.bridge },
    serviceRange: defaultServiceRange,
    logger: log,
  });
  const dns = new ClusterDns({
    view: services,
    address: podNetwork.gateway,
    upstreams: options.dnsUpstreams,
    logger: log.child({ part: 'cluster-dns' }),
  });
  // Without its DNS a node still runs pods: they get the host's resolv.conf, and Services by IP.
  const dnsAddress = await dns.start().then(
    () => podNetwork.gateway,
    (err: unknown) => log.error({ err }, 'no cluster DNS on this node: pods resolve with the host resolv.conf'),
  );
  const agent = new NodeAgent({
    client,
    engine,
    transfer: options.transfer,
    nodeName,
    facts: await hostFacts(engine, nodeName),
    stateDir: options.stateDir,
    ...(dnsAddress ? { clusterDnsAddress: dnsAddress } : {}),
    events: new EventRecorder(client, { component: 'kubelet', logger }),
    logger: log.child({ loop: 'node-agent' }),
  });
  try {
    await Promise.all([services.run(signal), proxy.run(signal), agent.run(signal)]);
  } finally {
    if (dnsAddress) await dns.stop();
  }
}
