/**
 * Docker's multiplexed stdio framing, used on attach, exec and logs streams when the process has no TTY:
 * each frame is an 8-byte header `[stream, 0, 0, 0, size (uint32 big-endian)]` followed by `size` bytes.
 * Shared by the native API, the Docker-compatible API and the CLI.
 */

export type FramedStream = 'stdin' | 'stdout' | 'stderr' | 'system';

const streamIds: Record<FramedStream, number> = { stdin: 0, stdout: 1, stderr: 2, system: 3 };
const streamNames: FramedStream[] = ['stdin', 'stdout', 'stderr', 'system'];
const headerSize = 8;

export interface Frame {
  stream: FramedStream;
  data: Buffer;
}

export function encodeFrame(stream: FramedStream, data: Buffer): Buffer {
  const header = Buffer.alloc(headerSize);
  header[0] = streamIds[stream];
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/**
 * Incremental decoder: feed it chunks as they arrive from the socket, get whole frames back. Frames may
 * span chunks and a chunk may hold many frames, so it keeps the unfinished tail between calls.
 */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Frame[] = [];
    while (this.#pending.length >= headerSize) {
      const id = this.#pending[0]!;
      const stream = streamNames[id];
      if (stream === undefined) throw new Error(`invalid stdio frame: unknown stream id ${id}`);
      const size = this.#pending.readUInt32BE(4);
      if (this.#pending.length < headerSize + size) break;
      frames.push({ stream, data: this.#pending.subarray(headerSize, headerSize + size) });
      this.#pending = this.#pending.subarray(headerSize + size);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still buffered (non-zero at end of stream means truncation). */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}
