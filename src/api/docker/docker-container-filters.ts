/**
 * The `filters` of `GET /containers/json` (pure), with Docker's meanings: values of one filter are OR-ed
 * (all of them for `label`, as Docker's MatchKVList), different filters AND-ed. compose finds its containers with `label`; `docker ps` offers the rest.
 * `label` sees the image's labels too, as Docker copies them into a container's at create.
 */
import type { ContainerRecord } from '../../engine/container-types.ts';
import { invalid } from '../../errors.ts';
import type { NetworkRecord } from '../../network/network-types.ts';
import { networkModeOf } from './docker-container-json.ts';

const statuses = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** What a test reads besides the record: the networks, and the container's labels with its image's under them. */
interface FilterContext {
  networks: readonly NetworkRecord[];
  labels: Record<string, string>;
}

type Test = (record: ContainerRecord, value: string, context: FilterContext) => boolean;

function matchesLabel(labels: Record<string, string>, value: string): boolean {
  const eq = value.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, value);
  return labels[value.slice(0, eq)] === value.slice(eq + 1);
}

/** Docker's `name` filter is a regular expression matched anywhere in the name (with its leading slash). */
function matchesName(name: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(`/${name}`);
  } catch {
    throw invalid(`invalid filter 'name=${pattern}': not a regular expression`);
  }
}

/** `busybox`, `busybox:latest`, `docker.io/library/busybox` and the image id all name the same image. */
function matchesAncestor(record: ContainerRecord, value: string): boolean {
  const hex = record.imageId.replace(/^sha256:/, '');
  const bare = value.replace(/^sha256:/, '');
  if (/^[0-9a-f]{4,64}$/.test(bare) && hex.startsWith(bare)) return true;
  const normalize = (ref: string) => {
    const withTag = /:[^/]+$/.test(ref) || ref.includes('@') ? ref : `${ref}:latest`;
    return withTag.replace(/^docker\.io\//, '').replace(/^library\//, '');
  };
  return normalize(record.image) === normalize(value);
}

function joinedNetworks(record: ContainerRecord, networks: readonly NetworkRecord[]): NetworkRecord[] {
  const ids = new Set(record.networks.map((e) => e.networkId));
  const mode = networkModeOf(record);
  return networks.filter((n) => ids.has(n.id) || n.name === mode);
}

const tests: Record<string, Test> = {
  label: (_r, v, { labels }) => matchesLabel(labels, v),
  name: (r, v) => matchesName(r.name, v),
  id: (r, v) => r.id.startsWith(v),
  status: (r, v) => {
    if (!statuses.includes(v)) throw invalid(`invalid filter 'status=${v}': use one of ${statuses.join(', ')}`);
    return r.state.status === v;
  },
  ancestor: (r, v) => matchesAncestor(r, v),
  network: (r, v, { networks }) => joinedNetworks(r, networks).some((n) => n.name === v || n.id.startsWith(v)),
  exited: (r, v) => {
    if (!/^-?\d+$/.test(v)) throw invalid(`invalid filter 'exited=${v}': use an exit code`);
    return r.state.status === 'exited' && r.state.exitCode === Number(v);
  },
  health: (r, v) => (r.state.health?.status ?? 'none') === v,
  volume: (r, v) => r.mounts.some((m) => m.name === v || m.target === v),
};

/**
 * A predicate for the given filters; throws Invalid for a filter Docker does not know (before anything is
 * listed), and `status`/`exited` imply all containers, as Docker's do.
 */
export function containerFilter(
  filters: Map<string, string[]>,
  networks: readonly NetworkRecord[],
): { includesStopped: boolean; test: (record: ContainerRecord, labels: Record<string, string>) => boolean } {
  for (const key of filters.keys()) {
    if (!tests[key]) throw invalid(`invalid filter '${key}': use one of ${Object.keys(tests).join(', ')}`);
  }
  return {
    includesStopped: filters.has('status') || filters.has('exited'),
    test: (record, labels) =>
      [...filters].every(([key, values]) => {
        const matches = (v: string) => tests[key]!(record, v, { networks, labels });
        return key === 'label' ? values.every(matches) : values.length === 0 || values.some(matches);
      }),
  };
}
