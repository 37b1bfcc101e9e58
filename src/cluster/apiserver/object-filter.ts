/**
 * Selectors in their string form (`?labelSelector=app=web,tier!=cache`, `?fieldSelector=spec.nodeName=n1`)
 * compiled into the ObjectFilter lists and watches apply. One compile step for the HTTP routes and for the
 * ResourceService, so a selector means the same thing in marinad and through a remote ResourceClient.
 */
import { fieldSelectorMatches, parseFieldSelector } from '../resources/field-selector.ts';
import { parseLabelSelector, selectorMatches } from '../resources/label-selector.ts';
import type { ApiKind, KubeObject } from './api-kind.ts';

/** Keeps an object in a list or watch (a label and field selector, compiled by `compileSelectors`). */
export type ObjectFilter = (object: KubeObject) => boolean;

/** Selectors as they travel over HTTP; absent or empty strings select everything. */
export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/** The filter for these selectors, or undefined when they select everything; a bad selector is Invalid. */
export function compileSelectors(kind: Pick<ApiKind, 'selectableFields'>, selectors: Selectors | undefined): ObjectFilter | undefined {
  const labels = selectors?.labelSelector ?? '';
  const fields = selectors?.fieldSelector ?? '';
  if (!labels && !fields) return undefined;
  const labelRequirements = parseLabelSelector(labels);
  const fieldRequirements = parseFieldSelector(fields, kind.selectableFields);
  return (object) => selectorMatches(labelRequirements, object.metadata.labels) && fieldSelectorMatches(fieldRequirements, object);
}

/** Both filters, either of which may be absent. */
export function bothFilters(a: ObjectFilter | undefined, b: ObjectFilter | undefined): ObjectFilter | undefined {
  if (!a || !b) return a ?? b;
  return (object) => a(object) && b(object);
}
