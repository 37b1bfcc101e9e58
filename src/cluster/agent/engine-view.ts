/**
 * What the engine holds for pods, found by the labels the agent puts on everything it creates: per pod
 * (namespace/name) its sandboxes and its containers, grouped by pod uid and container name with the
 * newest attempt first. This is the agent's "actual state"; it survives agent and marinad restarts.
 */
import type { ContainerRecord, ContainerSummary } from '../../engine/container-types.ts';
import type { SandboxRecord } from '../../engine/sandbox-types.ts';
import type { Engine } from '../../engine/services.ts';
import { splitKey } from '../controllers/runtime/informer.ts';
import {
  attemptOf,
  containerNameLabel,
  podKeyOfLabels,
  podNameLabel,
  podNamespaceLabel,
  podUidLabel,
} from './pod-labels.ts';
import type { AttemptObservation } from './pod-status.ts';

export interface PodParts {
  uid: string;
  sandbox: SandboxRecord | undefined;
  /** By container name, newest attempt first. */
  containers: Map<string, ContainerSummary[]>;
}

/**
 * Everything labelled with the pod key, by pod uid (a pod deleted and created again under its name has
 * two). The engine finds them by label through an index: a sync costs what its pod has, not what the
 * node runs.
 */
export async function podPartsOf(
  engine: Pick<Engine, 'containers' | 'sandboxes'>,
  key: string,
): Promise<Map<string, PodParts>> {
  const labels = podKeyLabels(key);
  const [containers, sandboxes] = await Promise.all([
    engine.containers.list({ all: true, labels }),
    engine.sandboxes.list({ labels }),
  ]);
  const parts = new Map<string, PodParts>();
  const partsOf = (uid: string) => {
    let entry = parts.get(uid);
    if (!entry) {
      entry = { uid, sandbox: undefined, containers: new Map() };
      parts.set(uid, entry);
    }
    return entry;
  };
  for (const sandbox of sandboxes) {
    const uid = sandbox.request.labels?.[podUidLabel];
    if (uid) partsOf(uid).sandbox = sandbox;
  }
  for (const container of containers) {
    const uid = container.labels[podUidLabel];
    if (!uid) continue;
    const byName = partsOf(uid).containers;
    const name = container.labels[containerNameLabel] ?? '';
    byName.set(name, [...(byName.get(name) ?? []), container]);
  }
  for (const entry of parts.values()) {
    for (const list of entry.containers.values())
      list.sort((a, b) => attemptOf(b.labels) - attemptOf(a.labels));
  }
  return parts;
}

/** The labels everything of pod `key` (`namespace/name`) carries: podKeyOfLabels the other way round. */
export function podKeyLabels(key: string): Record<string, string> {
  const { namespace, name } = splitKey(key);
  return { [podNameLabel]: name, [podNamespaceLabel]: namespace ?? '' };
}

/** The keys of every pod that has something in the engine (for adoption and orphan clean-up). */
export async function podKeysInEngine(
  engine: Pick<Engine, 'containers' | 'sandboxes'>,
): Promise<Set<string>> {
  const [containers, sandboxes] = await Promise.all([
    engine.containers.list({ all: true }),
    engine.sandboxes.list(),
  ]);
  const keys = new Set<string>();
  for (const labels of [...containers.map((c) => c.labels), ...sandboxes.map((s) => s.request.labels)]) {
    const key = podKeyOfLabels(labels);
    if (key) keys.add(key);
  }
  return keys;
}

/** An engine container as one attempt; a start that failed counts as an exit (Kubernetes' StartError). */
export function attemptObservation(record: ContainerRecord): AttemptObservation {
  const { state } = record;
  const running = state.status === 'running' || state.status === 'paused' || state.status === 'restarting';
  const status = running ? 'running' : state.status === 'created' && !state.error ? 'created' : 'exited';
  return {
    containerId: record.id,
    imageId: record.imageId,
    status,
    startedAt: state.startedAt,
    finishedAt: state.finishedAt,
    exitCode: state.exitCode,
    oomKilled: state.oomKilled,
    error: state.error,
  };
}

/** How long an attempt ran (0 when it never started). */
export function ranForMs(attempt: AttemptObservation): number {
  const started = Date.parse(attempt.startedAt);
  const finished = Date.parse(attempt.finishedAt);
  return Number.isNaN(started) || Number.isNaN(finished) ? 0 : Math.max(0, finished - started);
}
