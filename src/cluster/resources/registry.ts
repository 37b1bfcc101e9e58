/**
 * The kinds Marina serves, and the lookups the API server and the CLI make: by (apiVersion, kind) for a
 * manifest, by (group, version, plural) for a URL, by any name a user types (`deploy`, `pods`, `Job`).
 * Adding a kind is one entry here plus its schema, defaulter and validator.
 */
import { invalid, notFound } from '../../errors.ts';
import { deployment, replicaSet } from './apps-schemas.ts';
import { cronJob, job } from './batch-schemas.ts';
import { lease } from './coordination-schemas.ts';
import { configMap, event, namespace, node, secret } from './core-schemas.ts';
import {
  defaultCronJob,
  defaultDeployment,
  defaultJob,
  defaultNamespaced,
  defaultNamespaceObject,
  defaultPod,
  defaultReplicaSet,
  defaultSecret,
  noDefaults,
} from './defaults.ts';
import type { FieldError } from './field-errors.ts';
import { pod } from './pod-schemas.ts';
import { defaultEndpointSlice, defaultService, dropTypeDependentFields } from './service-defaults.ts';
import { endpointSlice, service } from './service-schemas.ts';
import { validateEndpointSlice, validateService } from './validate-service.ts';
import { defineKind, type ObjectEnvelope, type ResourceKind, withoutNulls } from './resource-kind.ts';
import { fieldsNotActedOn } from './unsupported-fields.ts';
import {
  validateConfigMap,
  validateEvent,
  validateLease,
  validateNamespace,
  validateNode,
  validateSecret,
} from './validate-core.ts';
import {
  validateCronJob,
  validateDeployment,
  validateJob,
  validatePod,
  validateReplicaSet,
} from './validate-workloads.ts';

export type { ResourceKind } from './resource-kind.ts';

const namespaceKind = defineKind({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  shortNames: ['ns'],
  namespaced: false,
  hasStatus: true,
  schema: namespace,
  applyDefaults: defaultNamespaceObject,
  validate: validateNamespace,
  fieldSelectors: ['status.phase'],
});

const podKind = defineKind({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  shortNames: ['po'],
  namespaced: true,
  hasStatus: true,
  schema: pod,
  applyDefaults: defaultPod,
  validate: validatePod,
  fieldSelectors: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
});

const configMapKind = defineKind({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  shortNames: ['cm'],
  namespaced: true,
  hasStatus: false,
  schema: configMap,
  applyDefaults: defaultNamespaced,
  validate: validateConfigMap,
  fieldSelectors: [],
});

const secretKind = defineKind({
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  shortNames: [],
  namespaced: true,
  hasStatus: false,
  schema: secret,
  applyDefaults: defaultSecret,
  validate: validateSecret,
  fieldSelectors: ['type'],
});

const eventKind = defineKind({
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  shortNames: ['ev'],
  namespaced: true,
  hasStatus: false,
  schema: event,
  applyDefaults: defaultNamespaced,
  validate: validateEvent,
  fieldSelectors: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'type',
  ],
});

const nodeKind = defineKind({
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  shortNames: ['no'],
  namespaced: false,
  hasStatus: true,
  schema: node,
  applyDefaults: noDefaults,
  validate: validateNode,
  fieldSelectors: ['spec.unschedulable'],
});

const serviceKind = defineKind({
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  shortNames: ['svc'],
  namespaced: true,
  hasStatus: true,
  schema: service,
  applyDefaults: defaultService,
  prepareForUpdate: dropTypeDependentFields,
  validate: validateService,
  fieldSelectors: [],
});

const endpointSliceKind = defineKind({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  shortNames: [],
  namespaced: true,
  hasStatus: false,
  schema: endpointSlice,
  applyDefaults: defaultEndpointSlice,
  validate: validateEndpointSlice,
  fieldSelectors: [],
});

const deploymentKind = defineKind({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  shortNames: ['deploy'],
  namespaced: true,
  hasStatus: true,
  schema: deployment,
  applyDefaults: defaultDeployment,
  validate: validateDeployment,
  fieldSelectors: [],
});

const replicaSetKind = defineKind({
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  shortNames: ['rs'],
  namespaced: true,
  hasStatus: true,
  schema: replicaSet,
  applyDefaults: defaultReplicaSet,
  validate: validateReplicaSet,
  fieldSelectors: ['status.replicas'],
});

const jobKind = defineKind({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  shortNames: [],
  namespaced: true,
  hasStatus: true,
  schema: job,
  applyDefaults: defaultJob,
  validate: validateJob,
  fieldSelectors: [],
});

const cronJobKind = defineKind({
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  shortNames: ['cj'],
  namespaced: true,
  hasStatus: true,
  schema: cronJob,
  applyDefaults: defaultCronJob,
  validate: validateCronJob,
  fieldSelectors: [],
});

const leaseKind = defineKind({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  shortNames: [],
  namespaced: true,
  hasStatus: false,
  schema: lease,
  applyDefaults: defaultNamespaced,
  validate: validateLease,
  fieldSelectors: [],
});

/** Every served kind, in discovery order (core group first). */
export const resourceKinds: readonly ResourceKind[] = [
  namespaceKind,
  podKind,
  configMapKind,
  secretKind,
  eventKind,
  nodeKind,
  serviceKind,
  deploymentKind,
  replicaSetKind,
  jobKind,
  cronJobKind,
  leaseKind,
  endpointSliceKind,
];

const supportedKinds = () => resourceKinds.map((k) => `${k.kind} (${k.apiVersion})`).join(', ');

/** The kind of a manifest; an unknown one is Invalid, naming every supported kind. */
export function kindOf(apiVersion: string, kind: string): ResourceKind {
  const found = resourceKinds.find((k) => k.apiVersion === apiVersion && k.kind === kind);
  if (!found)
    throw invalid(
      `no kind ${JSON.stringify(kind)} in version ${JSON.stringify(apiVersion)}; supported kinds: ${supportedKinds()}`,
    );
  return found;
}

function findResource(group: string, version: string, plural: string): ResourceKind | undefined {
  return resourceKinds.find((k) => k.group === group && k.version === version && k.plural === plural);
}

/** The served kinds as the API server routes and lists them (its KindCatalog). */
export const kindCatalog = { kinds: resourceKinds, byResource: findResource };

/** The kind a URL names (`/apis/apps/v1/…/deployments` → group apps, version v1, plural deployments). */
export function kindForResource(group: string, version: string, plural: string): ResourceKind {
  const found = findResource(group, version, plural);
  if (!found) {
    const groupVersion = group ? `${group}/${version}` : version;
    throw notFound(
      `the server could not find the requested resource ${JSON.stringify(plural)} in ${groupVersion}; supported kinds: ${supportedKinds()}`,
    );
  }
  return found;
}

/** The kind a user names on the command line: plural, singular, short name or kind, any case. */
export function kindByName(name: string): ResourceKind {
  const wanted = name.toLowerCase();
  const found = resourceKinds.find(
    (k) => k.plural === wanted || k.singular === wanted || k.shortNames.includes(wanted),
  );
  if (!found)
    throw invalid(`unknown resource type ${JSON.stringify(name)}; supported kinds: ${supportedKinds()}`);
  return found;
}

function kindOfObject(object: unknown): ResourceKind {
  const { apiVersion, kind } = (object ?? {}) as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    throw invalid(`an object needs an apiVersion and a kind; supported kinds: ${supportedKinds()}`);
  }
  return kindOf(apiVersion, kind);
}

/** Field paths of the manifest that Marina drops (not in the kind) or keeps without acting on. */
export function unsupportedFields(kind: ResourceKind, object: unknown): string[] {
  return fieldsNotActedOn(kind.schema, withoutNulls(object)).map((field) => field.path);
}

/** Kubernetes' defaults for the object's kind; the object is not changed. */
export function applyDefaults<T extends ObjectEnvelope>(object: T): T {
  return (kindOfObject(object) as unknown as ResourceKind<T>).applyDefaults(object);
}

/** What is wrong with the object (`old`: the stored version, on update), in Kubernetes' field-path style. */
export function validate<T extends ObjectEnvelope>(object: T, old?: T): FieldError[] {
  return (kindOfObject(object) as unknown as ResourceKind<T>).validate(object, old);
}

/** Parses any supported manifest by its apiVersion and kind (see ResourceKind.parse). */
export function parseResource(object: unknown) {
  return kindOfObject(object).parse(object);
}
