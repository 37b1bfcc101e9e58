/**
 * How `marina build` shows a build: BuildKit-like plain lines when piped (`#3 [build 2/5] RUN make`, `#3 …output`,
 * `#3 DONE 1.2s`), or on a terminal a live view redrawn in place at most 10 times a second — finished steps are
 * printed once above it, running ones stay in it with their elapsed time and last output lines. Both end with the
 * same summary, and on failure with the failed step's whole output. The writers, the clock and the redraw ticker are
 * injected so both views are tested without a terminal.
 */
import type { BuildEvent } from '../build/build-service.ts';
import { familiarName, parseReference } from '../image/reference.ts';
import { shortId } from './human.ts';

export type ProgressMode = 'plain' | 'tty' | 'quiet';

export interface BuildProgressOptions {
  mode: ProgressMode;
  /** Where progress goes (stderr in the CLI). */
  progress: (text: string) => void;
  /** Where the closing `Successfully …` lines go (stdout in the CLI). */
  summary: (text: string) => void;
  now?: () => number;
  /** Calls `tick` every ~100 ms until the returned stop is called (the tty view's redraws). */
  ticker?: (tick: () => void) => () => void;
  /** Terminal width and height: lines are cut to fit, so redrawing by line count stays exact. */
  columns?: number;
  rows?: number;
}

export interface BuildFailure {
  message: string;
  details?: Record<string, unknown>;
}

export interface BuildProgress {
  event(event: BuildEvent): void;
  /** Ends the view with the failed step's output (when the error names one) and the error. */
  fail(error: BuildFailure): void;
  /** Ends the view without a result (interrupted); nothing else is printed. */
  stop(): void;
}

/** Output lines a running step shows in the live view. */
const liveOutputLines = 6;
const redrawIntervalMs = 100;

interface Step {
  number: number;
  title: string;
  startedAt: number;
  done?: { cached: boolean; durationMs: number };
  /** Complete output lines; dropped once the step succeeds (only a failure prints them again). */
  output: string[];
  /** The part of the output after its last newline. */
  partial: string;
}

/** `stage-0` for an unnamed stage (as BuildKit names them), else the stage's name. */
export function stepTitle(event: Extract<BuildEvent, { type: 'step' }>): string {
  const stage = /^\d+$/.test(event.stage) ? `stage-${event.stage}` : event.stage;
  return `[${stage} ${event.index}/${event.total}] ${event.instruction}`;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/**
 * A line of program output made safe to print between our own lines: a carriage return keeps what was drawn last
 * (progress bars), escape sequences and other control characters go, tabs become spaces.
 */
export function printableLine(line: string): string {
  const afterReturn = line.replace(/\r+$/, '').split('\r').at(-1) ?? '';
  return afterReturn
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]/g, '')
    .replace(/\t/g, '    ')
    .replace(/[\x00-\x1f\x7f]/g, '');
}

/** `Successfully built <id>` and one `Successfully tagged <name>` per tag, as `docker build` ends. */
export function summaryLines(imageId: string, tags: string[]): string[] {
  return [
    `Successfully built ${shortId(imageId)}`,
    ...tags.map((tag) => `Successfully tagged ${familiarName(parseReference(tag))}`),
  ];
}

const cut = (line: string, width: number): string => (line.length > width ? line.slice(0, width) : line);

/** `text` cut short rather than the time, which goes at the right edge. */
const withTime = (text: string, time: string, width: number): string =>
  `${cut(text, width - time.length - 1).padEnd(width - time.length)}${time}`;

export function createBuildProgress(options: BuildProgressOptions): BuildProgress {
  const now = options.now ?? Date.now;
  const steps = new Map<string, Step>();
  const plain = options.mode === 'plain';
  const tty = options.mode === 'tty';
  // A terminal that reports no size (0, as some pseudo-terminals do) gets the classic 80x24.
  const width = Math.max(20, (options.columns || 80) - 1);
  const maxLiveLines = Math.max(3, (options.rows || 24) - 2);

  // The tty view: lines finished since the last draw, printed once above the live area, and its height.
  let pendingLines: string[] = [];
  let liveHeight = 0;
  let dirty = false;
  let stopTicker: (() => void) | undefined;

  const emit = (line: string) => {
    if (plain) options.progress(`${line}\n`);
    else if (tty) {
      pendingLines.push(cut(line, width));
      dirty = true;
    }
  };

  const liveFrame = (): string[] => {
    const frame: string[] = [];
    for (const step of steps.values()) {
      if (step.done) continue;
      frame.push(withTime(` => ${step.title}`, seconds(now() - step.startedAt), width));
      const tail = step.partial === '' ? step.output : [...step.output, printableLine(step.partial)];
      for (const line of tail.slice(-liveOutputLines)) frame.push(cut(` => => # ${line}`, width));
    }
    return frame.slice(0, maxLiveLines);
  };

  const draw = () => {
    const frame = liveFrame();
    // Back to the top of the live area, clear it and everything below, then finished lines and the new frame.
    let text = liveHeight > 0 ? `\r\x1b[${liveHeight}A\x1b[J` : '';
    for (const line of [...pendingLines, ...frame]) text += `${line}\n`;
    pendingLines = [];
    liveHeight = frame.length;
    dirty = false;
    if (text !== '') options.progress(text);
  };

  const startTicker = () => {
    if (!tty || stopTicker) return;
    const tick = () => {
      // Running steps show elapsed time, so the view changes even without events.
      if (dirty || liveHeight > 0) draw();
    };
    stopTicker = (options.ticker ?? defaultTicker)(tick);
  };

  const endView = () => {
    stopTicker?.();
    stopTicker = undefined;
    if (tty) draw();
  };

  const addOutput = (step: Step, data: string) => {
    const parts = (step.partial + data).split('\n');
    step.partial = parts.pop() ?? '';
    for (const raw of parts) {
      const line = printableLine(raw);
      // Kept whole while the step runs: a failure prints all of it.
      step.output.push(line);
      if (plain) emit(`#${step.number} ${line}`);
    }
    dirty = true;
  };

  const flushPartial = (step: Step) => {
    if (step.partial !== '') addOutput(step, '\n');
  };

  const finishStep = (step: Step, done: { cached: boolean; durationMs: number }) => {
    flushPartial(step);
    step.done = done;
    if (tty) {
      emit(
        done.cached
          ? ` => CACHED ${step.title}`
          : withTime(` => ${step.title}`, seconds(done.durationMs), width),
      );
    } else emit(done.cached ? `#${step.number} CACHED` : `#${step.number} DONE ${seconds(done.durationMs)}`);
    step.output = [];
  };

  return {
    event(event) {
      switch (event.type) {
        case 'step': {
          const step: Step = {
            number: steps.size + 1,
            title: stepTitle(event),
            startedAt: now(),
            output: [],
            partial: '',
          };
          steps.set(event.id, step);
          if (plain) emit(`#${step.number} ${step.title}`);
          dirty = true;
          startTicker();
          break;
        }
        case 'output': {
          const step = steps.get(event.id);
          if (step) addOutput(step, event.data);
          break;
        }
        case 'step-done': {
          const step = steps.get(event.id);
          if (step) finishStep(step, { cached: event.cached, durationMs: event.durationMs });
          break;
        }
        case 'warning':
          emit(`WARNING: ${event.message}`);
          break;
        case 'result':
          endView();
          if (options.mode !== 'quiet')
            for (const line of summaryLines(event.imageId, event.tags)) options.summary(`${line}\n`);
          break;
      }
    },
    fail(error) {
      const failedId = error.details?.step;
      const failed = typeof failedId === 'string' ? steps.get(failedId) : undefined;
      if (failed) flushPartial(failed);
      endView();
      // The error block goes out in every mode, quiet included: it is the only way to see why a RUN failed.
      let text = '';
      if (failed) {
        if (plain) text += `#${failed.number} ERROR: ${error.message}\n`;
        text += `------\n > ${failed.title}:\n`;
        for (const line of failed.output) text += `${line}\n`;
        text += '------\n';
      }
      options.progress(`${text}ERROR: ${error.message}\n`);
    },
    stop: endView,
  };
}

function defaultTicker(tick: () => void): () => void {
  const timer = setInterval(tick, redrawIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
