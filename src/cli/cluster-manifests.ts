/**
 * Manifests as `apply -f` and `delete -f` read them: files, directories (their .yaml, .yml and .json
 * files, in name order) or stdin; YAML with several documents or JSON; a `List` unpacked into its items.
 * Every object is checked before anything is written — its kind, its namespace, a dry admission
 * (parse, defaults, validation) — so a bad document anywhere leaves the cluster untouched.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../cluster/apiserver/api-kind.ts';
import { kindOf, type ResourceKind } from '../cluster/resources/registry.ts';
import { invalid, isMarinaError } from '../errors.ts';

/** One object of a manifest, with where it came from (for error messages). */
export interface ManifestDocument {
  source: string;
  object: unknown;
}

/** An object ready to write: its kind resolved, its namespace decided, admission passed dry. */
export interface ManifestObject {
  source: string;
  kind: ResourceKind;
  namespace: string | undefined;
  name: string;
  body: KubeObject;
  /** The object as the server will store it (defaults applied), to tell an unchanged apply. */
  admitted: KubeObject;
}

const manifestExtensions = /\.(ya?ml|json)$/;

/** The text of each `-f` source: `-` is stdin, a directory its manifest files. */
export function readManifestSources(paths: readonly string[], readStdin: () => string): { source: string; text: string }[] {
  return paths.flatMap((path) => {
    if (path === '-') return [{ source: 'stdin', text: readStdin() }];
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw invalid(`the path "${path}" does not exist`);
    }
    const files = isDirectory
      ? readdirSync(path)
          .filter((f) => manifestExtensions.test(f))
          .sort()
          .map((f) => join(path, f))
      : [path];
    return files.map((file) => ({ source: file, text: readFileSync(file, 'utf8') }));
  });
}

/** The objects in one source's text, `List`s unpacked; empty documents are skipped. */
export function splitManifest(source: string, text: string): ManifestDocument[] {
  const list = [...parseAllDocuments(text)];
  return list.flatMap((document, index) => {
    const where = list.length > 1 ? `${source} (document ${index + 1})` : source;
    const error = document.errors[0];
    if (error) throw invalid(`${where}: not valid YAML or JSON: ${error.message.split('\n')[0]}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return [];
    return unpackList(where, value);
  });
}

function unpackList(source: string, value: unknown): ManifestDocument[] {
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    throw invalid(`${source}: a manifest must be an object with apiVersion, kind and metadata`);
  }
  const { kind, items } = value as { kind?: unknown; items?: unknown };
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items)) {
    return items.flatMap((item, i) => unpackList(`${source} item ${i}`, item));
  }
  return [{ source, object: value }];
}

/**
 * Resolves and admits every document dry; all the problems found are reported together, and none of the
 * objects is returned unless all are fine. `namespace` is the -n flag's; an object's own wins.
 */
export function checkManifests(documents: readonly ManifestDocument[], namespace: string): ManifestObject[] {
  const checked: ManifestObject[] = [];
  const problems: string[] = [];
  for (const document of documents) {
    try {
      checked.push(checkManifest(document, namespace));
    } catch (err) {
      if (!isMarinaError(err)) throw err;
      problems.push(`${document.source}: ${err.message}`);
    }
  }
  if (problems.length > 0) throw invalid(`nothing was applied:\n${problems.join('\n')}`);
  if (checked.length === 0) throw invalid('no objects passed to apply');
  return checked;
}

/** Which object a manifest names: its kind, namespace (`defaultNamespace` unless its own) and name. */
export function manifestRef(object: unknown, defaultNamespace: string): { kind: ResourceKind; namespace: string | undefined; name: string } {
  const { apiVersion, kind: kindName, metadata } = object as { apiVersion?: unknown; kind?: unknown; metadata?: unknown };
  if (typeof apiVersion !== 'string' || typeof kindName !== 'string') throw invalid('apiVersion and kind are required');
  const kind = kindOf(apiVersion, kindName);
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    throw invalid('metadata: Invalid value: must be an object');
  }
  const meta = (metadata ?? {}) as KubeObject['metadata'];
  if (!meta.name) throw invalid(`metadata.name: Required value: a ${kind.kind} in a manifest needs a name`);
  return { kind, namespace: kind.namespaced ? (meta.namespace ?? defaultNamespace) : undefined, name: meta.name };
}

function checkManifest(document: ManifestDocument, defaultNamespace: string): ManifestObject {
  const { kind, namespace, name } = manifestRef(document.object, defaultNamespace);
  const body = structuredClone(document.object) as KubeObject;
  const { namespace: _, ...metadata } = body.metadata ?? {};
  body.metadata = namespace ? { ...metadata, namespace } : metadata;
  const admitted = kind.admit(body, undefined).object as KubeObject;
  return { source: document.source, kind, namespace, name, body, admitted };
}
