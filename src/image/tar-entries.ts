/** Promise wrappers for writing tar-stream entries in order. */
import type tar from 'tar-stream';

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
