/**
 * The `--format` subset of Go templates that scripts use with `inspect`: text with `{{.Path.To.Field}}`,
 * `{{json .Path}}`, `{{index .Map "key"}}` and `{{.}}`. Field names match case-insensitively, so Docker's
 * `{{.State.ExitCode}}` reads Marina's `state.exitCode`; `.Config` is the container's create request.
 * Strings print raw, other values as JSON, missing ones as `<no value>` (Go's spelling).
 */
import { invalid } from '../errors.ts';

const aliases: Record<string, string> = { config: 'request' };

function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (name in record) return record[name];
  const wanted = (aliases[name.toLowerCase()] ?? name).toLowerCase();
  const key = Object.keys(record).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : record[key];
}

function resolvePath(root: unknown, path: string, template: string): unknown {
  if (path === '.') return root;
  if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(path))
    throw invalid(`template parsing error in "${template}": bad field path "${path}"`);
  return path
    .slice(1)
    .split('.')
    .reduce<unknown>((v, name) => field(v, name), root);
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function evaluateAction(action: string, root: unknown, template: string): string {
  const words = action.trim().match(/"[^"]*"|\S+/g) ?? [];
  const [head, ...args] = words;
  if (head === 'json' && args.length === 1)
    return JSON.stringify(resolvePath(root, args[0]!, template) ?? null);
  if (head === 'index' && args.length === 2 && args[1]!.startsWith('"')) {
    return show(field(resolvePath(root, args[0]!, template), args[1]!.slice(1, -1)));
  }
  if (head !== undefined && args.length === 0) return show(resolvePath(root, head, template));
  throw invalid(
    `template parsing error in "${template}": unsupported action "{{${action}}}"; use {{.Path}}, {{json .Path}} or {{index .Map "key"}}`,
  );
}

/** Compiles once (so a bad template fails before any request), then renders per object. */
export function compileFormat(template: string): (value: unknown) => string {
  const parts = template.split(/(\{\{[^}]*\}\})/);
  // split() puts the captured actions at odd indices; literal text must hold no stray braces.
  if (parts.some((p, i) => i % 2 === 0 && (p.includes('{{') || p.includes('}}')))) {
    throw invalid(`template parsing error in "${template}": unbalanced {{ }}`);
  }
  const render = (value: unknown) =>
    parts.map((p, i) => (i % 2 === 1 ? evaluateAction(p.slice(2, -2), value, template) : p)).join('');
  render({});
  return render;
}
