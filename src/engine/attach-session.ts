/**
 * A client's attachment to a container's stdio. It exists before the container's stdio does (attach
 * before start misses no output) and is connected to the runtime's session when the container starts.
 */
import { PassThrough } from 'node:stream';
import type { StdioSession } from '../runtime/runtime.ts';
import type { AttachedStdio } from './services.ts';

export class AttachSession implements AttachedStdio {
  readonly output = new PassThrough({ objectMode: true });
  readonly input: PassThrough | undefined;
  readonly tty: boolean;
  /** Whether ending this client's input ends the process's stdin (`stdinOnce`). */
  private readonly endsStdin: boolean;
  private session: StdioSession | undefined;
  private closed = false;
  private readonly onClose: () => void;

  constructor(options: { tty: boolean; stdin: boolean; endsStdin: boolean; onClose?: () => void }) {
    this.tty = options.tty;
    this.input = options.stdin ? new PassThrough() : undefined;
    this.endsStdin = options.endsStdin;
    this.onClose = options.onClose ?? (() => {});
  }

  get isClosed(): boolean {
    return this.closed;
  }

  connect(session: StdioSession): void {
    if (this.closed) {
      session.close();
      return;
    }
    this.session = session;
    session.output.on('error', (err) => this.output.destroy(err));
    session.output.pipe(this.output);
    if (this.input && session.input) this.input.pipe(session.input, { end: this.endsStdin });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session?.close();
    this.input?.destroy();
    this.output.end();
    this.onClose();
  }
}
