/**
 * Label selectors (pods) and node selector terms (nodes), compiled once per pod into predicates: a pod's
 * selectors are checked against thousands of nodes and pods per scheduling cycle.
 */
import type {
  LabelSelectorView,
  Labels,
  NodeSelectorRequirementView,
  NodeSelectorTermView,
  NodeView,
} from './types.ts';

export interface LabelMatcher {
  matches(labels: Labels): boolean;
  /**
   * One `key=value` every matching object carries, when the selector pins one (matchLabels, or In with a
   * single value): lets the cluster snapshot look candidates up in its label index instead of scanning.
   */
  readonly requiredLabel: readonly [string, string] | undefined;
}

const noLabels: Labels = {};

export const matchNothing: LabelMatcher = { matches: () => false, requiredLabel: undefined };

function requirementMatches(
  labels: Labels,
  key: string,
  operator: string,
  values: readonly string[],
): boolean {
  const value = labels[key];
  switch (operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    default:
      return false;
  }
}

/**
 * Kubernetes' meaning: an absent selector selects nothing, an empty one ({}) selects everything, and the
 * requirements of matchLabels and matchExpressions must all hold.
 */
export function compileLabelSelector(selector: LabelSelectorView | undefined): LabelMatcher {
  if (selector === undefined) return matchNothing;
  const pinned = Object.entries(selector.matchLabels ?? noLabels);
  const expressions = (selector.matchExpressions ?? []).map((e) => ({
    key: e.key,
    operator: e.operator,
    values: e.values ?? [],
  }));
  const singleIn = expressions.find((e) => e.operator === 'In' && e.values.length === 1);
  const requiredLabel: readonly [string, string] | undefined =
    pinned[0] ?? (singleIn ? [singleIn.key, singleIn.values[0]!] : undefined);
  return {
    requiredLabel,
    matches(labels: Labels): boolean {
      for (const [key, value] of pinned) if (labels[key] !== value) return false;
      for (const e of expressions) if (!requirementMatches(labels, e.key, e.operator, e.values)) return false;
      return true;
    },
  };
}

/** Gt and Lt compare integers; a label or value that is not one matches nothing. */
function integerComparison(
  labelValue: string | undefined,
  values: readonly string[],
  greater: boolean,
): boolean {
  if (
    labelValue === undefined ||
    values.length !== 1 ||
    !/^-?\d+$/.test(labelValue) ||
    !/^-?\d+$/.test(values[0]!)
  ) {
    return false;
  }
  const label = Number(labelValue);
  const bound = Number(values[0]);
  return greater ? label > bound : label < bound;
}

function nodeRequirementMatches(labels: Labels, requirement: NodeSelectorRequirementView): boolean {
  const values = requirement.values ?? [];
  if (requirement.operator === 'Gt') return integerComparison(labels[requirement.key], values, true);
  if (requirement.operator === 'Lt') return integerComparison(labels[requirement.key], values, false);
  return requirementMatches(labels, requirement.key, requirement.operator, values);
}

export type NodeMatcher = (node: NodeView) => boolean;

/**
 * A node selector term: every expression on the node's labels and every field (only metadata.name exists)
 * must hold. A term with neither matches no node, as in Kubernetes.
 */
export function compileNodeSelectorTerm(term: NodeSelectorTermView): NodeMatcher {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return () => false;
  return (node) => {
    const labels = node.metadata.labels ?? noLabels;
    for (const e of expressions) if (!nodeRequirementMatches(labels, e)) return false;
    for (const f of fields) {
      if (f.key !== 'metadata.name') return false;
      if (!nodeRequirementMatches({ 'metadata.name': node.metadata.name ?? '' }, f)) return false;
    }
    return true;
  };
}

/** Terms are ORed: a node matches when any term does. No terms: no node. */
export function compileNodeSelectorTerms(terms: readonly NodeSelectorTermView[]): NodeMatcher {
  const compiled = terms.map(compileNodeSelectorTerm);
  return (node) => compiled.some((matches) => matches(node));
}
