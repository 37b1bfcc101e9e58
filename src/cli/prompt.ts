/**
 * Asking the user for a name or a password on the terminal (prompts on stderr, so stdout stays the command's
 * output), and reading a secret from stdin for scripts. node:readline is loaded only when a prompt is shown.
 */
import { Writable } from 'node:stream';
import { MarinaError } from '../errors.ts';
import { Exit } from './cli-support.ts';

export const canPrompt = (): boolean => Boolean(process.stdin.isTTY && process.stderr.isTTY);

/** Asks on the terminal; `hidden` keeps the answer from being echoed (passwords). Ctrl-C ends the CLI with 130. */
export async function prompt(question: string, options: { hidden?: boolean } = {}): Promise<string> {
  if (!canPrompt())
    throw new MarinaError(
      'Invalid',
      `cannot ask "${question.trim()}" without a terminal: pass it as a flag or on stdin`,
    );
  const { createInterface } = await import('node:readline');
  // readline echoes what is typed through `output`; once a password's prompt is out, its keystrokes are swallowed.
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.on('SIGINT', () => {
        process.stderr.write('\n');
        reject(new Exit(130));
      });
      rl.question(question, resolve);
      muted = Boolean(options.hidden);
    });
  } finally {
    if (options.hidden) process.stderr.write('\n');
    rl.close();
  }
}

/** Reads all of stdin as a secret, without the line end `echo` or a here-string adds (as docker does). */
export async function readSecretFromStdin(what: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const secret = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (secret === '') throw new MarinaError('Invalid', `${what} read from stdin is empty`);
  return secret;
}
