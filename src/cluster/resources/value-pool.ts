/**
 * A range of integers handed out to owners (a service range's addresses, the node-port range), as
 * Kubernetes' bitmap allocators do. Next-fit: a freed value is reused only after the rest of the range,
 * so a client that cached an old Service's address does not reach a new one at once.
 */
export class ValuePool {
  readonly first: number;
  readonly last: number;
  private readonly owners = new Map<number, string>();
  private cursor: number;

  constructor(first: number, last: number) {
    this.first = first;
    this.last = last;
    this.cursor = first;
  }

  contains(value: number): boolean {
    return Number.isInteger(value) && value >= this.first && value <= this.last;
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  ownerOf(value: number): string | undefined {
    return this.owners.get(value);
  }

  /** Gives a free in-range value to `owner`; false when it is out of range or someone else's. */
  take(value: number, owner: string): boolean {
    if (!this.contains(value)) return false;
    const current = this.owners.get(value);
    if (current !== undefined) return current === owner;
    this.owners.set(value, owner);
    return true;
  }

  /** The next free value after the last one handed out, given to `owner`; undefined when the range is full. */
  takeNext(owner: string): number | undefined {
    for (let step = 0; step < this.size; step++) {
      const value = this.first + ((this.cursor - this.first + step) % this.size);
      if (!this.owners.has(value)) {
        this.owners.set(value, owner);
        this.cursor = value === this.last ? this.first : value + 1;
        return value;
      }
    }
    return undefined;
  }

  free(value: number, owner: string): void {
    if (this.owners.get(value) === owner) this.owners.delete(value);
  }

  /** Makes `owner` hold exactly `values` (those free and in range): frees the rest of what it held. */
  settle(owner: string, values: readonly number[]): void {
    const keep = new Set(values);
    for (const [value, holder] of this.owners) {
      if (holder === owner && !keep.has(value)) this.owners.delete(value);
    }
    for (const value of keep) this.take(value, owner);
  }

  clear(): void {
    this.owners.clear();
    this.cursor = this.first;
  }
}
