/**
 * Pod sandboxes: a named network namespace joined to a Marina network through the NetworkService (as a
 * container would be, with the sandbox's id as the endpoint's owner), plus the hostname, hosts and
 * resolv.conf files every container of the pod bind-mounts. Containers join with
 * `ContainerCreateRequest.sandbox`; they share localhost and the sandbox's address.
 *
 * Order of effects, so a kill -9 at any moment leaves something `restoreNamespaces`/`finishRestore` mend:
 * create writes the row (`creating`) before the namespace, attach and files, and marks it `ready` last;
 * remove marks the row `removing` before undoing anything and deletes it last. At start, namespaces with
 * this daemon's prefix and no ready row are deleted, `creating`/`removing` rows are torn down, and ready
 * rows whose namespace vanished (a host reboot empties /run/netns) are made again — same id, network and
 * ports, so their containers can start as they are — or marked `broken` with the reason when that fails.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { conflict, invalid, MarinaError } from '../errors.ts';
import { generateId } from '../ids.ts';
import type { NetworkService } from '../network/network-service.ts';
import { readTextOrEmpty } from '../read-text.ts';
import { runChecked, runCommand } from '../run-command.ts';
import { defaultNetworkName, hostnameFile, hostsFile, parseExtraHost, resolvConfFile } from './etc-files.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { withLabels } from './label-lookup.ts';
import { noSuchSandbox, type SandboxStore } from './sandbox-store.ts';
import type { SandboxCreateRequest, SandboxRecord } from './sandbox-types.ts';
import type { SandboxService } from './services.ts';

/** Named namespaces of this daemon's sandboxes; not under `marina-<tag>-`, which the builder's cleanup empties. */
export const sandboxNetnsPrefix = (daemonTag: string) => `marina-pod-${daemonTag}-`;

const idPattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
/** A hostname: at most 63 characters (the kernel's UTS limit is 64), letters, digits, `-` and `.`. */
const hostnamePattern = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,61}[a-zA-Z0-9])?$/;

/** Checks what can be checked without the system; throws `Invalid` naming the field. */
export function checkSandboxRequest(request: SandboxCreateRequest): void {
  if (request.id !== undefined && !idPattern.test(request.id)) {
    throw invalid(`invalid sandbox id "${request.id}": use letters, digits, "_", "." or "-" (at most 64)`, { field: 'id' });
  }
  if (!hostnamePattern.test(request.name)) {
    throw invalid(`invalid sandbox name "${request.name}": it is the hostname, so use letters, digits, "-" and "." (at most 63)`, {
      field: 'name',
    });
  }
  for (const host of request.extraHosts ?? []) parseExtraHost(host);
  for (const ns of request.dns ?? []) {
    if (!isIPv4(ns)) throw invalid(`invalid dns "${ns}": use an IPv4 address`, { field: 'dns' });
  }
}

export interface SandboxRestorePlan {
  /** Namespaces to delete: no kept sandbox holds them. */
  deleteNetns: string[];
  /** Ready sandboxes whose namespace survived: their endpoints are live. */
  live: SandboxRecord[];
  /** Ready or broken sandboxes whose namespace is gone: made again. */
  recreate: SandboxRecord[];
  /** Rows a crash left half-made or half-removed: torn down. */
  teardown: SandboxRecord[];
}

/** What start-up does with the sandbox rows and the namespaces carrying this daemon's prefix. Pure. */
export function planSandboxRestore(records: readonly SandboxRecord[], namespaces: readonly string[], prefix: string): SandboxRestorePlan {
  const own = new Set(namespaces.filter((n) => n.startsWith(prefix)));
  const plan: SandboxRestorePlan = { deleteNetns: [], live: [], recreate: [], teardown: [] };
  const kept = new Set<string>();
  for (const record of records) {
    if (record.status === 'creating' || record.status === 'removing') plan.teardown.push(record);
    else if (record.status === 'ready' && own.has(record.netnsName)) {
      plan.live.push(record);
      kept.add(record.netnsName);
    } else plan.recreate.push(record);
  }
  plan.deleteNetns = [...own].filter((n) => !kept.has(n)).sort();
  return plan;
}

export interface PodSandboxesOptions {
  root: string;
  daemonTag: string;
  store: SandboxStore;
  networks: NetworkService;
  /** The containers created in sandbox `id` (any state). */
  containersIn(id: string): { id: string; name: string }[];
  /** Removes a container, killing it first when it runs (for `remove` with force). */
  removeContainer(id: string): Promise<void>;
  logger: Logger;
}

export class PodSandboxes implements SandboxService {
  readonly #options: PodSandboxesOptions;
  readonly #log: Logger;
  readonly #mutex = new KeyedMutex();

  constructor(options: PodSandboxesOptions) {
    this.#options = options;
    this.#log = options.logger.child({ part: 'sandboxes' });
  }

  async create(request: SandboxCreateRequest): Promise<SandboxRecord> {
    checkSandboxRequest(request);
    const { networks, store } = this.#options;
    const network = await networks.inspect(request.network ?? defaultNetworkName);
    await networks.checkPortsFree(request.ports ?? []);
    const id = request.id ?? generateId();
    const netnsName = `${sandboxNetnsPrefix(this.#options.daemonTag)}${id}`;
    const dir = join(this.#options.root, 'sandboxes', id);
    const record: SandboxRecord = {
      id,
      name: request.name,
      created: new Date().toISOString(),
      request: { ...request, id, network: network.name },
      status: 'creating',
      error: '',
      netnsName,
      netnsPath: `/run/netns/${netnsName}`,
      ip: '',
      endpoints: [],
      ports: [],
      etcFiles: { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') },
    };
    return await this.#mutex.run(id, async () => {
      store.insert(record);
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await this.#makeNamespace(record);
      } catch (err) {
        await this.#teardown(record).catch((e) => this.#log.warn({ err: e, id }, 'undoing a failed sandbox create failed'));
        throw err;
      }
      return record;
    });
  }

  async remove(id: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#mutex.run(id, async () => {
      const record = this.#options.store.get(id);
      if (!record) throw noSuchSandbox(id);
      const members = this.#options.containersIn(id);
      if (members.length > 0 && !options.force) {
        throw conflict(
          `sandbox ${id} still has containers: ${members.map((m) => m.name).join(', ')}; remove them first, or remove the sandbox with force`,
        );
      }
      for (const member of members) await this.#options.removeContainer(member.id);
      record.status = 'removing';
      this.#options.store.update(record);
      await this.#teardown(record);
    });
  }

  async inspect(id: string): Promise<SandboxRecord> {
    const record = this.#options.store.get(id);
    if (!record) throw noSuchSandbox(id);
    return record;
  }

  async list(options: { labels?: Record<string, string> } = {}): Promise<SandboxRecord[]> {
    return withLabels(this.#options.store, options.labels);
  }

  /**
   * Start-up, first half (before the NetworkService reconciles): deletes namespaces no ready sandbox
   * holds and returns the live ones, whose endpoints the NetworkService must keep.
   */
  async restoreNamespaces(): Promise<{ containerId: string; netnsPath: string }[]> {
    const plan = await this.#plan();
    for (const name of plan.deleteNetns) await deleteNamespace(name);
    return plan.live.map((r) => ({ containerId: r.id, netnsPath: r.netnsPath }));
  }

  /** Start-up, second half (after the NetworkService reconciled, before containers start): tears down and re-creates. */
  async finishRestore(): Promise<void> {
    const plan = await this.#plan();
    for (const record of plan.teardown) {
      await this.#mutex.run(record.id, () => this.#teardown(record)).catch((err) =>
        this.#log.warn({ err, id: record.id }, 'removing a half-made sandbox failed; retried at the next start'),
      );
    }
    for (const record of plan.recreate) await this.#mutex.run(record.id, () => this.#recreate(record));
  }

  async #plan(): Promise<SandboxRestorePlan> {
    const listed = await runChecked('ip', ['netns', 'list']);
    const names = listed.split('\n').map((line) => line.split(' ')[0] ?? '');
    return planSandboxRestore(this.#options.store.all(), names, sandboxNetnsPrefix(this.#options.daemonTag));
  }

  async #recreate(record: SandboxRecord): Promise<void> {
    try {
      await mkdir(join(this.#options.root, 'sandboxes', record.id), { recursive: true, mode: 0o700 });
      await this.#makeNamespace(record);
      this.#log.info({ id: record.id, ip: record.ip }, 'sandbox namespace was gone (host reboot?): made again');
    } catch (err) {
      await this.#options.networks.detach(record.id).catch(() => {});
      await deleteNamespace(record.netnsName).catch(() => {});
      record.status = 'broken';
      record.error = `its network namespace was gone and could not be made again: ${(err as Error).message}`;
      record.endpoints = [];
      record.ports = [];
      this.#options.store.update(record);
      this.#log.warn({ err, id: record.id }, 'sandbox is broken');
    }
  }

  /** The namespace, its endpoint and ports, its files; marks the row ready. */
  async #makeNamespace(record: SandboxRecord): Promise<void> {
    const { request } = record;
    // Only a namespace left over by a crash is in the way; asking the file system spares an ip process per pod.
    if (existsSync(record.netnsPath)) await deleteNamespace(record.netnsName);
    await runChecked('ip', ['netns', 'add', record.netnsName]);
    const attached = await this.#options.networks.attach({
      containerId: record.id,
      containerName: record.name,
      netnsPath: record.netnsPath,
      networks: [{ nameOrId: request.network, aliases: [] }],
      ports: request.ports ?? [],
    });
    record.endpoints = attached.endpoints;
    record.ports = attached.ports;
    record.ip = attached.endpoints[0]?.ip ?? '';
    const nameservers = request.dns?.length ? request.dns : attached.nameservers;
    const extraHosts = (request.extraHosts ?? []).map(parseExtraHost);
    const { etcFiles } = record;
    // In place: containers of a sandbox made again after a reboot bind-mount these same inodes.
    await writeFile(etcFiles.hostname, hostnameFile(record.name));
    await writeFile(
      etcFiles.hosts,
      hostsFile({ kind: 'bridge', network: request.network }, '', { hostname: record.name, ip: record.ip, extraHosts }),
    );
    await writeFile(
      etcFiles.resolvConf,
      resolvConfFile(await readTextOrEmpty('/etc/resolv.conf'), nameservers, {
        search: request.dnsSearch,
        options: request.dnsOptions,
      }),
    );
    record.status = 'ready';
    record.error = '';
    this.#options.store.update(record);
  }

  /** Ports, endpoint, address, namespace and files go; the row last. */
  async #teardown(record: SandboxRecord): Promise<void> {
    const { networks } = this.#options;
    await networks.detach(record.id).catch((err) => this.#log.warn({ err, id: record.id }, 'detaching a sandbox failed'));
    await networks.release(record.id);
    await deleteNamespace(record.netnsName);
    await rm(join(this.#options.root, 'sandboxes', record.id), { recursive: true, force: true });
    this.#options.store.delete(record.id);
  }
}

/** Deletes a named namespace; one that is already gone is fine. */
async function deleteNamespace(name: string): Promise<void> {
  const result = await runCommand('ip', ['netns', 'delete', name]);
  if (result.code !== 0 && !/No such file|not found/i.test(result.stderr)) {
    throw new MarinaError('Internal', `cannot delete network namespace ${name}: ${result.stderr.trim()}`);
  }
}
