/**
 * The Node object and Lease the agent keeps for its node, as the kubelet fills them: capacity from the
 * host (allocatable the same, nothing reserved), the well-known labels, the Ready condition with its
 * heartbeat, addresses and nodeInfo. Pure: the host's facts come in as HostFacts.
 */
import type { Lease } from '../resources/coordination-schemas.ts';
import type { Node } from '../resources/core-schemas.ts';

/** Pods per node, the kubelet's default `--max-pods`. */
export const maxPods = 110;

export interface HostFacts {
  hostname: string;
  cpus: number;
  memoryBytes: number;
  /** As Node reports it (`x64`, `x86_64`, `arm64`…); mapped to Kubernetes' names. */
  arch: string;
  kernel: string;
  osImage: string;
  /** The address pods reach the host on (the default bridge's gateway), else 127.0.0.1. */
  hostIP: string;
  version: string;
}

export function kubernetesArch(arch: string): string {
  const names: Record<string, string> = {
    x64: 'amd64',
    x86_64: 'amd64',
    aarch64: 'arm64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  return names[arch] ?? arch;
}

export function nodeLabels(name: string, facts: HostFacts): Record<string, string> {
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': kubernetesArch(facts.arch),
  };
}

type NodeStatus = NonNullable<Node['status']>;

export function nodeStatus(facts: HostFacts, previous: NodeStatus | undefined, now: string): NodeStatus {
  const capacity = {
    cpu: String(facts.cpus),
    memory: `${Math.floor(facts.memoryBytes / 1024)}Ki`,
    pods: String(maxPods),
  };
  const before = previous?.conditions?.find((c) => c.type === 'Ready');
  const ready = {
    type: 'Ready',
    status: 'True',
    reason: 'KubeletReady',
    message: 'marina node agent is posting ready status',
    lastHeartbeatTime: now,
    lastTransitionTime: before?.status === 'True' ? (before.lastTransitionTime ?? now) : now,
  };
  const others = (previous?.conditions ?? []).filter((c) => c.type !== 'Ready');
  return {
    capacity,
    allocatable: capacity,
    conditions: [ready, ...others],
    addresses: [
      { type: 'InternalIP', address: facts.hostIP },
      { type: 'Hostname', address: facts.hostname },
    ],
    nodeInfo: {
      kernelVersion: facts.kernel,
      osImage: facts.osImage,
      containerRuntimeVersion: `marina://${facts.version}`,
      kubeletVersion: facts.version,
      operatingSystem: 'linux',
      architecture: kubernetesArch(facts.arch),
    },
  };
}

/** Whether the node's status must be written now: not Ready, or the heartbeat is older than `everyMs`. */
export function nodeStatusDue(status: NodeStatus | undefined, now: number, everyMs: number): boolean {
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return true;
  const beat = Date.parse(ready.lastHeartbeatTime ?? '');
  return Number.isNaN(beat) || now - beat >= everyMs;
}

export function leaseSpec(
  nodeName: string,
  previous: Lease['spec'],
  durationSeconds: number,
  now: string,
): NonNullable<Lease['spec']> {
  const sameHolder = previous?.holderIdentity === nodeName;
  return {
    holderIdentity: nodeName,
    leaseDurationSeconds: durationSeconds,
    acquireTime: sameHolder ? (previous?.acquireTime ?? now) : now,
    renewTime: now,
    leaseTransitions: (previous?.leaseTransitions ?? 0) + (previous && !sameHolder ? 1 : 0),
  };
}
