/** The content store's mark-and-sweep collector over its owners' roots (see content-collector.ts). */
import type { CollectResult, ContentCollector, RootSource } from './content-collector.ts';
import type { ContentStore, Digest } from './content-store.ts';
import { GcGate } from './gc-gate.ts';

export class GcCollector implements ContentCollector {
  private readonly content: ContentStore;
  private readonly gate = new GcGate();
  private readonly owners = new Map<string, RootSource>();

  constructor(content: ContentStore) {
    this.content = content;
  }

  addRoots(owner: string, source: RootSource): void {
    this.owners.set(owner, source);
  }

  lease<T>(fn: () => Promise<T>): Promise<T> {
    return this.gate.write(fn);
  }

  collect(): Promise<CollectResult> {
    return this.gate.collect(async () => {
      const live = new Set<Digest>();
      for (const source of this.owners.values()) {
        for await (const digest of await source()) live.add(digest);
      }
      const removed: Digest[] = [];
      let reclaimedBytes = 0;
      for await (const blob of this.content.list()) {
        if (live.has(blob.digest)) continue;
        await this.content.delete(blob.digest);
        removed.push(blob.digest);
        reclaimedBytes += blob.size;
      }
      return { removed, reclaimedBytes };
    });
  }
}
