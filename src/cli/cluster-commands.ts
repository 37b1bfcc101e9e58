/**
 * The kubectl-like verbs on marinad's cluster API: apply, get, describe, delete, scale, deploy (rollout
 * is in cluster-rollout-commands.ts). Only their flags are here; what they do is in cluster-actions.ts,
 * loaded when one of them runs, so the other commands start as fast as before.
 */
import type { Command } from 'commander';
import { collect } from './cli-support.ts';

export interface NamespaceFlags {
  namespace: string;
}

export interface GetFlags extends NamespaceFlags {
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: string;
  watch?: boolean;
}

export interface DeleteFlags extends NamespaceFlags {
  filename: string[];
  cascade: string;
  gracePeriod?: string;
  wait?: boolean;
  ignoreNotFound?: boolean;
}

export const namespaceOption = ['-n, --namespace <namespace>', 'the namespace of namespaced objects', 'default'] as const;

const actions = () => import('./cluster-actions.ts');

export function registerClusterCommands(program: Command): void {
  program
    .command('apply')
    .description('Create or update cluster objects from manifests (YAML, several documents, or JSON); every object is checked before any is written')
    .requiredOption('-f, --filename <path>', 'a manifest file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)', collect, [])
    .option(...namespaceOption)
    .action(async (flags: NamespaceFlags & { filename: string[] }) => (await actions()).apply(flags));

  program
    .command('get')
    .description('List cluster objects: KIND[,KIND…] [NAME…] or KIND/NAME…; kinds: pods (po), deployments (deploy), replicasets (rs), jobs, cronjobs (cj), configmaps (cm), secrets, services (svc), endpointslices (endpoints, ep), events (ev), nodes (no), namespaces (ns), leases')
    .argument('<kind-or-object...>')
    .option(...namespaceOption)
    .option('-A, --all-namespaces', 'objects of every namespace')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=cache or "env in (prod,staging)"')
    .option('--field-selector <selector>', 'field selector, e.g. metadata.name=web or status.phase=Running')
    .option('-o, --output <format>', 'wide, json, yaml or name')
    .option('-w, --watch', 'after the list, print each change as it happens (one kind only; stop with Ctrl-C)')
    .action(async (args: string[], flags: GetFlags) => (await actions()).get(args, flags));

  program
    .command('describe')
    .description('Show the details of cluster objects and the Events about them: KIND [NAME…] or KIND/NAME…')
    .argument('<kind-or-object...>')
    .option(...namespaceOption)
    .option('-l, --selector <selector>', 'label selector (when no name is given)')
    .action(async (args: string[], flags: NamespaceFlags & { selector?: string }) => (await actions()).describe(args, flags));

  program
    .command('delete')
    .description('Delete cluster objects: KIND NAME…, KIND/NAME…, or those in manifests (-f)')
    .argument('[kind-or-object...]')
    .option('-f, --filename <path>', 'the objects of these manifests (file, directory or -; repeatable)', collect, [])
    .option(...namespaceOption)
    .option('--cascade <policy>', 'what happens to the objects it owns: background (deleted after it), foreground (deleted before it) or orphan (kept)', 'background')
    .option('--grace-period <seconds>', "pods: seconds to stop (default: the pod's terminationGracePeriodSeconds); 0 removes at once")
    .option('--wait', 'return only once the objects are gone (finalizers done, pods stopped)')
    .option('--ignore-not-found', 'an object that does not exist is not an error')
    .action(async (args: string[], flags: DeleteFlags) => (await actions()).remove(args, flags));

  program
    .command('scale')
    .description('Set the replicas of a Deployment or ReplicaSet: scale deploy/NAME --replicas N')
    .argument('<object...>', 'KIND/NAME (or KIND NAME)')
    .requiredOption('--replicas <count>', 'the new number of replicas (0 or more)')
    .option(...namespaceOption)
    .action(async (args: string[], flags: NamespaceFlags & { replicas: string }) => (await actions()).scale(args, flags));

  program
    .command('deploy')
    .description('Create or update a Deployment running IMAGE (pods labelled app=NAME) and, with --port, a Service NAME in front of it, as apply would write them')
    .argument('<image>')
    .requiredOption('--name <name>', 'the Deployment (and its container) name')
    .option('--replicas <count>', 'how many pods', '1')
    .option('--port <port>', 'the port the pods serve on: declared on the container, and served by a ClusterIP Service NAME on the same port')
    .option('-e, --env <K=V>', 'an environment variable of the container (repeatable; K alone takes it from here)', collect, [])
    .option(...namespaceOption)
    .action(async (image: string, flags: NamespaceFlags & { name: string; replicas: string; port?: string; env: string[] }) =>
      (await actions()).deploy(image, flags),
    );
}
