/**
 * core/v1 Pod: PodSpec, its containers, probes and volumes, and PodStatus — the part every workload kind
 * embeds through a PodTemplateSpec.
 *
 * Volumes: `persistentVolumeClaim.claimName` names a Marina named volume (created on first use), so a
 * manifest written for a cluster with a PVC of that name runs unchanged on one Marina node. Marina has no
 * PersistentVolumeClaim kind: the claim's name is the volume's name.
 */
import { z } from 'zod';
import {
  acceptedButIgnored,
  condition,
  intOrString,
  labelSelector,
  localObjectReference,
  objectMeta,
  resourceList,
  time,
} from './meta-schemas.ts';

const keySelector = z.object({
  name: z.string().optional(),
  key: z.string(),
  optional: z.boolean().optional(),
});

const envVar = z.object({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .object({
      configMapKeyRef: keySelector.optional(),
      secretKeyRef: keySelector.optional(),
      fieldRef: z.object({ apiVersion: z.string().optional(), fieldPath: z.string() }).optional(),
    })
    .optional(),
});

const envFromSource = z.object({
  prefix: z.string().optional(),
  configMapRef: z.object({ name: z.string().optional(), optional: z.boolean().optional() }).optional(),
  secretRef: z.object({ name: z.string().optional(), optional: z.boolean().optional() }).optional(),
});

const containerPort = z.object({
  name: z.string().optional(),
  containerPort: z.number().int(),
  hostPort: z.number().int().optional(),
  hostIP: z.string().optional(),
  protocol: z.string().optional(),
});

const httpGetAction = z.object({
  path: z.string().optional(),
  port: intOrString,
  host: z.string().optional(),
  scheme: z.string().optional(),
  httpHeaders: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});
const tcpSocketAction = z.object({ port: intOrString, host: z.string().optional() });
const execAction = z.object({ command: z.array(z.string()).optional() });

const probe = z.object({
  exec: execAction.optional(),
  httpGet: httpGetAction.optional(),
  tcpSocket: tcpSocketAction.optional(),
  initialDelaySeconds: z.number().int().optional(),
  timeoutSeconds: z.number().int().optional(),
  periodSeconds: z.number().int().optional(),
  successThreshold: z.number().int().optional(),
  failureThreshold: z.number().int().optional(),
  terminationGracePeriodSeconds: z.number().int().optional(),
});

const lifecycleHandler = z.object({
  exec: execAction.optional(),
  httpGet: httpGetAction.optional(),
  tcpSocket: tcpSocketAction.optional(),
  sleep: z.object({ seconds: z.number().int() }).optional(),
});

const capabilities = z.object({ add: z.array(z.string()).optional(), drop: z.array(z.string()).optional() });

/** The subset of SecurityContext the runtime's OCI spec can express. */
const securityContext = z.object({
  runAsUser: z.number().int().optional(),
  runAsGroup: z.number().int().optional(),
  runAsNonRoot: z.boolean().optional(),
  privileged: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  capabilities: capabilities.optional(),
});

const podSecurityContext = z.object({
  runAsUser: z.number().int().optional(),
  runAsGroup: z.number().int().optional(),
  runAsNonRoot: z.boolean().optional(),
  fsGroup: z.number().int().optional(),
  supplementalGroups: z.array(z.number().int()).optional(),
  sysctls: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});

const container = z.object({
  name: z.string(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  ports: z.array(containerPort).optional(),
  env: z.array(envVar).optional(),
  envFrom: z.array(envFromSource).optional(),
  resources: z.object({ requests: resourceList.optional(), limits: resourceList.optional() }).optional(),
  volumeMounts: z
    .array(
      z.object({
        name: z.string(),
        mountPath: z.string(),
        readOnly: z.boolean().optional(),
        subPath: z.string().optional(),
      }),
    )
    .optional(),
  livenessProbe: probe.optional(),
  readinessProbe: probe.optional(),
  startupProbe: probe.optional(),
  lifecycle: z
    .object({
      preStop: lifecycleHandler.optional(),
      postStart: acceptedButIgnored(
        lifecycleHandler,
        'postStart hooks are not run by the Marina node agent',
      ).optional(),
    })
    .optional(),
  imagePullPolicy: z.string().optional(),
  securityContext: securityContext.optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.string().optional(),
});

const keyToPath = z.object({ key: z.string(), path: z.string(), mode: z.number().int().optional() });

const volume = z.object({
  name: z.string(),
  emptyDir: z
    .object({ medium: z.string().optional(), sizeLimit: z.union([z.string(), z.number()]).optional() })
    .optional(),
  hostPath: z.object({ path: z.string(), type: z.string().optional() }).optional(),
  configMap: z
    .object({
      name: z.string().optional(),
      items: z.array(keyToPath).optional(),
      defaultMode: z.number().int().optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  secret: z
    .object({
      secretName: z.string().optional(),
      items: z.array(keyToPath).optional(),
      defaultMode: z.number().int().optional(),
      optional: z.boolean().optional(),
    })
    .optional(),
  persistentVolumeClaim: z.object({ claimName: z.string(), readOnly: z.boolean().optional() }).optional(),
});

const nodeSelectorRequirement = z.object({
  key: z.string(),
  operator: z.string(),
  values: z.array(z.string()).optional(),
});
const nodeSelectorTerm = z.object({
  matchExpressions: z.array(nodeSelectorRequirement).optional(),
  matchFields: z.array(nodeSelectorRequirement).optional(),
});

const podAffinityTerm = z.object({
  labelSelector: labelSelector.optional(),
  namespaces: z.array(z.string()).optional(),
  namespaceSelector: labelSelector.optional(),
  topologyKey: z.string(),
});
const weightedPodAffinityTerm = z.object({ weight: z.number().int(), podAffinityTerm });
const podAffinity = z.object({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTerm).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(weightedPodAffinityTerm).optional(),
});

const affinity = z.object({
  nodeAffinity: z
    .object({
      requiredDuringSchedulingIgnoredDuringExecution: z
        .object({ nodeSelectorTerms: z.array(nodeSelectorTerm) })
        .optional(),
      preferredDuringSchedulingIgnoredDuringExecution: z
        .array(z.object({ weight: z.number().int(), preference: nodeSelectorTerm }))
        .optional(),
    })
    .optional(),
  podAffinity: podAffinity.optional(),
  podAntiAffinity: podAffinity.optional(),
});

const toleration = z.object({
  key: z.string().optional(),
  operator: z.string().optional(),
  value: z.string().optional(),
  effect: z.string().optional(),
  tolerationSeconds: z.number().int().optional(),
});

const topologySpreadConstraint = z.object({
  maxSkew: z.number().int(),
  topologyKey: z.string(),
  whenUnsatisfiable: z.string(),
  labelSelector: labelSelector.optional(),
  minDomains: z.number().int().optional(),
  matchLabelKeys: z.array(z.string()).optional(),
});

/** Settings merged into the pod's resolv.conf after its dnsPolicy's (all of them with policy None). */
const podDnsConfig = z.object({
  nameservers: z.array(z.string()).optional(),
  searches: z.array(z.string()).optional(),
  /** resolv.conf `options`: `name` or `name:value`. */
  options: z.array(z.object({ name: z.string().optional(), value: z.string().optional() })).optional(),
});

export const podSpec = z.object({
  containers: z.array(container),
  initContainers: z.array(container).optional(),
  volumes: z.array(volume).optional(),
  restartPolicy: z.string().optional(),
  terminationGracePeriodSeconds: z.number().int().optional(),
  activeDeadlineSeconds: z.number().int().optional(),
  nodeName: z.string().optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  affinity: affinity.optional(),
  tolerations: z.array(toleration).optional(),
  hostNetwork: z.boolean().optional(),
  hostname: z.string().optional(),
  subdomain: z.string().optional(),
  topologySpreadConstraints: z.array(topologySpreadConstraint).optional(),
  schedulerName: z.string().optional(),
  priority: z.number().int().optional(),
  priorityClassName: z.string().optional(),
  securityContext: podSecurityContext.optional(),
  serviceAccountName: z.string().optional(),
  imagePullSecrets: z.array(localObjectReference).optional(),
  enableServiceLinks: z.boolean().optional(),
  /** `ClusterFirst` (the default), `ClusterFirstWithHostNet`, `Default` (the node's resolv.conf) or `None`. */
  dnsPolicy: z.string().optional(),
  dnsConfig: podDnsConfig.optional(),
});

const containerState = z.object({
  waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.object({ startedAt: time.optional() }).optional(),
  terminated: z
    .object({
      exitCode: z.number().int(),
      signal: z.number().int().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      startedAt: time.optional(),
      finishedAt: time.optional(),
      containerID: z.string().optional(),
    })
    .optional(),
});

const containerStatus = z.object({
  name: z.string(),
  ready: z.boolean(),
  started: z.boolean().optional(),
  restartCount: z.number().int(),
  state: containerState.optional(),
  lastState: containerState.optional(),
  image: z.string(),
  imageID: z.string().optional(),
  containerID: z.string().optional(),
});

const podIP = z.object({ ip: z.string() });

export const podStatus = z.object({
  phase: z.string().optional(),
  conditions: z.array(condition.extend({ lastProbeTime: time.optional() })).optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  hostIP: z.string().optional(),
  hostIPs: z.array(podIP).optional(),
  podIP: z.string().optional(),
  podIPs: z.array(podIP).optional(),
  startTime: time.optional(),
  initContainerStatuses: z.array(containerStatus).optional(),
  containerStatuses: z.array(containerStatus).optional(),
  qosClass: z.string().optional(),
});

export const podTemplateSpec = z.object({ metadata: objectMeta.optional(), spec: podSpec });

export const pod = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: objectMeta,
  spec: podSpec,
  status: podStatus.optional(),
});

export type Pod = z.infer<typeof pod>;
export type PodSpec = z.infer<typeof podSpec>;
export type PodStatus = z.infer<typeof podStatus>;
export type PodTemplateSpec = z.infer<typeof podTemplateSpec>;
export type Container = z.infer<typeof container>;
export type ContainerPort = z.infer<typeof containerPort>;
export type ContainerStatus = z.infer<typeof containerStatus>;
export type ContainerState = z.infer<typeof containerState>;
export type EnvVar = z.infer<typeof envVar>;
export type EnvFromSource = z.infer<typeof envFromSource>;
export type Probe = z.infer<typeof probe>;
export type LifecycleHandler = z.infer<typeof lifecycleHandler>;
export type Volume = z.infer<typeof volume>;
export type Affinity = z.infer<typeof affinity>;
export type NodeSelectorTerm = z.infer<typeof nodeSelectorTerm>;
export type NodeSelectorRequirement = z.infer<typeof nodeSelectorRequirement>;
export type PodAffinityTerm = z.infer<typeof podAffinityTerm>;
export type WeightedPodAffinityTerm = z.infer<typeof weightedPodAffinityTerm>;
export type Toleration = z.infer<typeof toleration>;
export type TopologySpreadConstraint = z.infer<typeof topologySpreadConstraint>;
export type PodDnsConfig = z.infer<typeof podDnsConfig>;
