/**
 * What the cluster system tests (and the cluster benches) share: raw requests to marinad's Kubernetes-style
 * API on its socket, an object's conditions read, and a pod waited for.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { eventually, type TestDaemon } from './harness.ts';

/** A parsed JSON answer, which the tests index into freely. */
export type Json = ReturnType<typeof JSON.parse>;

export interface KubeAnswer {
  status: number;
  /** The parsed body; `{}` when there was none. */
  body: Json;
  headers: IncomingHttpHeaders;
}

/** One request on a marinad's socket, `body` sent as JSON (or as `contentType`, e.g. a patch type). */
export function kubeRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<KubeAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = payload
      ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }
      : {};
    const req = request({ socketPath, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {}, headers: res.headers }),
      );
    });
    req.on('error', reject);
    req.end(payload);
  });
}

interface WithConditions {
  status?: { conditions?: readonly { type: string; status: string }[] };
}

/** The status (`True`, `False`, `Unknown`) of the object's condition `type`; undefined when it has none. */
export const conditionStatus = (object: WithConditions, type: string): string | undefined =>
  object.status?.conditions?.find((c) => c.type === type)?.status;

export const isPodReady = (pod: WithConditions): boolean => conditionStatus(pod, 'Ready') === 'True';

/**
 * Requests to the daemon's cluster API, and its pods of the default namespace read and waited for. The
 * daemon is only touched when they run, so this can be called at the top of a file with `useDaemon`'s.
 */
export function clusterApi(d: Pick<TestDaemon, 'socket' | 'logs'>) {
  const kube = (method: string, path: string, body?: unknown, contentType?: string) =>
    kubeRequest(d.socket, method, path, body, contentType);

  /** The pod `name`; undefined when there is none. */
  async function getPod(name: string): Promise<Json | undefined> {
    const answer = await kube('GET', `/api/v1/namespaces/default/pods/${name}`);
    return answer.status === 200 ? answer.body : undefined;
  }

  /** Waits until the pod exists and `check` holds; the failure names `what` and the node agent's last lines. */
  function waitForPod(
    name: string,
    what: string,
    check: (pod: Json) => boolean,
    timeoutMs = 30_000,
  ): Promise<Json> {
    return eventually(
      async () => {
        const pod = await getPod(name);
        return pod && check(pod) ? pod : undefined;
      },
      timeoutMs,
      `pod ${name}: ${what} (agent logs: ${d
        .logs()
        .split('\n')
        .filter((l) => l.includes('node-agent'))
        .slice(-5)
        .join('\n')})`,
    );
  }

  return { kube, getPod, waitForPod };
}
