/**
 * A container's networking across its life, between the container service and the NetworkService:
 * checked at create (so bad input changes nothing), joined between runtime create and start (the netns
 * exists, nothing runs yet), left at exit, released at removal. Also writes the container's
 * /etc/hostname, /etc/hosts and /etc/resolv.conf, which depend on what it joined.
 *
 * A container may instead share a namespace it does not own: another running container's
 * (`--network container:X`) or a pod sandbox's. It then joins nothing, publishes nothing, and uses the
 * owner's /etc files and hostname; the owner's networking outlives its restarts.
 */
import { writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { conflict, invalid, isMarinaError, MarinaError, notFound } from '../errors.ts';
import { readTextOrEmpty } from '../read-text.ts';
import type { ImageRuntimeConfig } from '../image/image-types.ts';
import type { NetworkService } from '../network/network-service.ts';
import type { EndpointRecord, PortBinding, PortRequest } from '../network/network-types.ts';
import { exposedToRequests } from '../network/port-spec.ts';
import type { SpecInput } from '../runtime/spec-input.ts';
import type { ConnectedNetwork } from './container-store.ts';
import type { ContainerCreateRequest, ContainerRecord } from './container-types.ts';
import {
  checkSharedNamespace,
  hostnameFile,
  hostsFile,
  type NetworkChoice,
  networkChoice,
  parseExtraHost,
  resolvConfFile,
} from './etc-files.ts';
import { bundleDir } from './layout.ts';
import type { SandboxEtcFiles, SandboxRecord } from './sandbox-types.ts';

/** What create settles about a container's networking. */
export interface NetworkPlan {
  /** For `container:`, the owner by id (names can change). */
  choice: NetworkChoice;
  /** `-p` plus, with `-P`, every port the image exposes that `-p` did not already publish. */
  publish: PortRequest[];
  /** The hostname of the namespace's owner, when the container shares one. */
  sharedHostname?: string;
}

/** The owners of namespaces a container may share. */
export interface NamespaceOwners {
  /** By id or name, as the container store finds them; `NotFound` when none. */
  container(idOrName: string): ContainerRecord;
  /** `NotFound` when none. */
  sandbox(id: string): Promise<SandboxRecord>;
}

export type EtcFiles = SandboxEtcFiles;

export interface Joined {
  networks: EndpointRecord[];
  ports: PortBinding[];
}

export class ContainerNetworking {
  private readonly networks: NetworkService;
  private readonly shared: { root: string; owners: NamespaceOwners } | undefined;

  /** Without `shared`, containers cannot share another's namespace (`Unsupported`). */
  constructor(networks: NetworkService, shared?: { root: string; owners: NamespaceOwners }) {
    this.networks = networks;
    this.shared = shared;
  }

  /** Checks the request's networking against the known networks; throws before anything is made. */
  async plan(request: ContainerCreateRequest, image: ImageRuntimeConfig | undefined): Promise<NetworkPlan> {
    const choice = networkChoice(request.networkMode, request.sandbox);
    for (const host of request.extraHosts ?? []) parseExtraHost(host);
    for (const ns of request.dns ?? []) {
      if (!isIPv4(ns)) throw invalid(`invalid --dns "${ns}": use an IPv4 address`, { field: 'dns' });
    }
    checkSharedNamespace(choice, request);
    if (choice.kind === 'container') {
      const owner = this.ownerAtCreate(choice.container);
      return { choice: { kind: 'container', container: owner.id }, publish: [], sharedHostname: owner.hostname };
    }
    if (choice.kind === 'sandbox') {
      const sandbox = await this.owners().sandbox(choice.sandbox);
      return { choice, publish: [], sharedHostname: sandbox.name };
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

  /**
   * The network namespace the container's spec names: its own (joined after runc made it), the host's,
   * or its owner's. `Conflict` when the owner cannot be joined now (not running, broken).
   */
  async namespaceOf(record: ContainerRecord): Promise<SpecInput['network']> {
    const choice = choiceOf(record);
    if (choice.kind === 'host') return { mode: 'host' };
    if (choice.kind === 'container') {
      const owner = this.owners().container(choice.container);
      if (owner.id === record.id) throw invalid('cannot join own network');
      if (owner.state.status !== 'running') throw conflict(`cannot join network of a non running container: ${choice.container}`);
      return { mode: 'path', path: `/proc/${owner.state.pid}/ns/net` };
    }
    if (choice.kind === 'sandbox') {
      const sandbox = await this.owners().sandbox(choice.sandbox);
      if (sandbox.status !== 'ready') {
        throw conflict(`cannot join sandbox ${sandbox.id}: it is ${sandbox.status}${sandbox.error ? ` (${sandbox.error})` : ''}; remove it and create it again`);
      }
      return { mode: 'path', path: sandbox.netnsPath };
    }
    return { mode: 'private' };
  }

  /** Where the container's /etc files are on the host: in its bundle, or its namespace owner's. */
  async etcFilesOf(record: ContainerRecord, bundle: string): Promise<EtcFiles> {
    const choice = choiceOf(record);
    if (choice.kind === 'container') return etcPaths(bundleDir(this.sharedRoot(), choice.container));
    if (choice.kind === 'sandbox') return (await this.owners().sandbox(choice.sandbox)).etcFiles;
    return etcPaths(bundle);
  }

  /**
   * Writes the etc files before the runtime bind-mounts them; `join` fills in the addresses later. A
   * container sharing a namespace writes none: it mounts its owner's, which the owner keeps up to date.
   */
  async writeEtcFiles(record: ContainerRecord, bundle: string, joined?: Joined & { nameservers: string[] }): Promise<EtcFiles> {
    const choice = choiceOf(record);
    if (choice.kind === 'container' || choice.kind === 'sandbox') return await this.etcFilesOf(record, bundle);
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
    const choice = choiceOf(record);
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
    const choice = choiceOf(record);
    if (choice.kind === 'container' || choice.kind === 'sandbox') {
      throw invalid('container sharing network namespace with another container or host cannot be connected to any other network');
    }
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
      const own = choiceOf(record);
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

  /**
   * After a daemon restart: rules, reservations and DNS for the containers still running and for the
   * other endpoint owners whose namespaces survived (pod sandboxes).
   */
  restore(
    running: readonly { id: string; pid: number }[],
    others: readonly { containerId: string; netnsPath: string }[] = [],
  ): Promise<void> {
    return this.networks.reconcile([
      ...running.map(({ id, pid }) => ({ containerId: id, netnsPath: `/proc/${pid}/ns/net` })),
      ...others,
    ]);
  }

  /**
   * `Invalid`, not `NotFound`: the request is what is wrong, and the docker CLI takes a 404 from create
   * for a missing image and goes pulling it.
   */
  private ownerAtCreate(idOrName: string): ContainerRecord {
    try {
      return this.owners().container(idOrName);
    } catch (err) {
      if (!isMarinaError(err, 'NotFound')) throw err;
      throw invalid(`No such container: ${idOrName} (--network container:${idOrName} names no container)`, { field: 'networkMode' });
    }
  }

  private owners(): NamespaceOwners {
    return this.sharing().owners;
  }

  private sharedRoot(): string {
    return this.sharing().root;
  }

  private sharing(): { root: string; owners: NamespaceOwners } {
    if (!this.shared) throw new MarinaError('Unsupported', 'this engine cannot share network namespaces between containers');
    return this.shared;
  }
}

const choiceOf = (record: ContainerRecord) => networkChoice(record.request.networkMode, record.request.sandbox);

function etcPaths(bundle: string): EtcFiles {
  return { hostname: join(bundle, 'hostname'), hosts: join(bundle, 'hosts'), resolvConf: join(bundle, 'resolv.conf') };
}
