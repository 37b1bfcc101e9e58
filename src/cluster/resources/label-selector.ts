/**
 * Label selectors as controllers and list filters use them: the structured form of manifests
 * (`matchLabels` + `matchExpressions`) and the string form of `?labelSelector=` and `marina get -l`
 * (`app=web,tier!=cache,env in (prod,staging),!canary`). Both become one list of requirements, ANDed.
 */
import { invalid } from '../../errors.ts';
import {
  type FieldError,
  type FieldPath,
  forbidden,
  invalidValue,
  notSupported,
  required,
} from './field-errors.ts';
import type { LabelSelector } from './meta-schemas.ts';
import { checkLabelValue, checkQualifiedName } from './names.ts';

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

/** `requirements` ANDed; `null` is the selector that matches nothing (an absent selector in Kubernetes). */
export type Selector = readonly Requirement[] | null;

export type Labels = Readonly<Record<string, string>> | undefined;

const labelSelectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** An absent selector selects nothing; an empty one (`{}`) selects everything, as in Kubernetes. */
export function selectorFromLabelSelector(selector: LabelSelector | undefined): Selector {
  if (selector === undefined) return null;
  const fromLabels = Object.entries(selector.matchLabels ?? {}).map(
    ([key, value]): Requirement => ({ key, operator: 'In', values: [value] }),
  );
  const fromExpressions = (selector.matchExpressions ?? []).map((e): Requirement => {
    if (!(labelSelectorOperators as readonly string[]).includes(e.operator)) {
      throw invalid(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    }
    return { key: e.key, operator: e.operator as SelectorOperator, values: e.values ?? [] };
  });
  return [...fromLabels, ...fromExpressions];
}

function requirementMatches(requirement: Requirement, labels: Labels): boolean {
  const value = labels?.[requirement.key];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && requirement.values.includes(value);
    case 'NotIn':
      return value === undefined || !requirement.values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false;
      const bound = Number(requirement.values[0]);
      return requirement.operator === 'Gt' ? Number(value) > bound : Number(value) < bound;
    }
  }
}

export function selectorMatches(selector: Selector, labels: Labels): boolean {
  return selector?.every((r) => requirementMatches(r, labels)) ?? false;
}

/** Shorthand for the structured form: does this `spec.selector` select an object with these labels? */
export function labelSelectorMatches(selector: LabelSelector | undefined, labels: Labels): boolean {
  return selectorMatches(selectorFromLabelSelector(selector), labels);
}

export function isEmptyLabelSelector(selector: LabelSelector): boolean {
  return (
    Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0
  );
}

/** Parses the string form; the empty string selects everything. Throws Invalid naming the bad part. */
export function parseLabelSelector(text: string): Requirement[] {
  const requirements: Requirement[] = [];
  for (const clause of splitClauses(text)) {
    const requirement = parseClause(clause);
    const problems = [
      ...checkQualifiedName(requirement.key),
      ...requirement.values.flatMap((v) =>
        requirement.operator === 'Gt' || requirement.operator === 'Lt' ? [] : checkLabelValue(v),
      ),
    ];
    if (problems.length > 0)
      throw invalid(
        `invalid label selector ${JSON.stringify(text)}: ${JSON.stringify(clause)}: ${problems.join('; ')}`,
      );
    requirements.push(requirement);
  }
  return requirements;
}

/** Splits on commas outside parentheses, so `env in (a,b),tier` is two clauses. */
function splitClauses(text: string): string[] {
  const clauses: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      clauses.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0 || depth > 1)
      throw invalid(`invalid label selector ${JSON.stringify(text)}: unbalanced parentheses`);
  }
  if (depth !== 0) throw invalid(`invalid label selector ${JSON.stringify(text)}: unbalanced parentheses`);
  clauses.push(text.slice(start));
  const trimmed = clauses.map((c) => c.trim());
  if (trimmed.length === 1 && trimmed[0] === '') return [];
  if (trimmed.includes(''))
    throw invalid(`invalid label selector ${JSON.stringify(text)}: empty requirement`);
  return trimmed;
}

const setClause = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/;
const comparisonClause = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*([^=!<>\s]*)$/;

function parseClause(clause: string): Requirement {
  if (clause.startsWith('!')) {
    const key = clause.slice(1).trim();
    return { key, operator: 'DoesNotExist', values: [] };
  }
  const set = setClause.exec(clause);
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim());
    return { key: set[1]!, operator: set[2] === 'in' ? 'In' : 'NotIn', values };
  }
  const comparison = comparisonClause.exec(clause);
  if (comparison) {
    const [, key, op, value] = comparison as unknown as [string, string, string, string];
    if ((op === '>' || op === '<') && !/^-?\d+$/.test(value)) {
      throw invalid(`invalid label selector requirement ${JSON.stringify(clause)}: ${op} needs an integer`);
    }
    const operator: SelectorOperator = op === '!=' ? 'NotIn' : op === '>' ? 'Gt' : op === '<' ? 'Lt' : 'In';
    return { key, operator, values: [value] };
  }
  if (/^[^\s=!<>()]+$/.test(clause)) return { key: clause, operator: 'Exists', values: [] };
  throw invalid(`invalid label selector requirement ${JSON.stringify(clause)}`);
}

/** Validation of a structured selector (metav1 ValidateLabelSelector). */
export function validateLabelSelector(selector: LabelSelector, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    for (const problem of checkQualifiedName(key))
      errors.push(invalidValue(path.child('matchLabels'), key, problem));
    for (const problem of checkLabelValue(value))
      errors.push(invalidValue(path.child('matchLabels'), value, problem));
  }
  (selector.matchExpressions ?? []).forEach((expression, i) => {
    errors.push(...validateRequirement(expression, path.child('matchExpressions').index(i), labelSelectorOperators));
  });
  return errors;
}

/** The operators node selector terms take: a label selector's plus the numeric comparisons. */
export const nodeSelectorOperators = [...labelSelectorOperators, 'Gt', 'Lt'] as const;

/**
 * One `matchExpressions` requirement of a label selector or a node selector term: a valid key, an
 * operator from `operators`, and the values that operator needs (several, none, or one integer).
 */
export function validateRequirement(
  requirement: { key: string; operator: string; values?: readonly string[] },
  at: FieldPath,
  operators: readonly string[],
): FieldError[] {
  const errors: FieldError[] = [];
  for (const problem of checkQualifiedName(requirement.key)) errors.push(invalidValue(at.child('key'), requirement.key, problem));
  const values = requirement.values ?? [];
  if (!operators.includes(requirement.operator)) {
    errors.push(notSupported(at.child('operator'), requirement.operator, operators));
    return errors;
  }
  switch (requirement.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errors.push(required(at.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) {
        errors.push(forbidden(at.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      }
      break;
    default:
      if (values.length !== 1 || !/^-?\d+$/.test(values[0]!)) {
        errors.push(required(at.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      }
  }
  return errors;
}
