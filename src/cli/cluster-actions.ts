/**
 * What the cluster verbs do (registered in cluster-commands.ts, loaded only when one runs: the manifest
 * parser and the kinds' schemas are too heavy for every `marina run`). They talk to the Kubernetes-style
 * API through the same ResourceClient the controllers use, over HTTP.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { KubeObject } from '../cluster/apiserver/api-kind.ts';
import { HttpResourceClient } from '../cluster/apiserver/http-resource-client.ts';
import type { DeleteOptions, PropagationPolicy, Selectors } from '../cluster/apiserver/resource-service.ts';
import type { Event } from '../cluster/resources/core-schemas.ts';
import { kindByName, type ResourceKind } from '../cluster/resources/registry.ts';
import { type EndpointSlice, serviceNameLabel } from '../cluster/resources/service-schemas.ts';
import { parseEnv } from '../engine/config-parse.ts';
import { invalid, isMarinaError, MarinaError } from '../errors.ts';
import { applyObject } from './cluster-apply.ts';
import type { DeleteFlags, GetFlags, NamespaceFlags } from './cluster-commands.ts';
import { deployManifests } from './cluster-deploy.ts';
import { describeObject, type Related } from './cluster-describe.ts';
import { checkManifests, type ManifestObject, manifestRef, readManifestSources, splitManifest } from './cluster-manifests.ts';
import { renderTable, type Table, tableOf, watchRow } from './cluster-tables.ts';
import { kindLabel, objectRef, parseTargets, singleTarget, type Target } from './cluster-targets.ts';
import { api, Exit, print } from './cli-support.ts';

let client: HttpResourceClient | undefined;

/** The cluster API of the daemon the other commands use (`-H`, `$MARINA_HOST`). */
export function resources(): HttpResourceClient {
  client ??= new HttpResourceClient(api().host);
  return client;
}

function warn(warnings: readonly string[]): void {
  for (const warning of warnings) process.stderr.write(`Warning: ${warning}\n`);
}

/** kubectl's form for an error about one object, the rest still processed. */
function reportObjectError(err: unknown): void {
  if (!isMarinaError(err)) throw err;
  if (err.code === 'Unavailable' && err.message.startsWith('Cannot connect')) throw err;
  const reason = (err.details?.reason as string | undefined) ?? err.code;
  process.stderr.write(`Error from server (${reason}): ${err.message}\n`);
}

/** The documents of the `-f` manifests (stdin for `-`), in order. */
function readDocuments(files: readonly string[]) {
  return readManifestSources(files, () => readFileSync(0, 'utf8')).flatMap((s) => splitManifest(s.source, s.text));
}

/** Writes checked manifests one by one as `apply` does, printing kubectl's line (and warnings) for each. */
async function applyAll(manifests: readonly ManifestObject[]): Promise<void> {
  for (const manifest of manifests) {
    const { result, warnings } = await applyObject(resources(), manifest);
    warn(warnings);
    print(`${objectRef(manifest.kind, manifest.name)} ${result}`);
  }
}

/** A whole number ≥ 0 from a flag. */
function count(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw invalid(`${flag} must be a whole number of 0 or more, not "${text}"`);
  return Number(text);
}

export async function apply(flags: NamespaceFlags & { filename: string[] }): Promise<void> {
  if (flags.filename.length === 0) throw invalid('give the manifests with -f FILE|DIR|-');
  await applyAll(checkManifests(readDocuments(flags.filename), flags.namespace));
}

export async function get(args: string[], flags: GetFlags): Promise<void> {
  const targets = parseTargets(args);
  const output = parseOutput(flags.output);
  if (flags.watch) {
    if (targets.length !== 1) throw invalid('-w watches one kind at a time');
    await watchObjects(targets[0]!, flags, output);
    return;
  }
  await getObjects(targets, flags, output);
}

export async function describe(args: string[], flags: NamespaceFlags & { selector?: string }): Promise<void> {
  const descriptions: string[] = [];
  let failed = false;
  for (const target of parseTargets(args)) {
    const { objects, errors } = await fetchTarget(target, flags.namespace, { labelSelector: flags.selector ?? '' });
    failed ||= errors;
    for (const object of objects) descriptions.push(describeObject(object, await eventsAbout(object), Date.now(), await relatedTo(object)));
  }
  if (descriptions.length > 0) print(descriptions.join('\n\n\n'));
  if (failed) throw new Exit(1);
}

export async function remove(args: string[], flags: DeleteFlags): Promise<void> {
  const options = deleteOptions(flags);
  let failed = false;
  for (const { kind, namespace, name } of deleteTargets(args, flags)) {
    try {
      await resources().delete(kind, namespace, name, options);
      print(`${kindLabel(kind)} "${name}" deleted`);
      if (flags.wait) await waitUntilGone(kind, namespace, name);
    } catch (err) {
      if (flags.ignoreNotFound && isMarinaError(err, 'NotFound')) continue;
      reportObjectError(err);
      failed = true;
    }
  }
  if (failed) throw new Exit(1);
}

export async function scale(args: string[], flags: NamespaceFlags & { replicas: string }): Promise<void> {
  const replicas = count(flags.replicas, '--replicas');
  const { kind, name } = singleTarget(args, ['Deployment', 'ReplicaSet']);
  await resources().patch(kind, flags.namespace, name, { spec: { replicas } }, { type: 'merge' });
  print(`${objectRef(kind, name)} scaled`);
}

export async function deploy(image: string, flags: NamespaceFlags & { name: string; replicas: string; port?: string; env: string[] }): Promise<void> {
  const objects = deployManifests(image, { name: flags.name, replicas: flags.replicas, port: flags.port, env: parseEnv(flags.env, process.env) });
  await applyAll(
    checkManifests(
      objects.map((object) => ({ source: 'deploy', object })),
      flags.namespace,
    ),
  );
}

type Output = 'table' | 'wide' | 'json' | 'yaml' | 'name';

function parseOutput(value: string | undefined): Output {
  if (value === undefined) return 'table';
  if (value === 'wide' || value === 'json' || value === 'yaml' || value === 'name') return value;
  throw invalid(`unable to match a printer for output format "${value}": use wide, json, yaml or name`);
}

/** The objects a target names (each looked up, failures reported) or lists. */
async function fetchTarget(
  target: Target,
  namespace: string | undefined,
  selectors: Selectors,
): Promise<{ objects: KubeObject[]; errors: boolean }> {
  const ns = target.kind.namespaced ? namespace : undefined;
  if (target.names.length === 0) return { objects: (await resources().list(target.kind, ns, undefined, selectors)).items, errors: false };
  const objects: KubeObject[] = [];
  let errors = false;
  for (const name of target.names) {
    try {
      objects.push(await resources().get(target.kind, ns, name));
    } catch (err) {
      reportObjectError(err);
      errors = true;
    }
  }
  return { objects, errors };
}

function selectorsOf(flags: GetFlags): Selectors {
  return { labelSelector: flags.selector ?? '', fieldSelector: flags.fieldSelector ?? '' };
}

async function getObjects(targets: readonly Target[], flags: GetFlags, output: Output): Promise<void> {
  const namespace = flags.allNamespaces ? undefined : flags.namespace;
  const fetched: { kind: ResourceKind; objects: KubeObject[] }[] = [];
  let failed = false;
  for (const target of targets) {
    const { objects, errors } = await fetchTarget(target, namespace, selectorsOf(flags));
    failed ||= errors;
    fetched.push({ kind: target.kind, objects });
  }
  const all = fetched.flatMap((f) => f.objects);
  const byName = targets.length === 1 && targets[0]!.names.length === 1;
  if (output === 'json' || output === 'yaml') {
    if (all.length > 0 || !failed) {
      const value = byName && all.length === 1 ? all[0] : { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: all };
      print(output === 'json' ? JSON.stringify(value, null, 4) : stringify(value).trimEnd());
    }
  } else if (output === 'name') {
    for (const { kind, objects } of fetched) for (const o of objects) print(objectRef(kind, o.metadata.name ?? ''));
  } else {
    const tables = fetched
      .filter((f) => f.objects.length > 0)
      .map((f) => renderTable(tableOf(f.kind.kind, f.objects, tableOptions(f.kind, flags, output, targets.length > 1))));
    if (tables.length > 0) print(tables.join('\n\n'));
    else if (!failed) process.stderr.write(`No resources found${namespace && targets.some((t) => t.kind.namespaced) ? ` in ${namespace} namespace` : ''}.\n`);
  }
  if (failed) throw new Exit(1);
}

function tableOptions(kind: ResourceKind, flags: GetFlags, output: Output, qualified: boolean) {
  return {
    wide: output === 'wide',
    allNamespaces: Boolean(flags.allNamespaces && kind.namespaced),
    ...(qualified ? { qualifiedNames: kindLabel(kind) } : {}),
    now: Date.now(),
  };
}

/** `get -w`: the list, then one row (or object) per change until interrupted. */
async function watchObjects(target: Target, flags: GetFlags, output: Output): Promise<void> {
  const kind = target.kind;
  const namespace = flags.allNamespaces || !kind.namespaced ? undefined : flags.namespace;
  const selectors = selectorsOf(flags);
  const wanted = (o: KubeObject) => target.names.length === 0 || target.names.includes(o.metadata.name ?? '');
  const list = await resources().list(kind, namespace, wanted, selectors);
  const emit = printerFor(kind, flags, output);
  emit(list.items);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  for await (const event of resources().watch(kind, namespace, list.resourceVersion, stop.signal, wanted, selectors)) emit([event.object]);
}

/** Prints objects as `get` does; table rows after the first call line up with the first table. */
function printerFor(kind: ResourceKind, flags: GetFlags, output: Output): (objects: KubeObject[]) => void {
  let first: Table | undefined;
  return (objects) => {
    for (const o of output === 'table' || output === 'wide' ? [] : objects) {
      if (output === 'json') print(JSON.stringify(o, null, 4));
      else if (output === 'yaml') print(`---\n${stringify(o).trimEnd()}`);
      else print(objectRef(kind, o.metadata.name ?? ''));
    }
    if (output !== 'table' && output !== 'wide') return;
    const table = tableOf(kind.kind, objects, tableOptions(kind, flags, output, false));
    if (!first) {
      first = table;
      print(renderTable(table));
    } else {
      for (const row of table.rows) print(watchRow(first, row));
    }
  };
}

/** A Service's EndpointSlices (found by their service-name label); nothing for other kinds. */
async function relatedTo(object: KubeObject): Promise<Related> {
  if (object.kind !== 'Service') return {};
  const selector = { labelSelector: `${serviceNameLabel}=${object.metadata.name}` };
  const slices = await resources().list(kindByName('endpointslices'), object.metadata.namespace, undefined, selector);
  return { endpointSlices: slices.items as unknown as EndpointSlice[] };
}

/** The Events about an object: by its uid, in its namespace (any, for cluster-scoped objects). */
async function eventsAbout(object: KubeObject): Promise<Event[]> {
  const events = kindByName('events');
  const uid = object.metadata.uid;
  if (!uid) return [];
  const list = await resources().list(events, object.metadata.namespace, undefined, { fieldSelector: `involvedObject.uid=${uid}` });
  return list.items as unknown as Event[];
}

const policies: Record<string, PropagationPolicy> = {
  background: 'Background',
  true: 'Background',
  foreground: 'Foreground',
  orphan: 'Orphan',
  false: 'Orphan',
};

function deleteOptions(flags: Pick<DeleteFlags, 'cascade' | 'gracePeriod'>): DeleteOptions {
  const propagationPolicy = policies[flags.cascade];
  if (!propagationPolicy) throw invalid(`--cascade must be background, foreground or orphan, not "${flags.cascade}"`);
  return {
    propagationPolicy,
    ...(flags.gracePeriod === undefined ? {} : { gracePeriodSeconds: count(flags.gracePeriod, '--grace-period') }),
  };
}

function deleteTargets(args: readonly string[], flags: DeleteFlags): { kind: ResourceKind; namespace: string | undefined; name: string }[] {
  if (flags.filename.length > 0) {
    if (args.length > 0) throw invalid('give objects either as arguments or with -f, not both');
    return readDocuments(flags.filename).map((d) => manifestRef(d.object, flags.namespace));
  }
  const targets = parseTargets(args);
  if (targets.some((t) => t.names.length === 0)) throw invalid('name the objects to delete (KIND NAME… or KIND/NAME…), or give -f FILE');
  return targets.flatMap((t) => t.names.map((name) => ({ kind: t.kind, namespace: t.kind.namespaced ? flags.namespace : undefined, name })));
}

/** Waits for the object to leave the store: its finalizers done, or the pod stopped by its node. */
async function waitUntilGone(kind: ResourceKind, namespace: string | undefined, name: string): Promise<void> {
  const selectors = { fieldSelector: `metadata.name=${name}` };
  const stop = new AbortController();
  try {
    for (;;) {
      const list = await resources().list(kind, namespace, undefined, selectors);
      if (list.items.length === 0) return;
      for await (const event of resources().watch(kind, namespace, list.resourceVersion, stop.signal, undefined, selectors)) {
        if (event.type === 'DELETED') return;
      }
    }
  } catch (err) {
    throw new MarinaError('Unavailable', `waiting for ${objectRef(kind, name)} to be deleted: ${(err as Error).message}`);
  } finally {
    stop.abort();
  }
}
