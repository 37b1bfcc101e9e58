/**
 * The build context bench/build.ts builds with every builder: a multi-stage Dockerfile FROM busybox and a
 * source tree of many small files in nested directories. The layout and contents are pure (derived from
 * the file count), so every run and every builder sees the same bytes; `writeBuildContext` puts them on disk.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A "build" stage that copies every source and reads them all (their md5 and a tar), and a final stage
 * that takes only its output. The RUN steps before the COPY stay cached when a source changes; the ones
 * after it, and the final stage's COPY --from, must run again, since their inputs changed.
 */
export const benchDockerfile = `FROM busybox AS build
RUN mkdir -p /out && echo "toolchain ready" > /out/toolchain.txt
WORKDIR /work
COPY src/ ./src/
RUN find src -type f | sort | xargs cat | md5sum > /out/sources.md5 && find src -type f | wc -l > /out/count
RUN tar -cf /out/sources.tar src

FROM busybox
RUN echo "app:x:1000:1000:app:/app:/bin/sh" >> /etc/passwd && echo "app:x:1000:" >> /etc/group
COPY --from=build /out/ /app/
USER app
WORKDIR /app
CMD ["cat", "/app/sources.md5"]
`;

/** Where the final image keeps the md5 of the sources, to check that a build really read them. */
export const sourcesDigestPath = '/app/sources.md5';

export interface SourceFile {
  /** Relative to the context, `/`-separated. */
  path: string;
  content: string;
}

/** Bytes of each source file. */
export const sourceFileBytes = 1024;

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * `count` files of `sourceFileBytes` bytes each, under src/pkgNN/modNN/, at most 30 files per directory
 * and 10 modules per package (3,000 files: 10 packages × 10 modules × 30 files). Each file's content is
 * different (its own path is in every line), so no builder gains from identical files.
 */
export function sourceFiles(count: number): SourceFile[] {
  const perModule = 30;
  const modulesPerPackage = 10;
  return Array.from({ length: count }, (_, i) => {
    const module = Math.floor(i / perModule);
    const path = `src/pkg${pad(Math.floor(module / modulesPerPackage))}/mod${pad(module % modulesPerPackage)}/file${String(i % perModule).padStart(3, '0')}.txt`;
    return { path, content: filler(path, sourceFileBytes) };
  });
}

function filler(path: string, bytes: number): string {
  let text = '';
  for (let line = 0; text.length < bytes; line++) text += `${path} line ${line}\n`;
  return `${text.slice(0, bytes - 1)}\n`;
}

/** The content `edit` gives a source file: its old one plus a line naming the edit, so it always changes. */
export function editedContent(file: SourceFile, edit: number): string {
  return `${file.content}edit ${edit}\n`;
}

/**
 * What `md5sum` prints in the Dockerfile's RUN for these sources: the md5 of their contents concatenated
 * in `sort` order of their paths (busybox sort compares bytes; the paths are ASCII).
 */
export function expectedSourcesDigest(files: readonly SourceFile[]): string {
  const hash = createHash('md5');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)))
    hash.update(f.content);
  return `${hash.digest('hex')}  -`;
}

export function writeBuildContext(dir: string, files: readonly SourceFile[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), benchDockerfile);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
}
