/**
 * Client of marina-spawn (src/runtime/spawn/marina-spawn.c), the small helper that forks and execs the
 * system tools marinad runs. Forking marinad itself blocks its main thread for milliseconds per command
 * (the fork of a large process plus the wait for the child's exec); one long-lived helper does those
 * forks instead, many commands at once, over a binary framing on its stdin and stdout (described in the
 * C file). The helper starts on first use; if it dies, the commands it was running fail and the next
 * command starts a new one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { MarinaError } from './errors.ts';

export interface SpawnRequest {
  /** Looked up on the PATH of `env`, as execvp does. */
  command: string;
  args: readonly string[];
  cwd?: string;
  /** The command's whole environment. */
  env: NodeJS.ProcessEnv;
  input?: string;
}

/**
 * How a command ended: `exited` (value = exit code), `signaled` (value = signal number), `notFound` (exec
 * said ENOENT: not installed) or `failed` (could not start, or its output went over 64 MiB and it was
 * killed; stderr ends with the reason).
 */
export interface SpawnOutcome {
  kind: 'exited' | 'signaled' | 'notFound' | 'failed';
  value: number;
  stdout: Buffer;
  stderr: Buffer;
}

const outcomeKinds: readonly SpawnOutcome['kind'][] = ['exited', 'signaled', 'notFound', 'failed'];
const u32 = 4;
const requestHeaderBytes = 6 * u32;
const responseHeaderBytes = 6 * u32;

/** One request frame: len, id, argc, envc, has_cwd, input_len, then NUL-terminated strings and the input. */
export function encodeRequest(id: number, request: SpawnRequest): Buffer {
  const env = Object.entries(request.env).flatMap(([key, value]) =>
    value === undefined ? [] : [`${key}=${value}`],
  );
  const strings = [
    request.command,
    ...request.args,
    ...env,
    ...(request.cwd === undefined ? [] : [request.cwd]),
  ];
  for (const s of strings) {
    if (s.includes('\0'))
      throw new MarinaError(
        'Invalid',
        `${request.command}: an argument, variable or cwd contains a NUL byte`,
      );
  }
  const input = Buffer.from(request.input ?? '');
  const stringBytes = strings.reduce((sum, s) => sum + Buffer.byteLength(s) + 1, 0);
  const frame = Buffer.allocUnsafe(requestHeaderBytes + stringBytes + input.length);
  const header = [
    frame.length - u32,
    id,
    1 + request.args.length,
    env.length,
    request.cwd === undefined ? 0 : 1,
    input.length,
  ];
  let at = 0;
  for (const value of header) at = frame.writeUInt32LE(value, at);
  for (const s of strings) {
    at += frame.write(s, at);
    frame[at++] = 0;
  }
  input.copy(frame, at);
  return frame;
}

/** Cuts the helper's stdout into response frames; chunks are joined once per frame, not once per chunk. */
export class ResponseReader {
  #chunks: Buffer[] = [];
  #buffered = 0;

  /** Adds a chunk; returns the frames it completed (each without its length field). */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.#buffered >= u32) {
      const frameEnd = u32 + Buffer.concat(this.#chunks, u32).readUInt32LE(0);
      if (this.#buffered < frameEnd) break;
      const all = Buffer.concat(this.#chunks, this.#buffered);
      frames.push(all.subarray(u32, frameEnd));
      const rest = all.subarray(frameEnd);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
    }
    return frames;
  }
}

export function decodeResponse(frame: Buffer): { id: number; outcome: SpawnOutcome } {
  const field = (i: number) => frame.readUInt32LE(i * u32);
  const kind = outcomeKinds[field(1)];
  const stdoutEnd = responseHeaderBytes - u32 + field(3);
  if (kind === undefined || stdoutEnd + field(4) !== frame.length)
    throw new Error('malformed response from marina-spawn');
  const outcome = {
    kind,
    value: frame.readInt32LE(2 * u32),
    stdout: frame.subarray(20, stdoutEnd),
    stderr: frame.subarray(stdoutEnd),
  };
  return { id: field(0), outcome };
}

interface Pending {
  command: string;
  resolve: (outcome: SpawnOutcome) => void;
  reject: (err: Error) => void;
}

/** One helper process and the commands sent to it that have not been answered. */
interface Running {
  process: ChildProcess;
  stdin: Writable;
  stdout: Readable & { ref(): void; unref(): void };
  pending: Map<number, Pending>;
}

export class SpawnHelper {
  readonly binary: string;
  #running: Running | undefined;
  #lastId = 0;

  constructor(binary: string) {
    this.binary = binary;
  }

  /** The helper's pid, once started (tests kill it). */
  get pid(): number | undefined {
    return this.#running?.process.pid;
  }

  run(request: SpawnRequest): Promise<SpawnOutcome> {
    this.#lastId = this.#lastId >= 0xffffffff ? 1 : this.#lastId + 1;
    const id = this.#lastId;
    let frame: Buffer;
    try {
      frame = encodeRequest(id, request);
    } catch (err) {
      return Promise.reject(err);
    }
    const running = this.#running ?? this.#start();
    return new Promise((resolve, reject) => {
      running.pending.set(id, { command: request.command, resolve, reject });
      // Only commands in flight keep the process alive: an idle helper must not hold up its exit.
      if (running.pending.size === 1) running.stdout.ref();
      running.stdin.write(frame);
    });
  }

  /** Closes the helper's stdin: it exits once the commands it runs have finished (and been answered). */
  close(): void {
    this.#running?.stdin.end();
    this.#running = undefined;
  }

  #start(): Running {
    const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    const running: Running = {
      process: child,
      stdin: child.stdin as Writable,
      stdout: child.stdout as Running['stdout'],
      pending: new Map(),
    };
    this.#running = running;
    child.unref();
    running.stdout.unref();
    // A dead helper's stdin raises EPIPE; its 'close' below is what fails the commands.
    running.stdin.on('error', () => {});
    const reader = new ResponseReader();
    running.stdout.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) this.#answer(running, frame);
    });
    child.on('error', (err) => this.#lost(running, `could not run: ${err.message}`));
    child.on('close', (code, signal) =>
      this.#lost(running, signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
    return running;
  }

  #answer(running: Running, frame: Buffer): void {
    let response: ReturnType<typeof decodeResponse>;
    try {
      response = decodeResponse(frame);
    } catch {
      // Out of step with the helper, no later frame can be trusted: its commands fail (see #lost) and
      // the next command starts a new one.
      if (this.#running === running) this.#running = undefined;
      running.process.kill('SIGKILL');
      return;
    }
    const pending = running.pending.get(response.id);
    if (!pending) return;
    running.pending.delete(response.id);
    if (running.pending.size === 0) running.stdout.unref();
    pending.resolve(response.outcome);
  }

  /** The helper is gone: every command sent to it fails; the next run starts a new helper. */
  #lost(running: Running, how: string): void {
    if (this.#running === running) this.#running = undefined;
    const pending = [...running.pending.values()];
    running.pending.clear();
    for (const p of pending) {
      p.reject(
        new MarinaError(
          'Internal',
          `the spawn helper ${this.binary} (pid ${running.process.pid}) ${how} while running ${p.command}; whether ${p.command} ran is unknown`,
        ),
      );
    }
  }
}

let shared: SpawnHelper | null | undefined;

/**
 * The daemon's helper: dist/marina-spawn beside the bundle (or, running from source, the built one in
 * dist/). Null when it was not built: commands then run through execFile, and a warning says so once.
 */
export function sharedSpawnHelper(): SpawnHelper | null {
  if (shared !== undefined) return shared;
  const here = dirname(fileURLToPath(import.meta.url));
  const binary = [join(here, 'marina-spawn'), join(here, '..', 'dist', 'marina-spawn')].find((path) =>
    existsSync(path),
  );
  if (!binary) {
    process.emitWarning(
      'marina-spawn is not built (node scripts/build.mjs); system tools run through execFile, which blocks marinad per command',
      {
        code: 'MARINA_NO_SPAWN_HELPER',
      },
    );
  }
  shared = binary ? new SpawnHelper(binary) : null;
  return shared;
}
