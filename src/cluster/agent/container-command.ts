/**
 * A pod container's process as Kubernetes defines it on top of the image: `command` replaces the image's
 * ENTRYPOINT (and drops its CMD), `args` replace the CMD; both see `$(VAR)` references to the container's
 * environment expanded. Empty lists count as unset, as in Kubernetes.
 */
import type { ContainerCreateRequest } from '../../engine/container-types.ts';
import type { Container } from '../resources/pod-schemas.ts';
import { expandReferences } from './container-env.ts';

export function processOverrides(
  container: Container,
  env: ReadonlyMap<string, string>,
): Pick<ContainerCreateRequest, 'entrypoint' | 'cmd'> {
  const expand = (list: string[]) => list.map((item) => expandReferences(item, env));
  const command = container.command?.length ? expand(container.command) : undefined;
  const args = container.args?.length ? expand(container.args) : undefined;
  // The engine drops the image's CMD when the entrypoint is set, so `command` alone runs without it.
  return { ...(command ? { entrypoint: command } : {}), ...(args ? { cmd: args } : {}) };
}
