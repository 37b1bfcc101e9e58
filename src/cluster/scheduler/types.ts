/**
 * What the scheduler reads of a Pod and a Node: structural views with Kubernetes' own field names, so the
 * API's parsed resources (src/cluster/resources/, zod-inferred) are assignable to them without copying.
 * Every field the scheduler does not act on is left out; every field is optional where Kubernetes' is.
 *
 * Enumerated fields (taint effects, operators, whenUnsatisfiable, protocols) are typed `string` here, as
 * the resource schemas parse them: admission validates the values, and the scheduler treats a value it
 * does not know as matching nothing rather than guessing.
 */
import type { TaintView, TolerationView } from '../resources/tolerations.ts';

export type { TaintView, TolerationView };

/** `500m`, `128Mi`, `2` — or a plain number, as YAML often makes it. */
export type Quantity = string | number;
export type ResourceList = Readonly<Record<string, Quantity>>;
export type Labels = Readonly<Record<string, string>>;

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface OwnerReferenceView {
  readonly uid: string;
  readonly controller?: boolean | undefined;
}

export interface PodMetadataView {
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
  readonly uid?: string | undefined;
  readonly labels?: Labels | undefined;
  readonly ownerReferences?: readonly OwnerReferenceView[] | undefined;
}

export interface LabelSelectorRequirementView {
  readonly key: string;
  /** In, NotIn, Exists, DoesNotExist. */
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}

export interface LabelSelectorView {
  readonly matchLabels?: Labels | undefined;
  readonly matchExpressions?: readonly LabelSelectorRequirementView[] | undefined;
}

export interface NodeSelectorRequirementView {
  readonly key: string;
  /** In, NotIn, Exists, DoesNotExist, Gt, Lt. */
  readonly operator: string;
  readonly values?: readonly string[] | undefined;
}

export interface NodeSelectorTermView {
  readonly matchExpressions?: readonly NodeSelectorRequirementView[] | undefined;
  /** Only `metadata.name` is a field Kubernetes allows here. */
  readonly matchFields?: readonly NodeSelectorRequirementView[] | undefined;
}

export interface NodeAffinityView {
  readonly requiredDuringSchedulingIgnoredDuringExecution?:
    | { readonly nodeSelectorTerms: readonly NodeSelectorTermView[] }
    | undefined;
  readonly preferredDuringSchedulingIgnoredDuringExecution?:
    | readonly { readonly weight: number; readonly preference: NodeSelectorTermView }[]
    | undefined;
}

export interface PodAffinityTermView {
  readonly labelSelector?: LabelSelectorView | undefined;
  /** Empty or absent: the incoming pod's own namespace. */
  readonly namespaces?: readonly string[] | undefined;
  readonly topologyKey: string;
}

export interface WeightedPodAffinityTermView {
  readonly weight: number;
  readonly podAffinityTerm: PodAffinityTermView;
}

export interface PodAffinityView {
  readonly requiredDuringSchedulingIgnoredDuringExecution?: readonly PodAffinityTermView[] | undefined;
  readonly preferredDuringSchedulingIgnoredDuringExecution?:
    | readonly WeightedPodAffinityTermView[]
    | undefined;
}

export interface AffinityView {
  readonly nodeAffinity?: NodeAffinityView | undefined;
  readonly podAffinity?: PodAffinityView | undefined;
  readonly podAntiAffinity?: PodAffinityView | undefined;
}


export interface TopologySpreadConstraintView {
  readonly maxSkew: number;
  readonly topologyKey: string;
  /** DoNotSchedule (a filter) or ScheduleAnyway (a score). */
  readonly whenUnsatisfiable: string;
  readonly labelSelector?: LabelSelectorView | undefined;
}

export interface ContainerPortView {
  readonly containerPort?: number | undefined;
  /** 0 or absent: the port is not published on the node. */
  readonly hostPort?: number | undefined;
  /** TCP (the default), UDP, SCTP. */
  readonly protocol?: string | undefined;
  /** Absent or 0.0.0.0: every address of the node. */
  readonly hostIP?: string | undefined;
}

export interface ContainerView {
  readonly resources?: { readonly requests?: ResourceList | undefined } | undefined;
  readonly ports?: readonly ContainerPortView[] | undefined;
}

export interface PodSpecView {
  readonly containers: readonly ContainerView[];
  readonly initContainers?: readonly ContainerView[] | undefined;
  readonly nodeSelector?: Labels | undefined;
  readonly affinity?: AffinityView | undefined;
  readonly tolerations?: readonly TolerationView[] | undefined;
  readonly topologySpreadConstraints?: readonly TopologySpreadConstraintView[] | undefined;
  readonly nodeName?: string | undefined;
  readonly schedulerName?: string | undefined;
  /** Resolved from priorityClassName by admission; orders the scheduling queue. */
  readonly priority?: number | undefined;
}

export interface PodView {
  readonly metadata: PodMetadataView;
  readonly spec: PodSpecView;
}


export interface NodeConditionView {
  readonly type: string;
  /** True, False or Unknown. */
  readonly status: string;
}

export interface NodeView {
  readonly metadata: { readonly name?: string | undefined; readonly labels?: Labels | undefined };
  readonly spec?:
    | { readonly unschedulable?: boolean | undefined; readonly taints?: readonly TaintView[] | undefined }
    | undefined;
  readonly status?:
    | {
        readonly allocatable?: ResourceList | undefined;
        readonly conditions?: readonly NodeConditionView[] | undefined;
      }
    | undefined;
}
