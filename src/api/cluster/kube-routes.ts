/**
 * The Kubernetes-style API (`/api/v1/...`, `/apis/GROUP/VERSION/...`): decode the path, query and body,
 * call the cluster's ResourceService, encode Kubernetes' answers (objects, `…List`s, watch event streams,
 * discovery documents). `kubeRoutePath` folds the URL space into four routes; each handler reads its
 * target from the URL again with `parseKubePath`.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { type ApiKind, apiVersionOf, type KindCatalog, type KubeObject } from '../../cluster/apiserver/api-kind.ts';
import { kubePathOf } from '../../cluster/apiserver/http-resource-client.ts';
import type { DeleteOptions, PatchType, ResourceService, Selectors, Written } from '../../cluster/apiserver/resource-service.ts';
import { invalid, MarinaError } from '../../errors.ts';
import { abortOnClose, type ClusterApi, type HttpCall, http, type Route } from '../api-types.ts';
import { readJson, sendJson } from '../http-io.ts';
import type { Router } from '../router.ts';
import { type KubeTarget, parseKubePath } from './kube-path.ts';
import { kubeStatus } from './kube-status.ts';
import { addPodLogExecRoutes, podStreamRoutePath } from './pod-log-exec-routes.ts';

/** Router path for a Kubernetes URL: discovery, a collection, or one object (with or without a subresource). */
export function kubeRoutePath(pathname: string): string {
  if (/^\/apis?\/?$/.test(pathname)) return '/kube/discovery';
  const target = parseKubePath(pathname);
  if (!target.resource) return '/kube/discovery';
  const podStream = podStreamRoutePath(target);
  if (podStream) return podStream;
  return target.name ? '/kube/object' : '/kube/collection';
}

export function addKubeRoutes(router: Router<Route>): void {
  router.add('GET', '/kube/discovery', http(discovery));
  router.add('GET', '/kube/collection', http(listOrWatch));
  router.add('POST', '/kube/collection', http(create));
  router.add('GET', '/kube/object', http(getObject));
  router.add('POST', '/kube/object', http(bind));
  router.add('PUT', '/kube/object', http(replace));
  router.add('PATCH', '/kube/object', http(patch));
  router.add('DELETE', '/kube/object', http(remove));
  addPodLogExecRoutes(router);
}

interface Resolved {
  api: ResourceService;
  kind: ApiKind;
  namespace: string | undefined;
  name: string;
  status: boolean;
  subresource: string | undefined;
}

/** The call's target; `pods/NAME/binding` only where `binding` is asked for (it takes POST alone). */
function resolve(call: HttpCall, binding = false): Resolved {
  const cluster = clusterOf(call);
  const target = parseKubePath(new URL(call.req.url ?? '/', 'http://marina').pathname);
  const kind = kindOf(cluster.kinds, target);
  const served = binding && kind.plural === 'pods' ? ['binding'] : ['status'];
  if (target.subresource !== undefined && !served.includes(target.subresource)) {
    throw new MarinaError('NotFound', `${kind.plural} have no subresource "${target.subresource}" here (only ${served.join(', ')})`);
  }
  return {
    api: cluster.resources,
    kind,
    namespace: kind.namespaced ? target.namespace : undefined,
    name: target.name ?? '',
    status: target.subresource === 'status',
    subresource: target.subresource,
  };
}

function kindOf(kinds: KindCatalog, target: KubeTarget): ApiKind {
  const kind = kinds.byResource(target.group, target.version, target.resource ?? '');
  if (!kind) {
    throw new MarinaError(
      'NotFound',
      `the server could not find the requested resource: ${target.resource} in ${apiVersionOf(target)} (served: ${kinds.kinds.map((k) => k.plural).join(', ')})`,
    );
  }
  if (!kind.namespaced && target.namespace !== undefined) {
    throw new MarinaError('NotFound', `${kind.plural} are not namespaced: use ${kubePathOf(kind, undefined)}`);
  }
  return kind;
}

export function clusterOf(call: Pick<HttpCall, 'ctx'>): ClusterApi {
  const { cluster, joinedControlPlane } = call.ctx;
  if (cluster) return cluster;
  throw new MarinaError(
    'Unavailable',
    joinedControlPlane
      ? `this marinad is a node of the control plane at ${joinedControlPlane} (started with --join) and serves no cluster API: send cluster requests there (marina --host ${joinedControlPlane} ...)`
      : 'the control plane is not running in this marinad',
  );
}

/** Kubernetes' `Warning` headers: fields kept but not acted on, and the like. */
function sendWritten(res: ServerResponse, status: number, written: Written): void {
  for (const warning of written.warnings) res.appendHeader('warning', `299 - ${JSON.stringify(warning)}`);
  sendJson(res, status, written.object);
}

/** `?labelSelector=` and `?fieldSelector=`, compiled by the ResourceService. */
function selectorsOf(query: URLSearchParams): Selectors {
  return { labelSelector: query.get('labelSelector') ?? '', fieldSelector: query.get('fieldSelector') ?? '' };
}

async function listOrWatch(call: HttpCall): Promise<void> {
  const { api, kind, namespace } = resolve(call);
  const selectors = selectorsOf(call.query);
  const watch = call.query.get('watch');
  if (watch === 'true' || watch === '1') return streamWatch(call, api, kind, namespace, selectors);
  const list = await api.list(kind, namespace, undefined, selectors);
  sendJson(call.res, 200, {
    apiVersion: apiVersionOf(kind),
    kind: `${kind.kind}List`,
    metadata: { resourceVersion: list.resourceVersion },
    items: list.items,
  });
}

/**
 * Watch as Kubernetes streams it: one JSON event per line. Without a resourceVersion (or with "0") the
 * current objects come first as ADDED, then the changes after them. A watch that cannot go on (history
 * compacted, reader too slow) ends with an ERROR event carrying a 410 Status: the client lists again.
 */
async function streamWatch(
  call: HttpCall,
  api: ResourceService,
  kind: ApiKind,
  namespace: string | undefined,
  selectors: Selectors,
): Promise<void> {
  const { res, query } = call;
  const signal = abortOnClose(res);
  const timeout = query.get('timeoutSeconds');
  const stop = new AbortController();
  signal.addEventListener('abort', () => stop.abort(), { once: true });
  if (timeout !== null) {
    const seconds = Number(timeout);
    if (!Number.isInteger(seconds) || seconds < 0) throw invalid(`timeoutSeconds must be a whole number of seconds, not "${timeout}"`);
    delay(seconds * 1000, undefined, { signal: stop.signal }).then(
      () => stop.abort(),
      () => {},
    );
  }
  let from = query.get('resourceVersion') ?? '';
  const initial: KubeObject[] = [];
  if (from === '' || from === '0') {
    const list = await api.list(kind, namespace, undefined, selectors);
    initial.push(...list.items);
    from = list.resourceVersion;
  }
  const events = api.watch(kind, namespace, from, stop.signal, undefined, selectors);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
  for (const object of initial) res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
  try {
    for await (const event of events) res.write(`${JSON.stringify(event)}\n`);
  } catch (err) {
    res.write(`${JSON.stringify({ type: 'ERROR', object: kubeStatus(err).body })}\n`);
  } finally {
    stop.abort();
    res.end();
  }
}

async function create(call: HttpCall): Promise<void> {
  const { api, kind, namespace } = resolve(call);
  sendWritten(call.res, 201, await api.create(kind, namespace, await readJson(call.req)));
}

/** `POST pods/NAME/binding` with a Binding: what a scheduler writes to place a pod. */
async function bind(call: HttpCall): Promise<void> {
  const { api, kind, namespace, name, subresource } = resolve(call, true);
  if (subresource !== 'binding') throw new MarinaError('NotFound', 'POST to an object is only for pods/NAME/binding');
  const body = (await readJson(call.req)) as { target?: { name?: unknown } } | null;
  const node = body?.target?.name;
  if (typeof node !== 'string') throw invalid('target.name: Required value: a Binding names the node in target.name');
  sendJson(call.res, 201, await api.bind(kind, namespace ?? 'default', name, node));
}

async function getObject(call: HttpCall): Promise<void> {
  const { api, kind, namespace, name } = resolve(call);
  sendJson(call.res, 200, await api.get(kind, namespace, name));
}

async function replace(call: HttpCall): Promise<void> {
  const { api, kind, namespace, name, status } = resolve(call);
  const body = await readJson(call.req);
  const written = status ? await api.updateStatus(kind, namespace, name, body) : await api.update(kind, namespace, name, body);
  sendWritten(call.res, 200, written);
}

/** The patch formats by content type; a strategic merge patch is applied as a JSON merge patch. */
function patchTypeOf(contentType: string | undefined): PatchType {
  const type = (contentType ?? '').split(';')[0]!.trim();
  if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') return 'merge';
  if (type === 'application/json-patch+json') return 'json';
  throw new MarinaError(
    'Unsupported',
    `patch content type "${type}" is not supported: use application/merge-patch+json or application/json-patch+json`,
  );
}

async function patch(call: HttpCall): Promise<void> {
  const { api, kind, namespace, name, status } = resolve(call);
  const type = patchTypeOf(call.req.headers['content-type']);
  const body = await readJson(call.req);
  sendWritten(call.res, 200, await api.patch(kind, namespace, name, body, { type, ...(status ? { subresource: 'status' as const } : {}) }));
}

async function remove(call: HttpCall): Promise<void> {
  const { api, kind, namespace, name, status } = resolve(call);
  if (status) throw new MarinaError('Unsupported', 'a status cannot be deleted: delete the object');
  sendJson(call.res, 200, await api.delete(kind, namespace, name, await deleteOptions(call)));
}

/** DeleteOptions from the body (kubectl sends them there) or the query. */
async function deleteOptions(call: HttpCall): Promise<DeleteOptions> {
  const body = call.req.headers['content-length'] === '0' || !call.req.headers['content-type'] ? {} : await readJson(call.req);
  const options = (body ?? {}) as Record<string, unknown>;
  const policy = options.propagationPolicy ?? call.query.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
    throw invalid(`propagationPolicy must be Foreground, Background or Orphan, not "${String(policy)}"`);
  }
  const grace = options.gracePeriodSeconds ?? call.query.get('gracePeriodSeconds') ?? undefined;
  const gracePeriodSeconds = grace === undefined ? undefined : Number(grace);
  if (gracePeriodSeconds !== undefined && !(Number.isInteger(gracePeriodSeconds) && gracePeriodSeconds >= 0)) {
    throw invalid(`gracePeriodSeconds must be a whole number of seconds, not "${String(grace)}"`);
  }
  return {
    ...(policy ? { propagationPolicy: policy } : {}),
    ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
    ...(options.preconditions ? { preconditions: options.preconditions as DeleteOptions['preconditions'] } : {}),
  };
}

/** `/api`, `/apis`, `/api/v1`, `/apis/GROUP/VERSION`: what kubectl and client libraries discover first. */
async function discovery(call: HttpCall): Promise<void> {
  const { kinds } = clusterOf(call);
  const pathname = new URL(call.req.url ?? '/', 'http://marina').pathname.replace(/\/$/, '');
  if (pathname === '/api') {
    sendJson(call.res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    return;
  }
  const groups = new Map<string, Set<string>>();
  for (const kind of kinds.kinds) if (kind.group) groups.set(kind.group, (groups.get(kind.group) ?? new Set()).add(kind.version));
  if (pathname === '/apis') {
    sendJson(call.res, 200, {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => {
        const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
        return { name, versions: list, preferredVersion: list[0] };
      }),
    });
    return;
  }
  const target = parseKubePath(pathname);
  const served = kinds.kinds.filter((k) => k.group === target.group && k.version === target.version);
  if (served.length === 0) throw new MarinaError('NotFound', `${pathname}: no such API group/version`);
  sendJson(call.res, 200, {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(target),
    resources: served.flatMap((k) => [
      { name: k.plural, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
      ...(k.hasStatus ? [{ name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'patch', 'update'] }] : []),
    ]),
  });
}
