/** Where the engine keeps each container's files under the state root (docs/architecture.md). */
import { join } from 'node:path';

export const bundleDir = (root: string, id: string) => join(root, 'containers', id);
export const logPathOf = (root: string, id: string) => join(bundleDir(root, id), 'ctr.log');
export const exitsDir = (root: string) => join(root, 'exits');
export const runcRoot = (root: string) => join(root, 'runc');
export const cgroupsPathOf = (id: string) => `/marina/${id}`;
