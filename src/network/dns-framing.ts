/**
 * DNS over TCP (RFC 1035 §4.2.2, RFC 7766): every message is preceded by its length in two bytes, and a
 * stream may carry several messages, split or joined in any way across reads.
 */

/** `message` with its two-byte length prefix. */
export function framed(message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  return Buffer.concat([prefix, message]);
}

/** Collects a TCP stream's chunks and hands out the complete messages in it. */
export class DnsFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds a chunk; returns the messages it completed, in order. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Buffer[] = [];
    while (this.pending.length >= 2) {
      const end = 2 + this.pending.readUInt16BE(0);
      if (this.pending.length < end) break;
      messages.push(this.pending.subarray(2, end));
      this.pending = this.pending.subarray(end);
    }
    return messages;
  }
}
