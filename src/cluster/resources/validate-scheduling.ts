/** Validation of a PodSpec's scheduling constraints: affinity, tolerations, topology spread. */
import {
  type FieldError,
  type FieldPath,
  duplicate,
  invalidValue,
  notSupported,
  required,
} from './field-errors.ts';
import { nodeSelectorOperators, validateLabelSelector, validateRequirement } from './label-selector.ts';
import { checkQualifiedName } from './names.ts';
import type {
  Affinity,
  NodeSelectorTerm,
  PodAffinityTerm,
  Toleration,
  TopologySpreadConstraint,
} from './pod-schemas.ts';
import { positive, supportedValue } from './value-checks.ts';

function validateNodeSelectorTerm(term: NodeSelectorTerm, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  (term.matchExpressions ?? []).forEach((requirement, i) => {
    errors.push(...validateRequirement(requirement, path.child('matchExpressions').index(i), nodeSelectorOperators));
  });
  (term.matchFields ?? []).forEach((requirement, i) => {
    const at = path.child('matchFields').index(i);
    if (requirement.key !== 'metadata.name')
      errors.push(notSupported(at.child('key'), requirement.key, ['metadata.name']));
    errors.push(...supportedValue(at.child('operator'), requirement.operator, ['In', 'NotIn']));
    if ((requirement.values ?? []).length !== 1)
      errors.push(
        required(
          at.child('values'),
          "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
        ),
      );
  });
  return errors;
}

function validateWeight(path: FieldPath, weight: number): FieldError[] {
  return weight < 1 || weight > 100 ? [invalidValue(path, weight, 'must be in the range 1-100')] : [];
}

function validatePodAffinityTerm(term: PodAffinityTerm, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  if (term.topologyKey === '') errors.push(required(path.child('topologyKey'), 'can not be empty'));
  else
    for (const problem of checkQualifiedName(term.topologyKey))
      errors.push(invalidValue(path.child('topologyKey'), term.topologyKey, problem));
  if (term.labelSelector)
    errors.push(...validateLabelSelector(term.labelSelector, path.child('labelSelector')));
  if (term.namespaceSelector)
    errors.push(...validateLabelSelector(term.namespaceSelector, path.child('namespaceSelector')));
  return errors;
}

export function validateAffinity(affinity: Affinity, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const nodeAffinity = affinity.nodeAffinity;
  if (nodeAffinity) {
    const at = path.child('nodeAffinity');
    const requiredTerms = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    if (requiredTerms) {
      const termsPath = at.child('requiredDuringSchedulingIgnoredDuringExecution').child('nodeSelectorTerms');
      if (requiredTerms.nodeSelectorTerms.length === 0)
        errors.push(required(termsPath, 'must have at least one node selector term'));
      requiredTerms.nodeSelectorTerms.forEach((term, i) => {
        errors.push(...validateNodeSelectorTerm(term, termsPath.index(i)));
      });
    }
    (nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((preferred, i) => {
      const termPath = at.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
      errors.push(...validateWeight(termPath.child('weight'), preferred.weight));
      errors.push(...validateNodeSelectorTerm(preferred.preference, termPath.child('preference')));
    });
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const podAffinity = affinity[kind];
    if (!podAffinity) continue;
    const at = path.child(kind);
    (podAffinity.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((term, i) => {
      errors.push(
        ...validatePodAffinityTerm(term, at.child('requiredDuringSchedulingIgnoredDuringExecution').index(i)),
      );
    });
    (podAffinity.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((weighted, i) => {
      const termPath = at.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
      errors.push(...validateWeight(termPath.child('weight'), weighted.weight));
      errors.push(...validatePodAffinityTerm(weighted.podAffinityTerm, termPath.child('podAffinityTerm')));
    });
  }
  return errors;
}

export function validateToleration(toleration: Toleration, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const key = toleration.key ?? '';
  const operator = toleration.operator ?? 'Equal';
  if (key === '' && operator !== 'Exists') {
    errors.push(
      invalidValue(
        path.child('operator'),
        operator,
        'operator must be Exists when `key` is empty, which means "match all values and all keys"',
      ),
    );
  }
  if (key !== '')
    for (const problem of checkQualifiedName(key)) errors.push(invalidValue(path.child('key'), key, problem));
  if (!['Exists', 'Equal'].includes(operator))
    errors.push(notSupported(path.child('operator'), operator, ['Equal', 'Exists']));
  if (operator === 'Exists' && toleration.value) {
    errors.push(
      invalidValue(path.child('operator'), toleration, "value must be empty when `operator` is 'Exists'"),
    );
  }
  errors.push(
    ...supportedValue(path.child('effect'), toleration.effect, [
      '',
      'NoSchedule',
      'PreferNoSchedule',
      'NoExecute',
    ]),
  );
  if (toleration.tolerationSeconds !== undefined && toleration.effect !== 'NoExecute') {
    errors.push(
      invalidValue(
        path.child('effect'),
        toleration.effect ?? '',
        "effect must be 'NoExecute' when `tolerationSeconds` is set",
      ),
    );
  }
  return errors;
}

export function validateTopologySpread(
  constraints: readonly TopologySpreadConstraint[],
  path: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  constraints.forEach((constraint, i) => {
    const at = path.index(i);
    errors.push(...positive(at.child('maxSkew'), constraint.maxSkew));
    if (constraint.topologyKey === '') errors.push(required(at.child('topologyKey'), 'can not be empty'));
    errors.push(
      ...supportedValue(at.child('whenUnsatisfiable'), constraint.whenUnsatisfiable, [
        'DoNotSchedule',
        'ScheduleAnyway',
      ]),
    );
    if (constraint.minDomains !== undefined) {
      errors.push(...positive(at.child('minDomains'), constraint.minDomains));
      if (constraint.whenUnsatisfiable !== 'DoNotSchedule') {
        errors.push(
          invalidValue(
            at.child('minDomains'),
            constraint.minDomains,
            'can only use minDomains if whenUnsatisfiable=DoNotSchedule',
          ),
        );
      }
    }
    if (constraint.labelSelector)
      errors.push(...validateLabelSelector(constraint.labelSelector, at.child('labelSelector')));
    const pair = `${constraint.topologyKey}\u0000${constraint.whenUnsatisfiable}`;
    if (seen.has(pair))
      errors.push(duplicate(at, `{${constraint.topologyKey}, ${constraint.whenUnsatisfiable}}`));
    seen.add(pair);
  });
  return errors;
}
