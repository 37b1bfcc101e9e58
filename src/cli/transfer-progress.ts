/**
 * How `marina pull|push` shows progress: one bar per layer on a terminal (cli-progress, loaded only then, so
 * other commands do not pay for it), and docker-like plain lines otherwise — every status change, and byte
 * counts at most once a second per layer so a log file stays readable.
 */
import type { TransferProgress } from '../registry/client/image-transfer.ts';
import { decimalSize } from './human.ts';

export interface ProgressRenderer {
  update(progress: TransferProgress): void;
  /** Ends the display (bars drawn for the last time); call before printing anything else. */
  stop(): void;
}

const plainByteLineIntervalMs = 1000;

/** Statuses after which a layer has all its bytes: the bar shows full whatever the last count was. */
const finishedStatuses = new Set([
  'Download complete',
  'Pull complete',
  'Already exists',
  'Pushed',
  'Layer already exists',
]);

const isFinished = (status: string): boolean =>
  finishedStatuses.has(status) || status.startsWith('Mounted from');

/** `12.3MB/50MB`, or `12.3MB` when the total is not known. */
export function formatBytes(current: number, total: number | undefined): string {
  return total === undefined ? decimalSize(current) : `${decimalSize(current)}/${decimalSize(total)}`;
}

/** `a1b2c3d4e5f6: Downloading 12.3MB/50MB`, `Pulling from library/busybox`. */
export function formatPlainLine(progress: TransferProgress): string {
  const bytes = progress.current === undefined ? '' : ` ${formatBytes(progress.current, progress.total)}`;
  return `${progress.id === undefined ? '' : `${progress.id}: `}${progress.status}${bytes}`;
}

/** `1.2MB/s`; empty until there is a duration to divide by. */
export function formatSpeed(bytes: number, elapsedMs: number): string {
  return elapsedMs <= 0 ? '' : `${decimalSize((bytes * 1000) / elapsedMs)}/s`;
}

/** Decides which progress events become plain lines: status changes always, byte counts once a second per layer. */
export class PlainLineThrottle {
  readonly #last = new Map<string, { status: string; at: number }>();

  shouldPrint(progress: TransferProgress, now: number): boolean {
    const key = progress.id ?? '';
    const last = this.#last.get(key);
    const print =
      last === undefined ||
      last.status !== progress.status ||
      progress.current === undefined ||
      now - last.at >= plainByteLineIntervalMs;
    if (print) this.#last.set(key, { status: progress.status, at: now });
    return print;
  }
}

function plainRenderer(stream: NodeJS.WritableStream, now: () => number): ProgressRenderer {
  const throttle = new PlainLineThrottle();
  return {
    update(progress) {
      if (throttle.shouldPrint(progress, now())) stream.write(`${formatPlainLine(progress)}\n`);
    },
    stop() {},
  };
}

async function barRenderer(stream: NodeJS.WriteStream): Promise<ProgressRenderer> {
  const { MultiBar } = await import('cli-progress');
  const bars = new MultiBar({
    stream,
    format: '{id}: {status} [{bar}] {bytes} {speed}',
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
    // Bytes, not percentages or an ETA: the payload carries the human renderings.
    autopadding: true,
  });
  const statusWidth = 'Layer already exists'.length;
  const closingLines: string[] = [];
  const layers = new Map<
    string,
    { bar: ReturnType<typeof bars.create>; total: number; current: number; firstByteAt?: number }
  >();
  return {
    update(progress) {
      if (progress.id === undefined) {
        // Before any bar, a line goes above them (`Pulling from …`); later ones (`Digest: …`) close the output.
        if (layers.size === 0) bars.log(`${progress.status}\n`);
        else closingLines.push(progress.status);
        return;
      }
      let layer = layers.get(progress.id);
      if (layer === undefined) {
        const total = progress.total ?? 0;
        layer = {
          bar: bars.create(Math.max(total, 1), 0, { id: progress.id, status: '', bytes: '', speed: '' }),
          total,
          current: 0,
        };
        layers.set(progress.id, layer);
      }
      if (progress.total !== undefined && progress.total !== layer.total) {
        layer.total = progress.total;
        layer.bar.setTotal(Math.max(progress.total, 1));
      }
      if (progress.current !== undefined) {
        layer.firstByteAt ??= Date.now();
        layer.current = progress.current;
      }
      if (isFinished(progress.status)) layer.current = layer.total;
      const elapsed = layer.firstByteAt === undefined ? 0 : Date.now() - layer.firstByteAt;
      layer.bar.update(layer.total === 0 && isFinished(progress.status) ? 1 : layer.current, {
        id: progress.id,
        status: progress.status.padEnd(statusWidth),
        bytes:
          layer.total > 0 || layer.current > 0 ? formatBytes(layer.current, layer.total || undefined) : '',
        speed: progress.current === undefined ? '' : formatSpeed(layer.current, elapsed),
      });
    },
    stop() {
      bars.stop();
      for (const line of closingLines) stream.write(`${line}\n`);
    },
  };
}

/** Bars when `stream` is a terminal, plain lines otherwise. */
export function createProgressRenderer(stream: NodeJS.WriteStream): Promise<ProgressRenderer> {
  return stream.isTTY ? barRenderer(stream) : Promise.resolve(plainRenderer(stream, Date.now));
}
