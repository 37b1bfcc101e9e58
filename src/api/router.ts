/**
 * A small method + path router. Patterns are `/`-separated segments where `:name` captures one
 * URL-decoded segment; a static segment beats a parameter, so `/v1/images/save` wins over `/v1/images/:ref`.
 */
import { invalid } from '../errors.ts';

export interface RouteMatch<H> {
  handler: H;
  params: Record<string, string>;
}

interface CompiledRoute<H> {
  method: string;
  segments: string[];
  handler: H;
  /** Lower is more specific: parameter segments count against a route. */
  paramCount: number;
}

export class Router<H> {
  readonly #routes: CompiledRoute<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    const segments = splitPath(pattern);
    this.#routes.push({
      method,
      segments,
      handler,
      paramCount: segments.filter((s) => s.startsWith(':')).length,
    });
    return this;
  }

  /** `undefined` when no route has this path; `'method-not-allowed'` when the path exists for other methods. */
  match(method: string, pathname: string): RouteMatch<H> | 'method-not-allowed' | undefined {
    const parts = splitPath(pathname);
    let best: { route: CompiledRoute<H>; params: Record<string, string> } | undefined;
    let pathKnown = false;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      pathKnown = true;
      if (route.method !== method) continue;
      if (!best || route.paramCount < best.route.paramCount) best = { route, params };
    }
    if (best) return { handler: best.route.handler, params: best.params };
    return pathKnown ? 'method-not-allowed' : undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const part = parts[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = decodeSegment(part);
    else if (p !== part) return undefined;
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid(`malformed URL path segment "${segment}": percent-encode names with encodeURIComponent`);
  }
}
