/**
 * Where objects live in the Store, laid out as Kubernetes lays them out in etcd, so that one prefix lists
 * a resource across namespaces and a longer one lists it in a namespace:
 * `/registry/<group>/<plural>/<namespace>/<name>`, and `/registry/<group>/<plural>/<name>` for
 * cluster-scoped kinds. The core group is written `core`. Every prefix ends with `/`, so namespace `a`
 * never lists namespace `ab`.
 */
import type { ApiKind } from './api-kind.ts';

type Where = Pick<ApiKind, 'group' | 'plural' | 'namespaced'>;

export function collectionPrefix(kind: Where, namespace?: string): string {
  const base = `/registry/${kind.group || 'core'}/${kind.plural}/`;
  return kind.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function objectKey(kind: Where, namespace: string | undefined, name: string): string {
  return `${collectionPrefix(kind, namespace)}${name}`;
}
