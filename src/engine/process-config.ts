/**
 * How the container's process is derived from the image config and the request, by Docker's rules,
 * so images behave here as they do under Docker.
 */
import { invalid } from '../errors.ts';
import type { ImageRuntimeConfig } from '../image/image-types.ts';
import type { ContainerCreateRequest } from './container-types.ts';

export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ProcessConfig {
  path: string;
  args: string[];
  env: string[];
  workingDir: string;
  user: string;
}

const envKey = (entry: string) => {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
};

/** Later entries replace earlier ones with the same key, keeping the first one's position. */
export function mergeEnv(...lists: readonly (readonly string[])[]): string[] {
  const byKey = new Map<string, string>();
  for (const list of lists) for (const entry of list) byKey.set(envKey(entry), entry);
  return [...byKey.values()];
}

export function mergeProcessConfig(image: ImageRuntimeConfig | undefined, request: ContainerCreateRequest): ProcessConfig {
  const entrypoint = request.entrypoint ?? image?.Entrypoint ?? [];
  // Docker: a new entrypoint drops the image's Cmd, which was written for the old one.
  const cmd = request.cmd?.length ? request.cmd : request.entrypoint !== undefined ? [] : (image?.Cmd ?? []);
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) {
    throw invalid('no command specified: the image has no Entrypoint or Cmd; give a command after the image name', {
      field: 'cmd',
    });
  }
  const env = mergeEnv(image?.Env ?? [], request.env ?? []);
  if (!env.some((e) => envKey(e) === 'PATH')) env.unshift(`PATH=${defaultPath}`);
  return {
    path: argv[0]!,
    args: argv.slice(1),
    env,
    workingDir: request.workingDir || image?.WorkingDir || '/',
    user: request.user ?? image?.User ?? '',
  };
}
