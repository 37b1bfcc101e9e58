/**
 * Unpacks a build context sent as a tar archive (plain or gzip) into an empty directory. A context is
 * user input from possibly another machine, so nothing may land outside the directory: names that are
 * absolute or contain `..` are refused, no entry is written through a symlink (parents are lstat'ed,
 * files opened with O_NOFOLLOW|O_EXCL) and a hard link must name a file the archive already holds.
 * Symlinks themselves are kept as they are, whatever their target: everything that later reads the
 * context resolves paths with resolveInRoot, so a link to `/etc` means the context's own `etc`.
 * Owners are not kept (COPY sets them); modes and mtimes are.
 */
import type { Readable } from 'node:stream';
import { invalid } from '../../errors.ts';
import { decompressIfGzip } from '../../image/compression.ts';
import { LexicalTree, readTarEntries, TarExtractor } from '../../snapshot/tar-extract.ts';

/** Extracts `source` into the existing, empty directory `root`. On failure `root` is left partly written. */
export async function extractContextTar(source: Readable, root: string): Promise<void> {
  const input = await decompressIfGzip(source);
  const extractor = new TarExtractor(new LexicalTree(root, treeMessages), {
    owner: () => undefined,
    linkTarget: (linkname, name) => entryPath(linkname, `hard link ${JSON.stringify(name)} to`),
    checkSpecialFile: (_path, header) => {
      throw unsupported(header.name, String(header.type));
    },
    unsupported,
  });
  try {
    await readTarEntries(
      input,
      async (header, body) => {
        const path = entryPath(header.name, 'entry');
        if (path !== '') await extractor.entry(path, header, body);
      },
      (err) => invalid(`the build context is not a readable tar archive (plain or gzip): ${err.message}`),
    );
  } catch (err) {
    source.destroy();
    throw err;
  }
  await extractor.finish();
}

function unsupported(name: string, type: string) {
  return invalid(
    `build context entry ${JSON.stringify(name)} is a ${type}; a context may hold only files, directories and links`,
  );
}

const treeMessages = {
  notADirectory: (name: string, path: string, isSymlink: boolean) =>
    invalid(
      `build context entry ${JSON.stringify(name)} needs ${JSON.stringify(path)} to be a directory, but the archive has a ${isSymlink ? 'symlink' : 'file'} there`,
    ),
  linkRefused: (name: string, linkname: string) =>
    invalid(
      `build context entry ${JSON.stringify(name)} is a hard link to ${JSON.stringify(linkname)}, which is not a file earlier in the archive`,
    ),
};

/** The entry's path relative to the root ('' for the root), or a refusal naming the entry. */
function entryPath(name: string, what: string): string {
  const quoted = JSON.stringify(name);
  if (name.includes('\0')) throw invalid(`build context ${what} ${quoted} contains a NUL byte`);
  if (name.startsWith('/')) {
    throw invalid(
      `build context ${what} ${quoted} is an absolute path; a context archive must hold relative paths`,
    );
  }
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw invalid(
      `build context ${what} ${quoted} contains "..", which could reach outside the context; pack the context without it`,
    );
  }
  return segments.join('/');
}
