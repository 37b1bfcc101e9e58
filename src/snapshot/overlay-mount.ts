/** Pure parts of mounting a snapshot: the overlay option string and reading the mount table. */
import { MarinaError } from '../errors.ts';

/** The kernel refuses deeper stacks (OVL_MAX_STACK). */
export const maxOverlayLayers = 500;

/** mount(2) copies at most one page of option data. */
const mountDataLimit = 4096;

/**
 * Overlay options relative to the snapshot directory (mount runs there). Each lower layer is reached through
 * a short symlink `l/<index>` (topmost is `l/0`) instead of its full path: full paths of ~60 layers would
 * already exceed the one page of option data the kernel accepts.
 */
export function overlayOptions(lowerCount: number): string {
  if (lowerCount > maxOverlayLayers) {
    throw new MarinaError('Unsupported', `an image with ${lowerCount} layers cannot be mounted: overlayfs stacks at most ${maxOverlayLayers}; squash the image`);
  }
  const lowers = lowerCount === 0 ? [emptyLowerDir] : Array.from({ length: lowerCount }, (_, i) => lowerLinkPath(i));
  const options = `lowerdir=${lowers.join(':')},upperdir=upper,workdir=work`;
  if (options.length >= mountDataLimit) {
    throw new MarinaError('Unsupported', `overlay options for ${lowerCount} layers exceed the kernel's ${mountDataLimit}-byte limit; squash the image`);
  }
  return options;
}

export function lowerLinkPath(indexFromTop: number): string {
  return `l/${indexFromTop}`;
}

/** overlayfs needs at least one lowerdir; an image without layers (FROM scratch) gets this empty one. */
export const emptyLowerDir = 'empty';

/** Mount points listed in /proc/self/mountinfo (field 5), with the kernel's octal escapes undone. */
export function mountPoints(mountinfo: string): Set<string> {
  const points = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field !== undefined) points.add(unescapeMountField(field));
  }
  return points;
}

/** The kernel writes space, tab, newline and backslash in mount paths as `\ooo`. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
