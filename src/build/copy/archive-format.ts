/**
 * Pure checks that decide whether ADD unpacks a file: like Docker, by content and never by name. A file
 * is an archive when, after undoing a compression recognised by its magic bytes, it starts with a valid
 * tar header; anything else (a plain `.gz` of one file, a text file named `x.tar`) is copied as it is.
 */

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz';

/** The compression whose magic bytes open `head`. */
export function compressionOf(head: Uint8Array): Compression {
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(head, [0x42, 0x5a, 0x68])) return 'bzip2'; // "BZh"
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  return 'none';
}

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
}

export const tarBlockSize = 512;

/**
 * Whether `block` is a tar header: its checksum (the byte sum with the checksum field read as spaces)
 * matches the octal number stored in that field. This accepts every format Go's archive/tar reads (v7,
 * ustar, pax, GNU), which is what Docker tries; an all-zero block (an empty archive) is not a header.
 */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < tarBlockSize) return false;
  const stored = parseOctal(block.subarray(148, 156));
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < tarBlockSize; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  // Some old tars summed signed bytes; Go accepts either.
  return stored === unsigned || stored === signed;
}

function parseOctal(field: Uint8Array): number | undefined {
  const text = Buffer.from(field).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(text)) return undefined;
  return Number.parseInt(text, 8);
}
