/** Named volumes: directories under the state root that outlive containers. */

export interface VolumeRecord {
  name: string;
  driver: 'local';
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  anonymous: boolean;
}

export interface VolumeService {
  create(name: string | undefined, options?: { labels?: Record<string, string> }): Promise<VolumeRecord>;
  list(): Promise<VolumeRecord[]>;
  inspect(name: string): Promise<VolumeRecord>;
  /** `Conflict` when a container uses it, unless `force`. */
  remove(name: string, options?: { force?: boolean }): Promise<void>;
  /** Removes volumes no container uses (only anonymous ones with `anonymousOnly`, as Docker since API 1.42); returns their names. */
  prune(options?: { anonymousOnly?: boolean }): Promise<string[]>;
}

