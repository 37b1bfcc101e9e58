/** Reads through a ResourceClient where "not there" is an answer, not an error. */
import { isMarinaError } from '../../errors.ts';
import type { ApiKind, KubeObject } from '../apiserver/api-kind.ts';
import type { ResourceClient } from '../apiserver/resource-client.ts';

export async function getOrUndefined(
  client: ResourceClient,
  kind: ApiKind,
  namespace: string | undefined,
  name: string,
): Promise<KubeObject | undefined> {
  try {
    return await client.get(kind, namespace, name);
  } catch (err) {
    if (isMarinaError(err, 'NotFound')) return undefined;
    throw err;
  }
}
