/**
 * Kubernetes' defaults for a PodSpec, applied in place to a copy the caller owns (see defaults.ts).
 * `restartPolicy` is the caller's choice: Pods and Deployments default it to Always, Jobs have no default
 * (their validation requires OnFailure or Never, as Kubernetes does).
 */
import type { Container, PodSpec, Probe } from './pod-schemas.ts';

export const defaultTerminationGracePeriodSeconds = 30;
export const defaultSchedulerName = 'default-scheduler';
// The mode Kubernetes gives files of configMap and secret volumes (0644).
const defaultVolumeFileMode = 0o644;

/** Always for `:latest` or an untagged image (it may change under the same name), else IfNotPresent. */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon === -1 ? undefined : lastSegment.slice(colon + 1);
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: Probe | undefined): void {
  if (!probe) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.httpGet) {
    probe.httpGet.path ??= '/';
    probe.httpGet.scheme ??= 'HTTP';
  }
}

function defaultContainer(container: Container): void {
  if (container.image !== undefined) container.imagePullPolicy ??= defaultImagePullPolicy(container.image);
  for (const port of container.ports ?? []) port.protocol ??= 'TCP';
  for (const env of container.env ?? []) {
    if (env.valueFrom?.fieldRef) env.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
  defaultProbe(container.livenessProbe);
  defaultProbe(container.readinessProbe);
  defaultProbe(container.startupProbe);
  for (const handler of [container.lifecycle?.preStop, container.lifecycle?.postStart]) {
    if (handler?.httpGet) {
      handler.httpGet.path ??= '/';
      handler.httpGet.scheme ??= 'HTTP';
    }
  }
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
}

export function defaultPodSpec(spec: PodSpec, restartPolicy: 'Always' | undefined): void {
  if (restartPolicy !== undefined) spec.restartPolicy ??= restartPolicy;
  spec.terminationGracePeriodSeconds ??= defaultTerminationGracePeriodSeconds;
  spec.schedulerName ??= defaultSchedulerName;
  spec.dnsPolicy ??= 'ClusterFirst';
  for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) defaultContainer(container);
  for (const volume of spec.volumes ?? []) {
    const hasSource =
      volume.emptyDir || volume.hostPath || volume.configMap || volume.secret || volume.persistentVolumeClaim;
    // A volume with no source is an empty directory, as in Kubernetes.
    if (!hasSource) volume.emptyDir = {};
    if (volume.configMap) volume.configMap.defaultMode ??= defaultVolumeFileMode;
    if (volume.secret) volume.secret.defaultMode ??= defaultVolumeFileMode;
  }
}
