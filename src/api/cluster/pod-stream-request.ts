/**
 * What `pods/NAME/log` and `pods/NAME/exec` ask for, read from the query as Kubernetes' API server reads
 * it (PodLogOptions, PodExecOptions), and which of the pod's containers they mean. Pure.
 */
import type { Pod } from '../../cluster/resources/pod-schemas.ts';
import type { LogOptions } from '../../engine/container-types.ts';
import { invalid, MarinaError } from '../../errors.ts';
import { queryFlag } from '../http-io.ts';

export interface PodLogRequest {
  container: string | undefined;
  /** The attempt before the current one (the container's last run before a restart). */
  previous: boolean;
  timestamps: boolean;
  /** What the engine's log reader takes. */
  options: LogOptions;
}

export interface PodExecRequest {
  container: string | undefined;
  command: string[];
  stdin: boolean;
  tty: boolean;
}

/** A whole number from the query, at least `min`; absent is undefined. */
function wholeNumber(query: URLSearchParams, name: string, min: number): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  if (!/^-?\d+$/.test(text) || Number(text) < min) {
    throw invalid(`${name}: Invalid value: "${text}": must be a whole number of ${min} or more`, { field: name });
  }
  return Number(text);
}

/** PodLogOptions: container, follow, previous, tailLines, sinceSeconds or sinceTime, timestamps. */
export function parsePodLogQuery(query: URLSearchParams): PodLogRequest {
  const tail = wholeNumber(query, 'tailLines', 0);
  const sinceSeconds = wholeNumber(query, 'sinceSeconds', 1);
  const sinceTime = query.get('sinceTime') || undefined;
  if (sinceSeconds !== undefined && sinceTime !== undefined) {
    throw invalid('at most one of sinceTime or sinceSeconds may be specified', { field: 'sinceSeconds' });
  }
  if (query.get('limitBytes')) throw new MarinaError('Unsupported', 'limitBytes is not supported: use tailLines or sinceSeconds');
  const since = sinceSeconds !== undefined ? `${sinceSeconds}s` : sinceTime;
  return {
    container: query.get('container') || undefined,
    previous: queryFlag(query, 'previous'),
    timestamps: queryFlag(query, 'timestamps'),
    options: {
      follow: queryFlag(query, 'follow'),
      ...(tail !== undefined ? { tail } : {}),
      ...(since !== undefined ? { since } : {}),
    },
  };
}

/** PodExecOptions: `command` once per argument, container, stdin, tty. */
export function parsePodExecQuery(query: URLSearchParams): PodExecRequest {
  const command = query.getAll('command');
  if (command.length === 0 || command[0] === '') {
    throw invalid('command: Required value: give the command to run, one command= per argument', { field: 'command' });
  }
  return {
    container: query.get('container') || undefined,
    command,
    stdin: queryFlag(query, 'stdin'),
    tty: queryFlag(query, 'tty'),
  };
}

export interface ChosenContainer {
  name: string;
  role: 'init' | 'app';
}

/** Go's `%v` of a string slice, as Kubernetes' messages print the container names. */
const goList = (names: readonly string[]) => `[${names.join(' ')}]`;

/**
 * The container a request means: the one named, or the pod's only container. Kubernetes' API server
 * answers 400 (BadRequest) with these messages, naming the choices when there is more than one.
 */
export function choosePodContainer(pod: Pod, requested: string | undefined): ChosenContainer {
  const podName = pod.metadata.name ?? '';
  const apps = pod.spec.containers.map((c) => c.name);
  const inits = (pod.spec.initContainers ?? []).map((c) => c.name);
  if (requested === undefined) {
    if (apps.length === 1) return { name: apps[0]!, role: 'app' };
    const alsoInit = inits.length > 0 ? ` or one of the init containers: ${goList(inits)}` : '';
    throw badRequest(`a container name must be specified for pod ${podName}, choose one of: ${goList(apps)}${alsoInit}`);
  }
  if (apps.includes(requested)) return { name: requested, role: 'app' };
  if (inits.includes(requested)) return { name: requested, role: 'init' };
  throw badRequest(`container ${requested} is not valid for pod ${podName}`);
}

/** Kubernetes' 400 BadRequest (not the 422 of an invalid object). */
export function badRequest(message: string): MarinaError {
  return new MarinaError('Invalid', message, { details: { reason: 'BadRequest' } });
}
