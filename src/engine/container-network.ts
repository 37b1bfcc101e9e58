/**
 * A container's networking across its life, between the container service and the NetworkService:
 * checked at create (so bad input changes nothing), joined between runtime create and start (the netns
 * exists, nothing runs yet), left at exit, released at removal. Also writes the container's
 * /etc/hostname, /etc/hosts and /etc/resolv.conf, which depend on what it joined.
 */
import { writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { conflict, invalid, notFound } from '../errors.ts';
import { readTextOrEmpty } from '../read-text.ts';
import type { ImageRuntimeConfig } from '../image/image-types.ts';
import type { NetworkService } from '../network/network-service.ts';
import type { EndpointRecord, PortBinding, PortRequest } from '../network/network-types.ts';
import { exposedToRequests } from '../network/port-spec.ts';
import type { ConnectedNetwork } from './container-store.ts';
import type { ContainerCreateRequest, ContainerRecord } from './container-types.ts';
import {
  hostnameFile,
  hostsFile,
  type NetworkChoice,
  networkChoice,
  parseExtraHost,
  resolvConfFile,
} from './etc-files.ts';

/** What create settles about a container's networking. */
export interface NetworkPlan {
  choice: NetworkChoice;
  /** `-p` plus, with `-P`, every port the image exposes that `-p` did not already publish. */
  publish: PortRequest[];
}

export interface Joined {
  networks: EndpointRecord[];
  ports: PortBinding[];
}

export class ContainerNetworking {
  private readonly networks: NetworkService;

  constructor(networks: NetworkService) {
    this.networks = networks;
  }

  /** Checks the request's networking against the known networks; throws before anything is made. */
  async plan(request: ContainerCreateRequest, image: ImageRuntimeConfig | undefined): Promise<NetworkPlan> {
    const choice = networkChoice(request.networkMode);
    for (const host of request.extraHosts ?? []) parseExtraHost(host);
    for (const ns of request.dns ?? []) {
      if (!isIPv4(ns)) throw invalid(`invalid --dns "${ns}": use an IPv4 address`, { field: 'dns' });
    }
    const ports = request.ports ?? [];
    if (choice.kind !== 'bridge') {
      if (ports.length > 0 || request.publishAll) {
        throw invalid(`published ports need a bridge network; --network ${request.networkMode} has none`, { field: 'ports' });
      }
      if ((request.networkAliases ?? []).length > 0) {
        throw invalid(`--network-alias needs a user network; --network ${request.networkMode} has none`, { field: 'networkAliases' });
      }
      return { choice, publish: [] };
    }
    await this.networks.inspect(choice.network);
    await this.networks.checkPortsFree(ports);
    const exposed = request.publishAll ? exposedToRequests(image?.ExposedPorts) : [];
    const published = new Set(ports.map((p) => `${p.containerPort}/${p.protocol}`));
    return { choice, publish: [...ports, ...exposed.filter((p) => !published.has(`${p.containerPort}/${p.protocol}`))] };
  }

  /** Writes the etc files before the runtime bind-mounts them; `rewriteEtcFiles` fills in the addresses later. */
  async writeEtcFiles(record: ContainerRecord, bundle: string, joined?: Joined & { nameservers: string[] }) {
    const choice = networkChoice(record.request.networkMode);
    const files = etcPaths(bundle);
    const extraHosts = (record.request.extraHosts ?? []).map(parseExtraHost);
    const nameservers = record.request.dns?.length ? record.request.dns : (joined?.nameservers ?? []);
    // Rewritten in place: once the container runs, these are bind mounts of the same inodes.
    await writeFile(files.hostname, hostnameFile(record.hostname));
    await writeFile(
      files.hosts,
      hostsFile(choice, await readTextOrEmpty('/etc/hosts'), {
        hostname: record.hostname,
        ip: joined?.networks[0]?.ip,
        extraHosts,
      }),
    );
    await writeFile(files.resolvConf, resolvConfFile(await readTextOrEmpty('/etc/resolv.conf'), nameservers));
    return files;
  }

  /**
   * Joins a created container (init pid `pid`) to its own network, then to those it was connected to,
   * and publishes its ports.
   */
  async join(
    record: ContainerRecord,
    pid: number,
    publish: readonly PortRequest[],
    bundle: string,
    connected: readonly ConnectedNetwork[] = [],
  ): Promise<Joined> {
    const choice = networkChoice(record.request.networkMode);
    if (choice.kind !== 'bridge') return { networks: [], ports: [] };
    const attached = await this.networks.attach({
      containerId: record.id,
      containerName: record.name,
      netnsPath: `/proc/${pid}/ns/net`,
      networks: [
        { nameOrId: choice.network, aliases: record.request.networkAliases ?? [] },
        ...connected.map((c) => ({ nameOrId: c.network, aliases: c.aliases })),
      ],
      ports: [...publish],
    });
    const joined = { networks: attached.endpoints, ports: attached.ports };
    await this.writeEtcFiles(record, bundle, { ...joined, nameservers: attached.nameservers });
    return joined;
  }

  /**
   * `network connect`: checks the container may join `network` (it must be on a bridge network itself and
   * not be there already), and joins at once when it runs. Returns what to remember for its next starts.
   */
  async connect(
    record: ContainerRecord,
    connected: readonly ConnectedNetwork[],
    network: string,
    aliases: string[],
  ): Promise<ConnectedNetwork> {
    const choice = networkChoice(record.request.networkMode);
    if (choice.kind !== 'bridge') {
      throw invalid(`container ${record.name} uses --network ${record.request.networkMode}: it cannot join other networks`);
    }
    const target = await this.networks.inspect(network);
    const own = await this.networks.inspect(choice.network);
    if (target.id === own.id || connected.some((c) => c.network === target.name)) {
      throw conflict(`container ${record.name} is already connected to network ${target.name}`);
    }
    if (record.state.running) {
      const endpoint = await this.networks.connect(target.id, record.id, record.name, `/proc/${record.state.pid}/ns/net`, aliases);
      record.networks.push(endpoint);
    }
    return { network: target.name, aliases };
  }

  /** `network disconnect`: leaves a network joined with `connect`; returns the network's name. */
  async disconnect(record: ContainerRecord, connected: readonly ConnectedNetwork[], network: string): Promise<string> {
    const target = await this.networks.inspect(network);
    if (!connected.some((c) => c.network === target.name)) {
      const own = networkChoice(record.request.networkMode);
      if (own.kind === 'bridge' && (await this.networks.inspect(own.network)).id === target.id) {
        throw invalid(`network ${target.name} is container ${record.name}'s own (--network): it leaves it when removed`);
      }
      throw notFound(`container ${record.name} is not connected to network ${target.name}`);
    }
    if (record.state.running) {
      await this.networks.disconnect(target.id, record.id);
      record.networks = record.networks.filter((e) => e.networkId !== target.id);
    }
    return target.name;
  }

  /**
   * `rename`: the container's DNS names on its networks follow its new name (`record.name`), as Docker's
   * do; its running endpoints in `record.networks` get the renamed aliases too.
   */
  async rename(record: ContainerRecord): Promise<void> {
    const renamed = await this.networks.renameContainer(record.id, record.name);
    record.networks = record.networks.map((e) => renamed.find((r) => r.networkId === e.networkId) ?? e);
  }

  /** The container stopped: its port rules go (its veth went with its netns). */
  leave(id: string): Promise<void> {
    return this.networks.detach(id);
  }

  /** The container is gone: its addresses and ports are free again. */
  release(id: string): Promise<void> {
    return this.networks.release(id);
  }

  /** After a daemon restart: rules, reservations and DNS for the containers still running. */
  restore(running: readonly { id: string; pid: number }[]): Promise<void> {
    return this.networks.reconcile(running.map(({ id, pid }) => ({ containerId: id, netnsPath: `/proc/${pid}/ns/net` })));
  }
}

function etcPaths(bundle: string) {
  return { hostname: join(bundle, 'hostname'), hosts: join(bundle, 'hosts'), resolvConf: join(bundle, 'resolv.conf') };
}
