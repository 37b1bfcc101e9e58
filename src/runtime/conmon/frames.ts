/**
 * Decodes Docker's multiplexed stream framing (8-byte header: stream, 0, 0, 0, length uint32 BE; then
 * the payload), which marina-attach writes, into object-mode OutputFrames. Pure stream logic.
 * An empty frame carries no output: marina-attach sends one when it has connected, surfaced here as
 * the `connected` event.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { OutputFrame } from '../runtime.ts';

const HEADER_BYTES = 8;

export class FrameDecoder extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= HEADER_BYTES) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + length) break;
      if (length === 0) {
        this.pending = this.pending.subarray(HEADER_BYTES);
        this.emit('connected');
        continue;
      }
      const frame: OutputFrame = {
        stream: this.pending[0] === 2 ? 'stderr' : 'stdout',
        data: Buffer.from(this.pending.subarray(HEADER_BYTES, HEADER_BYTES + length)),
      };
      this.pending = this.pending.subarray(HEADER_BYTES + length);
      this.push(frame);
    }
    callback();
  }
}
