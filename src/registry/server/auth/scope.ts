/**
 * Docker token scopes (`repository:NAME:pull,push`, `registry:catalog:*`): what a token request asks for
 * and what a token grants. Pure.
 */
import { invalid } from '../../../errors.ts';

/** One resource and the actions on it, as in a scope string and in a token's `access` claim. */
export interface ResourceAccess {
  type: string;
  name: string;
  actions: string[];
}

/**
 * Parses the `scope` parameters of a token request: each may hold several scopes separated by spaces
 * (OAuth2 style), and the same resource may appear more than once (its actions are merged). The name may
 * itself hold colons (`repository:localhost:5000/app:pull`), so the type ends at the first colon and the
 * actions start after the last one. A resource class (`repository(plugin)`) is dropped, as distribution does.
 */
export function parseScopes(values: readonly string[]): ResourceAccess[] {
  const merged = new Map<string, ResourceAccess>();
  for (const scope of values.flatMap((value) => value.split(' ')).filter((s) => s !== '')) {
    const first = scope.indexOf(':');
    const last = scope.lastIndexOf(':');
    if (first <= 0 || last === first || last === first + 1) {
      throw invalid(`invalid scope "${scope}": expected TYPE:NAME:ACTIONS, e.g. repository:app:pull,push`);
    }
    const type = scope.slice(0, first).replace(/\(.*\)$/, '');
    const name = scope.slice(first + 1, last);
    const actions = scope
      .slice(last + 1)
      .split(',')
      .filter((a) => a !== '');
    const key = `${type}:${name}`;
    const known = merged.get(key);
    if (known === undefined) merged.set(key, { type, name, actions: [...new Set(actions)] });
    else known.actions = [...new Set([...known.actions, ...actions])];
  }
  return [...merged.values()];
}

export function formatScope(access: ResourceAccess): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}
