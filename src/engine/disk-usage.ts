/**
 * What `system df` measures beyond what the other services report: the bytes on disk of a container's
 * writable layer and of a volume's data. Measured on each call (a walk of the tree), never cached, so
 * `df` right after a write shows it.
 */
import { isMarinaError } from '../errors.ts';
import type { Snapshotter } from '../snapshot/snapshotter.ts';
import { treeBytes } from '../tree-bytes.ts';
import type { VolumeService } from '../volume/volume-service.ts';

export interface DiskUsageService {
  /** Bytes the container wrote into its rootfs (its writable layer); 0 once it is gone. */
  containerBytes(containerId: string): Promise<number>;
  /** Bytes in the volume's data directory; 0 once it is gone. */
  volumeBytes(name: string): Promise<number>;
}

export function diskUsageService(parts: { snapshotter: Snapshotter; volumes: Pick<VolumeService, 'inspect'> }): DiskUsageService {
  return {
    // A container's snapshot is keyed by its id; one removed while `df` runs measures as empty.
    containerBytes: (containerId) => parts.snapshotter.usage(containerId).catch(zeroWhenNotFound),
    async volumeBytes(name) {
      const volume = await parts.volumes.inspect(name).catch(undefinedWhenNotFound);
      return volume ? treeBytes(volume.mountpoint) : 0;
    },
  };
}

function zeroWhenNotFound(err: unknown): number {
  if (isMarinaError(err, 'NotFound')) return 0;
  throw err;
}

function undefinedWhenNotFound(err: unknown): undefined {
  if (isMarinaError(err, 'NotFound')) return undefined;
  throw err;
}
