/**
 * The client end of a hijacked stdio stream: output to this process's stdout/stderr (demultiplexed unless
 * TTY), this process's stdin to the socket with a half-close at EOF, the terminal in raw mode for `-t`
 * (restored on every exit path) and its size forwarded on SIGWINCH.
 */
import { execFileSync } from 'node:child_process';
import { FrameDecoder } from '../api/stdio-framing.ts';
import type { Upgraded } from './client.ts';

export interface TerminalSize {
  height: number;
  width: number;
}

export function terminalSize(): TerminalSize | undefined {
  const { rows, columns } = process.stdout;
  return process.stdout.isTTY && rows && columns ? { height: rows, width: columns } : undefined;
}

export interface SessionOptions {
  stdin: boolean;
  tty: boolean;
  /** Sends a new terminal size to the daemon (container or exec resize). */
  resize?: (size: TerminalSize) => Promise<void>;
}

/** Resolves when the server ends the output stream. */
export async function runStdioSession(up: Upgraded, options: SessionOptions): Promise<void> {
  const { socket } = up;
  const decoder = up.multiplexed ? new FrameDecoder() : undefined;
  const writeOut = (chunk: Buffer) => {
    if (!decoder) {
      process.stdout.write(chunk);
      return;
    }
    for (const frame of decoder.push(chunk))
      (frame.stream === 'stderr' ? process.stderr : process.stdout).write(frame.data);
  };

  const rawMode = options.tty && options.stdin && process.stdin.isTTY;
  if (rawMode) {
    process.stdin.setRawMode(true);
    // libuv's raw mode keeps ONLCR, so the container's \r\n would reach the screen as \r\r\n; the
    // container's own terminal already translates. Raw mode's end restores the saved settings.
    execFileSync('stty', ['-onlcr'], { stdio: ['inherit', 'ignore', 'ignore'] });
  }
  const onResize = () => {
    const size = terminalSize();
    if (size && options.resize) options.resize(size).catch(() => {});
  };
  if (options.tty && options.resize) {
    onResize();
    process.on('SIGWINCH', onResize);
  }
  const forwardStdin = (chunk: Buffer) => {
    if (!socket.write(chunk)) {
      process.stdin.pause();
      socket.once('drain', () => process.stdin.resume());
    }
  };
  const endStdin = () => socket.end();
  if (options.stdin) {
    process.stdin.on('data', forwardStdin);
    process.stdin.once('end', endStdin);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      up.output.on('data', writeOut);
      up.output.once('end', resolve);
      socket.once('error', reject);
    });
  } finally {
    if (rawMode) process.stdin.setRawMode(false);
    process.off('SIGWINCH', onResize);
    process.stdin.off('data', forwardStdin);
    process.stdin.off('end', endStdin);
    process.stdin.pause();
    socket.destroy();
  }
}
