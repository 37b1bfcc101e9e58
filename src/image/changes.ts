/**
 * `--change` instructions for import (`CMD ["sh"]`, `ENV A=1`, …), applied to an image's runtime config
 * with Dockerfile meaning: JSON or shell form for commands, `key=value` pairs with quoting for ENV and LABEL.
 */
import { invalid } from '../errors.ts';
import type { ImageRuntimeConfig } from './image-types.ts';

const supported = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/** Returns a new config with `changes` applied in order; throws `Invalid` naming the bad change. */
export function applyChanges(base: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const config: ImageRuntimeConfig = structuredClone(base);
  for (const change of changes) applyChange(config, change);
  return config;
}

function applyChange(config: ImageRuntimeConfig, change: string): void {
  const match = /^\s*(\S+)\s*(.*)$/s.exec(change);
  const instruction = match?.[1]?.toUpperCase() ?? '';
  const args = match?.[2]?.trim() ?? '';
  const fail = (why: string) => invalid(`invalid change "${change}": ${why}`);
  if (!supported.includes(instruction)) throw fail(`supported instructions are ${supported.join(', ')}`);
  if (args === '') throw fail(`${instruction} needs an argument`);
  switch (instruction) {
    case 'CMD':
      config.Cmd = commandForm(args, fail);
      return;
    case 'ENTRYPOINT':
      config.Entrypoint = commandForm(args, fail);
      return;
    case 'ENV':
      for (const [key, value] of keyValues(args, fail, true))
        config.Env = setEnv(config.Env ?? [], key, value);
      return;
    case 'LABEL':
      config.Labels = { ...config.Labels, ...Object.fromEntries(keyValues(args, fail, false)) };
      return;
    case 'EXPOSE':
      for (const port of splitWords(args, fail)) {
        if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/i.test(port))
          throw fail(`"${port}" is not a port like 80 or 53/udp`);
        config.ExposedPorts = {
          ...config.ExposedPorts,
          [port.includes('/') ? port.toLowerCase() : `${port}/tcp`]: {},
        };
      }
      return;
    case 'VOLUME':
      for (const path of args.startsWith('[') ? jsonStrings(args, fail) : splitWords(args, fail)) {
        config.Volumes = { ...config.Volumes, [path]: {} };
      }
      return;
    case 'WORKDIR':
      config.WorkingDir = args;
      return;
    case 'USER':
      config.User = args;
      return;
    case 'STOPSIGNAL':
      config.StopSignal = args;
      return;
  }
}

type Fail = (why: string) => Error;

function commandForm(args: string, fail: Fail): string[] {
  return args.startsWith('[') ? jsonStrings(args, fail) : ['/bin/sh', '-c', args];
}

function jsonStrings(args: string, fail: Fail): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw fail('JSON form must be a valid JSON array of strings');
  }
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string'))
    throw fail('JSON form must be an array of strings');
  return parsed;
}

/** `k=v k2="v 2"`, or with `legacySpace` also Dockerfile's old `ENV KEY value with spaces`. */
function keyValues(args: string, fail: Fail, legacySpace: boolean): [string, string][] {
  const words = splitWords(args, fail);
  if (legacySpace && !words[0]!.includes('=')) {
    const [, key, value] = /^(\S+)\s+(.*)$/s.exec(args) ?? [];
    if (key === undefined || value === undefined) throw fail('expected KEY=value or KEY value');
    return [[key, splitWords(value, fail).join(' ')]];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq <= 0) throw fail(`"${word}" is not key=value`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/** `env` with `key` set to `value`, replacing an earlier value. */
export function setEnv(env: readonly string[], key: string, value: string): string[] {
  return [...env.filter((e) => e.split('=', 1)[0] !== key), `${key}=${value}`];
}

/** Splits on unquoted whitespace, removing quotes; backslash escapes outside single quotes. */
function splitWords(input: string, fail: Fail): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < input.length) word += input[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < input.length) {
      word += input[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw fail(`unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}
