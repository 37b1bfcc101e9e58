/**
 * Pure decisions about where COPY and ADD put things, following BuildKit's Dockerfile frontend: the
 * destination is taken relative to WORKDIR, and a destination written as a directory (`/app/`, `.`)
 * always receives sources inside it.
 */
import { posix } from 'node:path';
import { invalid } from '../../errors.ts';
import type { Destination } from '../../rootfs/rootfs-writer.ts';

export function parseDestination(dest: string, workdir: string): Destination {
  if (dest === '') throw invalid('COPY/ADD needs a destination; write a path such as /app/ or .');
  const isDirectory = dest.endsWith('/') || dest === '.' || dest.endsWith('/.');
  return { path: posix.resolve('/', workdir, dest), isDirectory };
}

/** Docker refuses to merge several sources into one destination name: it must be a directory. */
export function checkSourceCount(count: number, destination: Destination, instruction = 'COPY'): void {
  if (count > 1 && !destination.isDirectory) {
    throw invalid(
      `When using ${instruction} with more than one source file, the destination must be a directory and end with a /`,
    );
  }
}

/** The name `ADD https://…/dir/file.tgz /dest/` gives the download: the last segment of the URL path. */
export function fileNameOfUrl(url: URL): string {
  let path = url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape: name the file after the path as written.
  }
  const base = posix.basename(path);
  // BuildKit's own fallback when the URL has no path to name the file after.
  return base === '' || base === '.' || base === '..' ? '__unnamed__' : base;
}
