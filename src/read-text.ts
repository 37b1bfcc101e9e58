/** Reading small text files that may be absent (an image without /etc/passwd, a cgroup file of the other version). */
import { readFile } from 'node:fs/promises';

/** The file's text, or '' when it cannot be read. */
export function readTextOrEmpty(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}
