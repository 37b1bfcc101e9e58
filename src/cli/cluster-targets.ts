/**
 * What the cluster verbs are pointed at, read the way kubectl reads it: `KIND[,KIND…] [NAME…]` or
 * `KIND/NAME…`, kinds by any name a user types (`deploy`, `pods`, `Job`), and objects named back as
 * kubectl names them (`deployment.apps/web`).
 */
import { kindByName, type ResourceKind } from '../cluster/resources/registry.ts';
import { invalid } from '../errors.ts';

/**
 * Names the CLI takes for a kind the API does not serve: Marina keeps a Service's endpoints only as
 * EndpointSlices (Kubernetes deprecated the v1 Endpoints kind in 1.33), so `get endpoints` lists those.
 */
const cliAliases: Record<string, string> = { endpoints: 'endpointslices', ep: 'endpointslices' };

/** A kind by any name a user types, the CLI's aliases included. */
export function kindNamed(name: string): ResourceKind {
  return kindByName(cliAliases[name.toLowerCase()] ?? name);
}

export interface Target {
  kind: ResourceKind;
  /** Empty: every object of the kind. */
  names: string[];
}

/** `deployment.apps`, `pod`: the kind as kubectl prints it before an object's name. */
export function kindLabel(kind: Pick<ResourceKind, 'singular' | 'group'>): string {
  return kind.group ? `${kind.singular}.${kind.group}` : kind.singular;
}

/** `deployment.apps/web`. */
export function objectRef(kind: Pick<ResourceKind, 'singular' | 'group'>, name: string): string {
  return `${kindLabel(kind)}/${name}`;
}

/**
 * `get deploy,po`, `get deploy web api`, `get deploy/web po/x`: one target per kind, in the order typed.
 * The two forms do not mix, as in kubectl.
 */
export function parseTargets(args: readonly string[]): Target[] {
  if (args.length === 0) throw invalid('name a resource type, e.g. marina get pods (types: pods, deployments, replicasets, jobs, cronjobs, configmaps, secrets, services, endpointslices (or endpoints), events, nodes, namespaces, leases)');
  const slashed = args.filter((a) => a.includes('/'));
  if (slashed.length === 0) {
    const [kinds, ...names] = args as [string, ...string[]];
    const unique = [...new Set(kinds.split(',').filter(Boolean).map(kindNamed))];
    if (unique.length > 1 && names.length > 0) throw invalid('names go with one resource type: use KIND/NAME to name objects of several types');
    return unique.map((kind) => ({ kind, names }));
  }
  if (slashed.length !== args.length) throw invalid(`there is no need to give a resource type with KIND/NAME: ${args.join(' ')}`);
  const targets: Target[] = [];
  for (const arg of args) {
    const { kind, name } = parseKindSlashName(arg);
    const existing = targets.find((t) => t.kind === kind);
    if (existing) existing.names.push(name);
    else targets.push({ kind, names: [name] });
  }
  return targets;
}

/** `deploy/web` → the Deployment kind and "web". */
export function parseKindSlashName(arg: string): { kind: ResourceKind; name: string } {
  const slash = arg.indexOf('/');
  const name = arg.slice(slash + 1);
  if (slash <= 0 || name === '' || name.includes('/')) throw invalid(`"${arg}" is not KIND/NAME, e.g. deploy/web`);
  return { kind: kindNamed(arg.slice(0, slash)), name };
}

/** `deploy/web`, or `deploy web` given as two arguments: the form `scale` and `rollout` take. */
export function singleTarget(args: readonly string[], allowed: readonly string[]): { kind: ResourceKind; name: string } {
  const target =
    args.length === 1 ? parseKindSlashName(args[0]!) : args.length === 2 ? { kind: kindNamed(args[0]!), name: args[1]! } : undefined;
  if (!target) throw invalid(`name one object as KIND/NAME, e.g. deploy/web (got ${args.length} arguments)`);
  if (!allowed.includes(target.kind.kind)) {
    throw invalid(`${target.kind.plural} are not supported here: only ${allowed.map((k) => k.toLowerCase()).join(', ')}`);
  }
  return target;
}
