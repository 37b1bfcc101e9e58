/** A tree files are copied from: the build context, or another stage's or image's root filesystem. */

export interface SourceTree {
  /** Absolute directory. */
  readonly root: string;
  /** `relative` is slash-separated, relative to root; always false for rootfs trees. */
  isIgnored(relative: string): boolean;
  /**
   * Whether something below the ignored directory `relative` may still be included (a `!` exception in
   * .dockerignore). Absent means never: ignored directories are then skipped whole.
   */
  mayIncludeBelow?(relative: string): boolean;
}

export function rootfsTree(root: string): SourceTree {
  return { root, isIgnored: () => false };
}
