/**
 * conmon's control fifo: `1 <height> <width>\n` resizes the terminal, `2 0 0\n` reopens the log file.
 * Opened non-blocking: with no conmon reading, open fails at once (ENXIO) instead of hanging marinad.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { invalid, MarinaError } from '../../errors.ts';
import type { TerminalSize } from '../runtime.ts';

export function resizeMessage(size: TerminalSize): string {
  const valid = (n: number) => Number.isInteger(n) && n > 0 && n <= 0xffff;
  if (!valid(size.height) || !valid(size.width)) {
    throw invalid(`invalid terminal size ${size.height}x${size.width}: height and width must be between 1 and 65535`);
  }
  return `1 ${size.height} ${size.width}\n`;
}

export const reopenLogMessage = '2 0 0\n';

export async function writeCtl(fifoPath: string, message: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(fifoPath, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new MarinaError('Conflict', `the container's monitor is not running (${(err as NodeJS.ErrnoException).code}); is the container running?`, {
      cause: err,
    });
  }
  try {
    await handle.write(message);
  } finally {
    await handle.close();
  }
}
