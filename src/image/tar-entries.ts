/** Promise wrappers for writing tar-stream entries in order. */
import type { Readable } from 'node:stream';
import tar from 'tar-stream';

export type EntryHeader = Partial<tar.Header> & { name: string };

/** Adds an entry whose bytes come from `source`, respecting the pack's backpressure. */
export async function addStream(
  pack: tar.Pack,
  header: EntryHeader,
  source: AsyncIterable<Buffer>,
): Promise<void> {
  let finish!: (err?: Error | null) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = (err) => (err ? reject(err) : resolve());
  });
  const entry = pack.entry(header, finish);
  for await (const chunk of source) {
    if (!entry.write(chunk)) await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
  }
  // streamx's typings demand an argument that its end() does not need.
  (entry as unknown as { end(): void }).end();
  await done;
}

export function addEntry(pack: tar.Pack, header: EntryHeader, data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (data === undefined) pack.entry(header, done);
    else pack.entry(header, data, done);
  });
}

/** A tar stream that `write` fills; it ends when `write` resolves and fails with its error. */
export function packWith(write: (pack: tar.Pack) => Promise<void>): Readable {
  const pack = tar.pack();
  write(pack).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return pack as unknown as Readable;
}
