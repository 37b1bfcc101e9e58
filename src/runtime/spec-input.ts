/**
 * Everything the runtime needs to know to write a container's OCI spec, already resolved by the engine
 * (image config merged with the user's request, volumes resolved to host paths). `buildSpec` in
 * spec.ts turns it into the spec with Docker's secure defaults; it is pure and unit-tested.
 */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

export type SpecMount =
  | { type: 'bind'; source: string; target: string; readOnly: boolean }
  | { type: 'tmpfs'; target: string; sizeBytes?: number; mode?: number; options?: string[] };

export interface ResourceLimits {
  /** Hard memory limit in bytes; swap is limited to the same value (no swap), as Docker's default. */
  memoryBytes?: number;
  /** CPU quota in billionths of a CPU (`--cpus 1.5` → 1.5e9). */
  nanoCpus?: number;
  /** Max number of tasks; undefined means Marina's default limit, -1 unlimited. */
  pidsLimit?: number;
}

export interface SpecInput {
  rootfs: string;
  readOnlyRootfs: boolean;
  args: string[];
  env: string[];
  cwd: string;
  user: ResolvedUser;
  hostname: string;
  tty: boolean;
  consoleSize?: { height: number; width: number };
  mounts: SpecMount[];
  resources: ResourceLimits;
  /** Capability names with or without the CAP_ prefix. */
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  noNewPrivileges: boolean;
  /** Docker's default profile, or none. */
  seccomp: 'default' | 'unconfined';
  /** cgroup path, e.g. `/marina/<id>` (cgroupfs layout). */
  cgroupsPath: string;
  /** `private`: a new network namespace with loopback only; `host`: share the host's; or a netns path. */
  network: { mode: 'private' } | { mode: 'host' } | { mode: 'path'; path: string };
  /** Host-side files bind-mounted over /etc/hostname, /etc/hosts, /etc/resolv.conf when present. */
  etcFiles?: { hostname?: string; hosts?: string; resolvConf?: string };
  sysctl?: Record<string, string>;
  oomScoreAdj?: number;
  annotations?: Record<string, string>;
}
