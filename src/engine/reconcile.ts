/**
 * Live restore: at start marinad compares its rows with what the runtime and the snapshotter hold and
 * brings them together. Running containers are re-adopted as they are; containers that ended while
 * marinad was down get their exit recorded (and their policy applied); leftovers with no row go.
 */
import type { Logger } from 'pino';
import type { RuntimeState } from '../runtime/runtime.ts';
import type { ContainerEntry } from './container-store.ts';
import { startsWithDaemon } from './restart-policy.ts';

export type ReconcileAction =
  /** Still running under its monitor: keep it, with the pid the runtime reports. */
  | { kind: 'adopt'; id: string; pid: number }
  /** Was running, is not any more: record the exit from the exit file and apply --rm or the policy. */
  | { kind: 'record-exit'; id: string }
  /** Was waiting for a policy restart when marinad went down. */
  | { kind: 'resume-restart'; id: string }
  /** Stopped, with a policy that brings it back when the daemon starts. */
  | { kind: 'start'; id: string }
  /** marinad died half way through removing it. */
  | { kind: 'finish-removal'; id: string }
  /** Runtime state with no running container behind it in the rows. */
  | { kind: 'delete-runtime'; id: string }
  /** A snapshot no row owns. */
  | { kind: 'remove-snapshot'; id: string };

export interface ReconcileInput {
  containers: readonly ContainerEntry[];
  runtime: ReadonlyMap<string, RuntimeState>;
  snapshots: readonly string[];
}

const alive = (state: RuntimeState | undefined) => state?.status === 'running' || state?.status === 'paused';

export function planReconcile(input: ReconcileInput): ReconcileAction[] {
  const actions: ReconcileAction[] = [];
  const rows = new Map(input.containers.map((e) => [e.record.id, e]));
  for (const entry of input.containers) {
    const { id, state } = entry.record;
    const runtimeState = input.runtime.get(id);
    switch (state.status) {
      case 'running':
        actions.push(alive(runtimeState) ? { kind: 'adopt', id, pid: runtimeState!.pid } : { kind: 'record-exit', id });
        break;
      case 'restarting':
        actions.push({ kind: 'resume-restart', id });
        break;
      case 'removing':
        actions.push({ kind: 'finish-removal', id });
        break;
      case 'exited':
        if (startsWithDaemon(entry.record.request.restartPolicy, entry.explicitlyStopped)) actions.push({ kind: 'start', id });
        break;
      default:
        break;
    }
  }
  for (const id of input.runtime.keys()) {
    const status = rows.get(id)?.record.state.status;
    if (status !== 'running') actions.push({ kind: 'delete-runtime', id });
  }
  for (const id of input.snapshots) if (!rows.has(id)) actions.push({ kind: 'remove-snapshot', id });
  return actions;
}

/** The side of the engine reconcile drives. */
export interface ReconcileTarget {
  adopt(id: string, pid: number): Promise<void>;
  handleExit(id: string): Promise<void>;
  resumeRestart(id: string): Promise<void>;
  start(id: string): Promise<void>;
  finishRemoval(id: string): Promise<void>;
  deleteRuntime(id: string): Promise<void>;
  removeSnapshot(id: string): Promise<void>;
}

/** Applies each action on its own: one container that cannot be reconciled does not stop the others. */
export async function applyReconcile(actions: readonly ReconcileAction[], target: ReconcileTarget, logger: Logger): Promise<void> {
  for (const action of actions) {
    try {
      switch (action.kind) {
        case 'adopt':
          await target.adopt(action.id, action.pid);
          break;
        case 'record-exit':
          await target.handleExit(action.id);
          break;
        case 'resume-restart':
          await target.resumeRestart(action.id);
          break;
        case 'start':
          await target.start(action.id);
          break;
        case 'finish-removal':
          await target.finishRemoval(action.id);
          break;
        case 'delete-runtime':
          await target.deleteRuntime(action.id);
          break;
        case 'remove-snapshot':
          await target.removeSnapshot(action.id);
          break;
      }
      logger.info({ action: action.kind, id: action.id }, 'reconciled');
    } catch (err) {
      logger.warn({ err, action: action.kind, id: action.id }, 'reconcile step failed');
    }
  }
}
