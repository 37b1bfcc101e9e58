/** Reading small text files that may be absent (an image without /etc/passwd, a key not made yet). */
import { readFile } from 'node:fs/promises';

/** The file's text, or '' when it cannot be read. */
export function readTextOrEmpty(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** The file's text, or undefined when it does not exist; other failures (EACCES, EISDIR) are thrown. */
export async function readTextIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
