/**
 * A ResourceClient over HTTP, for whatever runs outside marinad (the CLI, later node agents on other
 * machines): Kubernetes' paths on marinad's socket (`unix:///path`) or a TCP address (`http://host:port`),
 * one keep-alive agent, Status errors back as MarinaErrors with the matching code, `Warning` headers back
 * as `Written.warnings`, watches as the server's stream of JSON lines.
 */
import { Agent, type IncomingMessage, type RequestOptions, request } from 'node:http';
import { errorCodeOfHttpStatus, MarinaError } from '../../errors.ts';
import { type ApiKind, apiVersionOf, type KubeObject } from './api-kind.ts';
import type { ObjectFilter, Selectors } from './object-filter.ts';
import { errorCodeOfReason } from './status-reasons.ts';
import type { ResourceClient } from './resource-client.ts';
import type { DeleteOptions, ObjectEvent, ObjectList, PatchType, Written } from './resource-service.ts';

/** Where the server listens, as `node:http` wants it. */
type Endpoint = { socketPath: string } | { host: string; port: number };

export function endpointOf(address: string): Endpoint {
  if (address.startsWith('unix://')) return { socketPath: address.slice('unix://'.length) };
  if (address.startsWith('http://')) {
    const url = new URL(address);
    return { host: url.hostname, port: Number(url.port || 80) };
  }
  throw new MarinaError('Invalid', `unsupported API address "${address}": use unix:///path or http://host:port`);
}

/** `/apis/apps/v1/namespaces/default/deployments/web/status` and its shorter forms. */
export function kubePathOf(kind: ApiKind, namespace: string | undefined, name?: string, subresource?: string): string {
  const root = kind.group ? `/apis/${apiVersionOf(kind)}` : `/api/${kind.version}`;
  const scope = kind.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
  return `${root}${scope}/${kind.plural}${object}`;
}

/** The error a Status body (or any other error answer) stands for; the reason is kept in `details`. */
export function errorOfStatus(httpStatus: number, body: string): MarinaError {
  let status: { message?: unknown; reason?: unknown; code?: unknown } = {};
  try {
    status = JSON.parse(body) as typeof status;
  } catch {
    // Not a Status: the HTTP status alone tells what happened.
  }
  const reason = typeof status.reason === 'string' ? status.reason : undefined;
  const code = (reason ? errorCodeOfReason(reason) : undefined) ?? (httpStatus === 422 ? 'Invalid' : errorCodeOfHttpStatus(httpStatus));
  const message = typeof status.message === 'string' ? status.message : `the API server answered ${httpStatus}: ${body.slice(0, 200)}`;
  return new MarinaError(code, message, reason ? { details: { reason } } : undefined);
}

/** `299 - "text"` (Kubernetes' Warning header) → `text`. */
export function warningText(header: string): string {
  const match = /^\d{3} \S+ (".*")$/.exec(header.trim());
  if (!match) return header;
  try {
    return JSON.parse(match[1]!) as string;
  } catch {
    return match[1]!;
  }
}

function selectorQuery(selectors: Selectors | undefined): Record<string, string> {
  const query: Record<string, string> = {};
  if (selectors?.labelSelector) query.labelSelector = selectors.labelSelector;
  if (selectors?.fieldSelector) query.fieldSelector = selectors.fieldSelector;
  return query;
}

interface Call {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

export class HttpResourceClient implements ResourceClient {
  readonly address: string;
  private readonly endpoint: Endpoint;
  private readonly agent = new Agent({ keepAlive: true });

  constructor(address: string) {
    this.address = address;
    this.endpoint = endpointOf(address);
  }

  async get(kind: ApiKind, namespace: string | undefined, name: string): Promise<KubeObject> {
    return (await this.json({ method: 'GET', path: kubePathOf(kind, namespace, name) })).body as KubeObject;
  }

  /** A function `filter` cannot travel: it is applied here, to what the server's selectors let through. */
  async list(kind: ApiKind, namespace?: string, filter?: ObjectFilter, selectors?: Selectors): Promise<ObjectList> {
    const { body } = await this.json({ method: 'GET', path: kubePathOf(kind, namespace), query: selectorQuery(selectors) });
    const list = body as { items: KubeObject[]; metadata: { resourceVersion: string } };
    return { items: filter ? list.items.filter(filter) : list.items, resourceVersion: list.metadata.resourceVersion };
  }

  async create(kind: ApiKind, namespace: string | undefined, body: unknown): Promise<Written> {
    return this.written({ method: 'POST', path: kubePathOf(kind, namespace), body });
  }

  async update(kind: ApiKind, namespace: string | undefined, name: string, body: unknown): Promise<Written> {
    return this.written({ method: 'PUT', path: kubePathOf(kind, namespace, name), body });
  }

  async updateStatus(kind: ApiKind, namespace: string | undefined, name: string, body: unknown): Promise<Written> {
    return this.written({ method: 'PUT', path: kubePathOf(kind, namespace, name, 'status'), body });
  }

  async patch(
    kind: ApiKind,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: { type: PatchType; subresource?: 'status' },
  ): Promise<Written> {
    return this.written({
      method: 'PATCH',
      path: kubePathOf(kind, namespace, name, options.subresource),
      body: patch,
      contentType: patchContentTypes[options.type],
    });
  }

  async bind(pods: ApiKind, namespace: string, name: string, nodeName: string): Promise<KubeObject> {
    const body = { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } };
    return (await this.json({ method: 'POST', path: kubePathOf(pods, namespace, name, 'binding'), body })).body as KubeObject;
  }

  async delete(kind: ApiKind, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    return (await this.json({ method: 'DELETE', path: kubePathOf(kind, namespace, name), body: options })).body as KubeObject;
  }

  /**
   * The server's watch stream from `resourceVersion`. An ERROR event (e.g. 410: history compacted) throws
   * its error; the stream ending (server timeout, connection lost) ends the iteration, as a local watch
   * ends, and the caller lists and watches again. A function `filter` is applied here: events of objects
   * it rejects are dropped, except that an object which stops matching is reported DELETED.
   */
  async *watch(
    kind: ApiKind,
    namespace: string | undefined,
    resourceVersion: string,
    signal: AbortSignal,
    filter?: ObjectFilter,
    selectors?: Selectors,
  ): AsyncIterable<ObjectEvent> {
    const query = { ...selectorQuery(selectors), watch: 'true', resourceVersion };
    let res: IncomingMessage;
    try {
      res = await this.send({ method: 'GET', path: kubePathOf(kind, namespace), query, signal });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const matching = new Set<string>();
    try {
      for await (const event of jsonLines(res)) {
        if (event.type === 'ERROR') throw errorOfStatus(Number((event.object as { code?: number }).code ?? 500), JSON.stringify(event.object));
        const translated = filter ? filtered(event as ObjectEvent, filter, matching) : (event as ObjectEvent);
        if (translated) yield translated;
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      res.destroy();
    }
  }

  /** Drops the kept-alive connections (a client that is done; watches in flight end). */
  close(): void {
    this.agent.destroy();
  }

  private async written(call: Call): Promise<Written> {
    const { body, res } = await this.json(call);
    const warnings = (res.headersDistinct.warning ?? []).map(warningText);
    return { object: body as KubeObject, warnings };
  }

  private async json(call: Call): Promise<{ body: unknown; res: IncomingMessage }> {
    const res = await this.send(call);
    const text = await readText(res);
    return { body: text === '' ? undefined : JSON.parse(text), res };
  }

  /** One request; resolves once a 2xx answer's headers are in, throws the Status error otherwise. */
  private async send(call: Call): Promise<IncomingMessage> {
    const search = new URLSearchParams(call.query ?? {}).toString();
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    const options: RequestOptions = {
      ...this.endpoint,
      agent: this.agent,
      method: call.method,
      path: search ? `${call.path}?${search}` : call.path,
      headers: {
        accept: 'application/json',
        ...(payload === undefined
          ? {}
          : { 'content-type': call.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) }),
      },
      ...(call.signal ? { signal: call.signal } : {}),
    };
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(options, resolve);
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          ['ENOENT', 'ECONNREFUSED', 'EACCES'].includes(err.code ?? '')
            ? new MarinaError('Unavailable', `Cannot connect to marinad's API at ${this.address}: is marinad running?`, { cause: err })
            : err,
        ),
      );
      req.end(payload);
    });
    const status = res.statusCode ?? 500;
    if (status >= 300) throw errorOfStatus(status, await readText(res));
    return res;
  }
}

/**
 * The event as a filtered watch reports it, given the keys of the objects that matched so far in this
 * stream (kept up to date here). Whether an object matched before the stream began is not known here,
 * so a change that makes it match stays a MODIFIED (informers treat an unknown object's MODIFIED as new).
 */
export function filtered(event: ObjectEvent, filter: ObjectFilter, matching: Set<string>): ObjectEvent | undefined {
  const meta = event.object.metadata;
  const key = meta.uid ?? `${meta.namespace ?? ''}/${meta.name ?? ''}`;
  const matches = filter(event.object);
  const matched = matching.has(key);
  if (matches && event.type !== 'DELETED') matching.add(key);
  else matching.delete(key);
  if (matches) return event;
  if (!matched) return undefined;
  return event.type === 'DELETED' ? event : { type: 'DELETED', object: event.object };
}

async function readText(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk;
  return text;
}

async function* jsonLines(res: IncomingMessage): AsyncIterable<{ type: string; object: unknown }> {
  let pending = '';
  res.setEncoding('utf8');
  for await (const chunk of res) {
    pending += chunk as string;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield JSON.parse(line) as { type: string; object: unknown };
      newline = pending.indexOf('\n');
    }
  }
}
