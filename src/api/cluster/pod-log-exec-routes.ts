/**
 * `pods/NAME/log` and `pods/NAME/exec`: the kubelet's part of the API, served by the marinad whose node
 * agent runs the pod. The pod's container is found in the engine by the labels the agent puts on it (the
 * newest attempt is the current one, the one before it what `previous` shows); then the engine's log
 * reader and exec service do the work, exactly as for `/v1/containers/ID/logs` and `/v1/exec/ID/start`.
 *
 * Exec is served on Marina's own stdio stream (HTTP Upgrade, 8-byte frames), not Kubernetes' SPDY or
 * WebSocket channels: Marina's CLI is the client, and `kubectl exec` is not supported.
 */
import { PassThrough } from 'node:stream';
import { podPartsOf } from '../../cluster/agent/engine-view.ts';
import type { Pod } from '../../cluster/resources/pod-schemas.ts';
import type { ContainerSummary } from '../../engine/container-types.ts';
import type { AttachedStdio, Engine } from '../../engine/services.ts';
import { MarinaError } from '../../errors.ts';
import { abortOnClose, type HttpCall, http, type Route, type StdioCall, upgrade } from '../api-types.ts';
import type { Router } from '../router.ts';
import { type ExecChannelMessage, type ExecStarted, execStatus } from './exec-channel.ts';
import { type KubeTarget, parseKubePath } from './kube-path.ts';
import { clusterOf } from './kube-routes.ts';
import { badRequest, choosePodContainer, parsePodExecQuery, parsePodLogQuery } from './pod-stream-request.ts';

const routePaths = new Map([
  ['log', '/kube/pod-log'],
  ['exec', '/kube/pod-exec'],
]);

/** The router path of `/api/v1/namespaces/NS/pods/NAME/{log,exec}`, or undefined for any other target. */
export function podStreamRoutePath(target: KubeTarget): string | undefined {
  const isPod = target.group === '' && target.version === 'v1' && target.resource === 'pods' && target.name !== undefined;
  // A Map, not an object: a subresource named `constructor` must not find Object's prototype.
  return isPod && target.subresource !== undefined ? routePaths.get(target.subresource) : undefined;
}

export function addPodLogExecRoutes(router: Router<Route>): void {
  router.add('GET', routePaths.get('log')!, http(podLog));
  router.add('POST', routePaths.get('exec')!, upgrade(podExec));
}

async function podLog(call: HttpCall): Promise<void> {
  const request = parsePodLogQuery(call.query);
  const { engine } = call.ctx;
  const attempts = await containerAttempts(call, request.container);
  const attempt = request.previous ? attempts.previous : attempts.current;
  if (!attempt) {
    throw request.previous
      ? badRequest(`previous terminated container "${attempts.name}" in pod "${attempts.pod}" not found`)
      : waitingToStart(attempts.name, attempts.pod);
  }
  const { res } = call;
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.flushHeaders();
  for await (const entry of engine.containers.logs(attempt.id, request.options, abortOnClose(res))) {
    const data = request.timestamps ? Buffer.concat([Buffer.from(`${utcTime(entry.time)} `), entry.data]) : entry.data;
    if (!res.write(data)) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}

/** Kubernetes prints log times in UTC as `…Z`; the log files say `+00:00`. */
const utcTime = (time: string) => time.replace(/\+00:00$/, 'Z');

async function podExec(call: StdioCall): Promise<AttachedStdio> {
  const request = parsePodExecQuery(call.query);
  const { engine } = call.ctx;
  const { current, name, pod } = await containerAttempts(call, request.container);
  if (!current) throw waitingToStart(name, pod);
  if (current.status !== 'running') throw badRequest(`container ${name} of pod ${pod} is not running (${current.statusText})`);
  const exec = await engine.execs.create(current.id, {
    cmd: request.command,
    ...(request.tty ? { tty: true } : {}),
    ...(request.stdin ? { attachStdin: true } : {}),
  });
  const stdio = await engine.execs.start(exec.id);
  return withExecChannel(stdio, { kind: 'Exec', execId: exec.id }, async () => {
    const { exitCode } = await engine.execs.inspect(exec.id);
    return execStatus(request.command, exitCode ?? -1);
  });
}

/**
 * The exec's stdio with the system channel added: the exec id first, the command's Status last (the
 * engine ends the output only once the exit code is recorded). Always framed, even for a TTY, since the
 * channel needs frames; the TTY's output is all one stream anyway.
 */
function withExecChannel(stdio: AttachedStdio, started: ExecStarted, finished: () => Promise<ExecChannelMessage>): AttachedStdio {
  const output = new PassThrough({ objectMode: true });
  // OutputFrame knows stdout and stderr only; the framing (encodeFrame) carries `system` as stream 3.
  const system = (message: ExecChannelMessage) => ({ stream: 'system', data: Buffer.from(JSON.stringify(message)) });
  output.write(system(started));
  stdio.output.pipe(output, { end: false });
  stdio.output.once('end', () =>
    finished().then(
      (message) => output.end(system(message)),
      () => output.end(),
    ),
  );
  stdio.output.once('error', (err) => output.destroy(err));
  return { output, input: stdio.input, tty: false, close: () => stdio.close() };
}

interface ContainerAttempts {
  pod: string;
  name: string;
  current: ContainerSummary | undefined;
  previous: ContainerSummary | undefined;
}

/** The pod the URL names, checked to run on this marinad's node, and its chosen container's engine attempts. */
async function containerAttempts(call: HttpCall | StdioCall, requested: string | undefined): Promise<ContainerAttempts> {
  const cluster = clusterOf(call);
  const { namespace, name } = parseKubePath(new URL(call.req.url ?? '/', 'http://marina').pathname);
  if (namespace === undefined || name === undefined) throw new MarinaError('NotFound', 'pod logs and exec are at /api/v1/namespaces/NS/pods/NAME/{log,exec}');
  const pod = (await cluster.resources.get(cluster.kinds.byResource('', 'v1', 'pods')!, namespace, name)) as Pod;
  const container = choosePodContainer(pod, requested);
  checkOnThisNode(pod, cluster.localNode);
  const attempts = await engineAttempts(call.ctx.engine, pod, container.name);
  return { pod: name, name: container.name, current: attempts[0], previous: attempts[1] };
}

/** Logs and exec reach only this marinad's own engine: a pod elsewhere is refused, naming its node. */
function checkOnThisNode(pod: Pod, localNode: string | undefined): void {
  const name = pod.metadata.name ?? '';
  const node = pod.spec.nodeName;
  if (!node) throw badRequest(`pod ${name} does not have a host assigned`);
  if (node === localNode) return;
  const where = localNode === undefined ? 'this marinad runs no node agent' : `this marinad's node is ${localNode}`;
  throw new MarinaError(
    'Unavailable',
    `pod ${name} runs on node ${node} and ${where}: logs and exec reach only the pods of the node whose marinad is asked (proxying to other nodes is not there yet)`,
  );
}

/** The engine containers of one container of the pod (this uid, not an older pod of the same name), newest attempt first. */
async function engineAttempts(engine: Engine, pod: Pod, container: string): Promise<ContainerSummary[]> {
  const parts = await podPartsOf(engine, `${pod.metadata.namespace}/${pod.metadata.name}`);
  return parts.get(pod.metadata.uid ?? '')?.containers.get(container) ?? [];
}

function waitingToStart(container: string, pod: string): MarinaError {
  return badRequest(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
}
