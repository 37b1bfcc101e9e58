/** What `marina rollout …` does (loaded only when it runs; flags in cluster-rollout-commands.ts). */
import type { KubeObject } from '../cluster/apiserver/api-kind.ts';
import { sameTemplate } from '../cluster/controllers/deployment/pod-template-hash.ts';
import { rollbackTemplate } from '../cluster/controllers/deployment/revisions.ts';
import type { Deployment, ReplicaSet } from '../cluster/resources/apps-schemas.ts';
import { kindByName } from '../cluster/resources/registry.ts';
import { isMarinaError, MarinaError } from '../errors.ts';
import { resources } from './cluster-actions.ts';
import type { NamespaceFlags } from './cluster-commands.ts';
import { historyRows, parseRevision, restartPatch, rolloutProgress } from './cluster-rollout.ts';
import { objectRef, singleTarget } from './cluster-targets.ts';
import { print } from './cli-support.ts';
import { columns } from './human.ts';

function deploymentTarget(args: string[]) {
  return singleTarget(args, ['Deployment']);
}

async function replicaSetsOf(d: Deployment): Promise<ReplicaSet[]> {
  const list = await resources().list(kindByName('replicasets'), d.metadata.namespace);
  return list.items as unknown as ReplicaSet[];
}

/** Sets `spec.paused`; kubectl refuses to pause a paused Deployment (and to resume a running one). */
async function setPaused(args: string[], flags: NamespaceFlags, paused: boolean): Promise<void> {
  const { kind, name } = deploymentTarget(args);
  const d = (await resources().get(kind, flags.namespace, name)) as unknown as Deployment;
  if (Boolean(d.spec.paused) === paused) {
    throw new MarinaError('Conflict', `${objectRef(kind, name)} is ${paused ? 'already paused' : 'not paused'}`);
  }
  await resources().patch(kind, flags.namespace, name, { spec: { paused } }, { type: 'merge' });
  print(`${objectRef(kind, name)} ${paused ? 'paused' : 'resumed'}`);
}

export const pause = (args: string[], flags: NamespaceFlags) => setPaused(args, flags, true);
export const resume = (args: string[], flags: NamespaceFlags) => setPaused(args, flags, false);

export async function status(args: string[], flags: NamespaceFlags & { watch: boolean }): Promise<void> {
  const { kind, name } = deploymentTarget(args);
  const selectors = { fieldSelector: `metadata.name=${name}` };
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  let last = '';
  const report = (object: KubeObject): boolean => {
    const progress = rolloutProgress(object as unknown as Deployment);
    if (progress.message !== last) print(progress.message);
    last = progress.message;
    return progress.done;
  };
  const current = await resources().get(kind, flags.namespace, name);
  if (report(current) || !flags.watch) return;
  try {
    for await (const event of resources().watch(kind, flags.namespace, current.metadata.resourceVersion ?? '0', stop.signal, undefined, selectors)) {
      if (event.type === 'DELETED') throw new MarinaError('NotFound', `${objectRef(kind, name)} was deleted during the rollout`);
      if (report(event.object)) return;
    }
  } finally {
    stop.abort();
  }
}

export async function history(args: string[], flags: NamespaceFlags): Promise<void> {
  const { kind, name } = deploymentTarget(args);
  const d = (await resources().get(kind, flags.namespace, name)) as unknown as Deployment;
  const rows = historyRows(d, await replicaSetsOf(d));
  print(`${objectRef(kind, name)}`);
  print(rows.length > 0 ? columns(['REVISION', 'CHANGE-CAUSE'], rows) : 'No rollout history found.');
}

export async function undo(args: string[], flags: NamespaceFlags & { toRevision: string }): Promise<void> {
  const { kind, name } = deploymentTarget(args);
  const toRevision = parseRevision(flags.toRevision);
  for (let attempt = 1; ; attempt++) {
    const d = (await resources().get(kind, flags.namespace, name)) as unknown as Deployment;
    if (d.spec.paused) throw new MarinaError('Conflict', `you cannot rollback a paused deployment; resume it first with 'marina rollout resume ${objectRef(kind, name)}' and try again`);
    const template = rollbackTemplate(d, await replicaSetsOf(d), toRevision);
    if (sameTemplate(template, d.spec.template)) {
      print(`${objectRef(kind, name)} skipped rollback (current template already matches ${toRevision ? `revision ${toRevision}` : 'the previous revision'})`);
      return;
    }
    try {
      // The read's resourceVersion makes the write conditional: a change in between means read again.
      await resources().update(kind, flags.namespace, name, { ...d, spec: { ...d.spec, template } });
      print(`${objectRef(kind, name)} rolled back`);
      return;
    } catch (err) {
      if (!isMarinaError(err, 'Conflict') || attempt === 5) throw err;
    }
  }
}

export async function restart(args: string[], flags: NamespaceFlags): Promise<void> {
  const { kind, name } = deploymentTarget(args);
  const d = (await resources().get(kind, flags.namespace, name)) as unknown as Deployment;
  if (d.spec.paused) throw new MarinaError('Conflict', `can't restart paused ${objectRef(kind, name)} (run 'marina rollout resume' first)`);
  await resources().patch(kind, flags.namespace, name, restartPatch(new Date()), { type: 'merge' });
  print(`${objectRef(kind, name)} restarted`);
}
