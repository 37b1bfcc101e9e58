/**
 * Field selectors (`?fieldSelector=metadata.name=web,spec.nodeName=node-1,status.phase!=Running`): equality
 * tests on a few fields per kind. The fields a kind supports are listed in its registry entry; asking for
 * another is an error, as in Kubernetes, instead of a filter that silently matches nothing.
 */
import { invalid } from '../../errors.ts';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

const clausePattern = /^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$/;

/** Parses the string form against the fields this kind supports; the empty string selects everything. */
export function parseFieldSelector(text: string, supportedFields: readonly string[]): FieldRequirement[] {
  if (text.trim() === '') return [];
  return text.split(',').map((clause) => {
    const match = clausePattern.exec(clause);
    if (!match)
      throw invalid(
        `invalid field selector requirement ${JSON.stringify(clause)}: expected FIELD=VALUE or FIELD!=VALUE`,
      );
    const [, field, op, value] = match as unknown as [string, string, string, string];
    if (!supportedFields.includes(field)) {
      throw invalid(`field label not supported: ${field} (supported: ${supportedFields.join(', ')})`);
    }
    return { field, operator: op === '!=' ? '!=' : '=', value };
  });
}

/**
 * The field's value as a selector compares it: absent fields are the empty string (so
 * `spec.nodeName=` selects unscheduled pods), booleans and numbers their text.
 */
export function fieldValue(object: unknown, field: string): string {
  let current: unknown = object;
  for (const part of field.split('.')) {
    if (current === null || typeof current !== 'object') return '';
    current = (current as Record<string, unknown>)[part];
  }
  return typeof current === 'string' || typeof current === 'number' || typeof current === 'boolean'
    ? String(current)
    : '';
}

export function fieldSelectorMatches(requirements: readonly FieldRequirement[], object: unknown): boolean {
  return requirements.every((r) => (fieldValue(object, r.field) === r.value) === (r.operator === '='));
}
