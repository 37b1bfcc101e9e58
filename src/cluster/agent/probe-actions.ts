/**
 * Runs one handler of a probe or a preStop hook against a container: httpGet (from the host to the pod's
 * address, success on 200–399), tcpSocket (a connection opens), exec (the command exits 0, run as an
 * engine exec — the same one the engine's healthchecks use). Each gives up after its timeout.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { runHealthProbe } from '../../engine/health-probe.ts';
import type { EventSource, ExecService } from '../../engine/services.ts';
import type { Container, LifecycleHandler, Probe } from '../resources/pod-schemas.ts';

export interface ActionTarget {
  containerId: string;
  container: Container;
  podIP: string;
}

export interface ActionDeps {
  execs: ExecService;
  events: EventSource;
}

export type Handler = Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket'> & Pick<LifecycleHandler, 'sleep'>;

/** Whether the handler succeeded within `timeoutMs`; a handler with no action counts as success. */
export async function runHandler(
  deps: ActionDeps,
  handler: Handler,
  target: ActionTarget,
  timeoutMs: number,
): Promise<boolean> {
  if (handler.exec?.command?.length) {
    const result = await runHealthProbe(deps, target.containerId, {
      command: handler.exec.command,
      timeoutMs,
      intervalMs: timeoutMs,
      startPeriodMs: 0,
      retries: 1,
      onFailure: 'none',
    });
    return result.exitCode === 0;
  }
  if (handler.httpGet) {
    const { httpGet } = handler;
    const port = resolvePort(httpGet.port, target.container);
    return await httpProbe({
      https: (httpGet.scheme ?? 'HTTP').toUpperCase() === 'HTTPS',
      host: httpGet.host || target.podIP,
      port,
      path: httpGet.path || '/',
      headers: Object.fromEntries((httpGet.httpHeaders ?? []).map((h) => [h.name, h.value])),
      timeoutMs,
    });
  }
  if (handler.tcpSocket) {
    return await tcpProbe(
      handler.tcpSocket.host || target.podIP,
      resolvePort(handler.tcpSocket.port, target.container),
      timeoutMs,
    );
  }
  if (handler.sleep) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(handler.sleep!.seconds * 1000, timeoutMs)));
  }
  return true;
}

/** A port by number, or by the name of one of the container's ports; 0 when the name is unknown. */
export function resolvePort(port: number | string, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort ?? 0;
}

function httpProbe(options: {
  https: boolean;
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
}): Promise<boolean> {
  return new Promise((resolve) => {
    if (!options.host || options.port <= 0) return resolve(false);
    const send = options.https ? httpsRequest : httpRequest;
    const req = send(
      {
        host: options.host,
        port: options.port,
        path: options.path,
        method: 'GET',
        headers: { 'User-Agent': 'marina-probe', ...options.headers },
        timeout: options.timeoutMs,
        // The kubelet does not verify a probe's certificate either.
        rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 400);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (!host || port <= 0) return resolve(false);
    const socket = connect({ host, port, timeout: timeoutMs });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}
