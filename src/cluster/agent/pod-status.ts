/**
 * The pod's status as the kubelet reports it, computed from what the agent observed of its containers.
 * Pure and deterministic (times come from the observations or the previous status), so the agent can
 * compare the result with the stored status and write only when something changed.
 */
import type { ContainerState, ContainerStatus, Pod, PodStatus } from '../resources/pod-schemas.ts';

/** One engine container (one attempt) of a pod container. */
export interface AttemptObservation {
  containerId: string;
  imageId: string;
  status: 'created' | 'running' | 'exited';
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  oomKilled: boolean;
  /** Why it could not start, when it could not. */
  error: string;
}

export interface ContainerObservation {
  name: string;
  image: string;
  /** The latest attempt, if any was made. */
  current?: AttemptObservation;
  /** The attempt before it (its end is `lastState`). */
  previous?: AttemptObservation;
  restartCount: number;
  /** Set when the container is not running for a reason the agent decided (pulling, back-off, bad config). */
  waiting?: { reason: string; message?: string };
  ready: boolean;
  started: boolean;
}

export interface PodObservation {
  podIP: string;
  hostIP: string;
  initContainers: ContainerObservation[];
  containers: ContainerObservation[];
  /** The pod failed as a whole (an init container failed under restartPolicy Never). */
  failure?: { reason: string; message: string };
}

const managedConditions = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'];

export function computePodStatus(pod: Pod, observed: PodObservation, now: string): PodStatus {
  const previous = pod.status ?? {};
  const restartPolicy = pod.spec.restartPolicy ?? 'Always';
  const initialized = observed.initContainers.every(isSucceeded);
  const phase = observed.failure ? 'Failed' : podPhase(observed, initialized, restartPolicy);
  const containersReady = initialized && observed.containers.every((c) => c.ready);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const conditions = [
    condition('PodScheduled', true),
    condition('Initialized', initialized, initialized ? undefined : 'ContainersNotInitialized'),
    condition(
      'ContainersReady',
      containersReady && !completed,
      completed ? 'PodCompleted' : containersReady ? undefined : 'ContainersNotReady',
    ),
    condition(
      'Ready',
      containersReady && !completed,
      completed ? 'PodCompleted' : containersReady ? undefined : 'ContainersNotReady',
    ),
  ].map((c) => withTransitionTime(c, previous.conditions, now));
  const others = (previous.conditions ?? []).filter((c) => !managedConditions.includes(c.type));
  const status: PodStatus = {
    phase,
    conditions: [...conditions, ...others],
    hostIP: observed.hostIP,
    hostIPs: observed.hostIP ? [{ ip: observed.hostIP }] : undefined,
    podIP: observed.podIP || undefined,
    podIPs: observed.podIP ? [{ ip: observed.podIP }] : undefined,
    startTime: previous.startTime ?? now,
    initContainerStatuses: observed.initContainers.length
      ? observed.initContainers.map(containerStatus)
      : undefined,
    containerStatuses: observed.containers.map(containerStatus),
    qosClass: previous.qosClass,
    reason: observed.failure?.reason,
    message: observed.failure?.message,
  };
  return JSON.parse(JSON.stringify(status)) as PodStatus;
}

/** The kubelet's getPhase. */
export function podPhase(observed: PodObservation, initialized: boolean, restartPolicy: string): string {
  if (!initialized) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of observed.containers) {
    const state = stateOf(c);
    if (state.running) running++;
    else if (state.terminated) {
      stopped++;
      if (state.terminated.exitCode === 0) succeeded++;
    } else if (c.current?.status === 'exited' || c.previous) {
      // Waiting to restart after an exit: it has run, so it counts as stopped, as in the kubelet.
      stopped++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  if (restartPolicy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  if (restartPolicy === 'Never') return 'Failed';
  return 'Running';
}

function isSucceeded(c: ContainerObservation): boolean {
  return c.current?.status === 'exited' && c.current.exitCode === 0 && !c.waiting;
}

export function stateOf(c: ContainerObservation): ContainerState {
  if (c.waiting) return { waiting: { reason: c.waiting.reason, message: c.waiting.message } };
  const current = c.current;
  if (!current || current.status === 'created') return { waiting: { reason: 'ContainerCreating' } };
  if (current.status === 'running') return { running: { startedAt: current.startedAt || undefined } };
  return { terminated: terminated(current) };
}

function terminated(attempt: AttemptObservation): NonNullable<ContainerState['terminated']> {
  return {
    exitCode: attempt.exitCode,
    reason: attempt.oomKilled
      ? 'OOMKilled'
      : attempt.exitCode === 0
        ? 'Completed'
        : attempt.error
          ? 'StartError'
          : 'Error',
    message: attempt.error || undefined,
    startedAt: attempt.startedAt || undefined,
    finishedAt: attempt.finishedAt || undefined,
    containerID: `marina://${attempt.containerId}`,
  };
}

function containerStatus(c: ContainerObservation): ContainerStatus {
  const state = stateOf(c);
  // While waiting to restart, the attempt that ended is the last state; once restarted, the one before.
  const ended =
    state.waiting && c.current?.status === 'exited'
      ? c.current
      : c.previous?.status === 'exited'
        ? c.previous
        : undefined;
  const shown = state.waiting && c.current?.status === 'exited' ? undefined : c.current;
  return {
    name: c.name,
    state,
    lastState: ended ? { terminated: terminated(ended) } : {},
    ready: c.ready && Boolean(state.running),
    restartCount: c.restartCount,
    image: c.image,
    imageID: shown?.imageId ?? '',
    containerID: shown ? `marina://${shown.containerId}` : undefined,
    started: Boolean(state.running) && c.started,
  };
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  lastTransitionTime?: string;
}

function condition(type: string, isTrue: boolean, reason?: string): Condition {
  return { type, status: isTrue ? 'True' : 'False', reason: isTrue ? undefined : reason };
}

/** A condition keeps its transition time while its status stays. */
function withTransitionTime(c: Condition, previous: PodStatus['conditions'], now: string): Condition {
  const before = previous?.find((p) => p.type === c.type);
  return {
    ...c,
    lastTransitionTime: before && before.status === c.status ? (before.lastTransitionTime ?? now) : now,
  };
}
