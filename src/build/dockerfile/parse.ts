/**
 * Dockerfile text → the AST of ast.ts, with Docker's (BuildKit's) grammar: logical lines from
 * logical-lines.ts, one instruction per line, stages cut at each FROM. Pure: no I/O, no expansion.
 * Every error is `Invalid` with a `file:line:column:` prefix and says what to change.
 */
import { invalid } from '../../errors.ts';
import { extractFlags, jsonArray, plainWords, quotedWords, type RawFlag } from './arguments.ts';
import type {
  ArgInstruction,
  CommandForm,
  CopyInstruction,
  Dockerfile,
  FromInstruction,
  Heredoc,
  HealthcheckInstruction,
  Instruction,
  KeyValue,
  SourceLocation,
  RunInstruction,
  Stage,
} from './ast.ts';
import { parseGoDuration } from './duration.ts';
import type { EscapeChar } from './expand.ts';
import { type LogicalLine, scanLines } from './logical-lines.ts';

type Keyword = Instruction['kind'];

const keywords: readonly Keyword[] = [
  'FROM',
  'RUN',
  'COPY',
  'ADD',
  'ENV',
  'LABEL',
  'ARG',
  'CMD',
  'ENTRYPOINT',
  'SHELL',
  'WORKDIR',
  'USER',
  'STOPSIGNAL',
  'MAINTAINER',
  'EXPOSE',
  'VOLUME',
  'HEALTHCHECK',
  'ONBUILD',
];

/** Flags each instruction accepts: string flags need `=value`, boolean ones may stand alone. */
const flagKinds: Partial<Record<Keyword, Record<string, 'string' | 'bool'>>> = {
  FROM: { platform: 'string' },
  RUN: { network: 'string' },
  // --link only changes how BuildKit caches the copy, not the resulting files: accepted and ignored.
  COPY: { from: 'string', chown: 'string', chmod: 'string', link: 'bool' },
  ADD: { chown: 'string', chmod: 'string', link: 'bool' },
  HEALTHCHECK: {
    interval: 'string',
    timeout: 'string',
    'start-period': 'string',
    'start-interval': 'string',
    retries: 'string',
  },
};

/** Docker flags Marina knows of but does not implement, so the error can say so instead of "unknown". */
const unsupportedFlags: Partial<Record<Keyword, string[]>> = {
  RUN: ['mount', 'security'],
  COPY: ['parents', 'exclude'],
  ADD: ['checksum', 'keep-git-dir', 'exclude'],
};

const stageNamePattern = /^[a-z][a-z0-9\-_.]*$/;
const runNetworks = new Set(['default', 'none', 'host']);
const heredocWord = /^\d*<<-?/;

interface Context {
  file: string;
  escape: EscapeChar;
}

/** One instruction's line, with the helpers its parser needs. */
class Line {
  readonly loc: SourceLocation;
  readonly text: string;
  readonly heredocs: Heredoc[];

  constructor(ctx: Context, logical: LogicalLine) {
    this.loc = { file: ctx.file, line: logical.line, column: logical.column };
    this.text = logical.text;
    this.heredocs = logical.heredocs;
  }

  fail(message: string): never {
    const { file, line, column } = this.loc;
    throw invalid(`${file}:${line}:${column}: ${message}`, { file, line, column });
  }
}

/** The flags of one instruction, checked against what it accepts. */
function checkFlags(line: Line, keyword: Keyword, raw: RawFlag[]): Map<string, string> {
  const accepted = flagKinds[keyword] ?? {};
  const values = new Map<string, string>();
  for (const { name, value } of raw) {
    const kind = accepted[name];
    if (kind === undefined) {
      if (unsupportedFlags[keyword]?.includes(name)) {
        line.fail(`${keyword} --${name} is not supported by Marina; remove the flag`);
      }
      const list = Object.keys(accepted).map((f) => `--${f}`);
      line.fail(
        `unknown flag --${name} for ${keyword}; ${list.length ? `${keyword} accepts ${list.join(', ')}` : `${keyword} takes no flags`}`,
      );
    }
    if (values.has(name)) line.fail(`flag --${name} is given twice; keep one`);
    if (kind === 'string' && value === undefined)
      line.fail(`flag --${name} needs a value; write --${name}=<value>`);
    if (kind === 'bool' && value !== undefined && value !== 'true' && value !== 'false') {
      line.fail(`flag --${name} takes true or false, not "${value}"`);
    }
    values.set(name, value ?? 'true');
  }
  return values;
}

/** Shell or exec form: a JSON array of strings is exec form, anything else (even broken JSON) shell form. */
function commandForm(line: Line, rest: string): CommandForm {
  let args: string[] | undefined;
  try {
    args = jsonArray(rest);
  } catch (err) {
    line.fail(`${(err as Error).message}; quote every element, e.g. ["echo", "hi"]`);
  }
  return args === undefined ? { form: 'shell', command: rest } : { form: 'exec', args };
}

/** A JSON array of strings, or whitespace-separated words (COPY, ADD, VOLUME). */
function wordList(line: Line, rest: string): string[] {
  const form = commandForm(line, rest);
  return form.form === 'exec' ? form.args : plainWords(rest);
}

/** `K=V K2="a b"`, or the legacy single pair `K value with spaces` (ENV, LABEL). */
function keyValues(line: Line, keyword: 'ENV' | 'LABEL', rest: string, escapeChar: EscapeChar): KeyValue[] {
  const words = quotedWords(rest, escapeChar);
  if (words.length === 0) line.fail(`${keyword} needs at least one name=value pair`);
  if (!words[0]!.includes('=')) {
    const [key, value] = rest.split(/[\t\v\f\r ]+(.*)/s);
    if (value === undefined || value === '')
      line.fail(`${keyword} ${key} has no value; write ${keyword} ${key}=<value>`);
    return [{ key: key!, value }];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) line.fail(`${keyword} expects name=value pairs, "${word}" has no =; write ${word}=<value>`);
    if (eq === 0) line.fail(`${keyword} names can't be blank (in "${word}")`);
    return { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
}

type HealthcheckFields = Omit<HealthcheckInstruction, 'kind' | 'loc' | 'original'>;

function durationNs(line: Line, flag: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ns = parseGoDuration(value);
  if (ns === undefined) line.fail(`bad duration "${value}" for --${flag}; write it like 30s, 1m30s or 500ms`);
  if (ns === 0) return undefined;
  if (ns < 1e6) line.fail(`--${flag} of ${value} is too short; it must be at least 1ms`);
  return ns;
}

function healthcheck(line: Line, flags: Map<string, string>, rest: string): HealthcheckFields {
  const [type = '', after = ''] = rest.split(/\s+(.*)/s);
  const result: HealthcheckFields = { test: { none: true } };
  switch (type.toUpperCase()) {
    case 'NONE':
      if (after.trim() !== '') line.fail('HEALTHCHECK NONE takes no arguments; remove them');
      return result;
    case 'CMD':
      if (after.trim() === '')
        line.fail('HEALTHCHECK CMD needs a command, e.g. HEALTHCHECK CMD curl -f http://localhost/');
      result.test = { none: false, command: commandForm(line, after) };
      break;
    case '':
      line.fail('HEALTHCHECK needs CMD <command> or NONE');
      break;
    default:
      line.fail(`unknown HEALTHCHECK type "${type}"; use HEALTHCHECK CMD <command> or HEALTHCHECK NONE`);
  }
  const durations = [
    ['interval', 'intervalNs'],
    ['timeout', 'timeoutNs'],
    ['start-period', 'startPeriodNs'],
    ['start-interval', 'startIntervalNs'],
  ] as const;
  for (const [flag, field] of durations) {
    const ns = durationNs(line, flag, flags.get(flag));
    if (ns !== undefined) result[field] = ns;
  }
  const retries = flags.get('retries');
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries))
      line.fail(`--retries must be a whole number of zero or more, not "${retries}"`);
    result.retries = Number(retries);
  }
  return result;
}

/** COPY/ADD shell-form sources name heredocs as `<<NAME` whatever the quoting/dash, so the executor can match. */
function heredocSources(line: Line, sources: string[]): string[] {
  let next = 0;
  return sources.map((source) => {
    if (!heredocWord.test(source)) return source;
    const doc = line.heredocs[next++];
    return doc === undefined ? source : `<<${doc.name}`;
  });
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

function unknownInstruction(line: Line, word: string): never {
  const upper = word.toUpperCase();
  const close = keywords.find((k) => editDistance(k, upper) <= 2);
  line.fail(
    `unknown instruction "${word}"${close ? ` (did you mean ${close}?)` : ''}; fix the spelling or remove the line`,
  );
}

function parseInstruction(ctx: Context, line: Line): Instruction {
  const [word = '', argText = ''] = line.text.split(/[\t\v\f\r ]+(.*)/s);
  const kind = word.toUpperCase() as Keyword;
  if (!keywords.includes(kind)) unknownInstruction(line, word);
  const { flags: rawFlags, rest } = extractFlags(argText);
  const flags = checkFlags(line, kind, rawFlags);
  const common = { loc: line.loc, original: line.text };
  const needArgs = (what: string) => {
    if (rest === '') line.fail(`${kind} needs ${what}`);
  };

  switch (kind) {
    case 'FROM': {
      const words = plainWords(rest);
      if (words.length === 0) line.fail('FROM needs an image, e.g. FROM alpine:3.20');
      const isAs = words.length === 3 && words[1]!.toLowerCase() === 'as';
      if (words.length !== 1 && !isAs)
        line.fail('FROM takes an image and an optional stage name; write FROM <image> [AS <name>]');
      const from: FromInstruction = { kind, ...common, image: words[0]! };
      if (isAs) {
        const name = words[2]!.toLowerCase();
        if (!stageNamePattern.test(name)) {
          line.fail(
            `invalid stage name "${words[2]}"; it must start with a letter and contain only letters, digits, -, _ and .`,
          );
        }
        from.stageName = name;
      }
      const platform = flags.get('platform');
      if (platform !== undefined) from.platform = platform;
      return from;
    }
    case 'RUN': {
      needArgs('a command, e.g. RUN apk add curl');
      const run: RunInstruction = {
        kind,
        ...common,
        command: commandForm(line, rest),
        heredocs: line.heredocs,
      };
      const network = flags.get('network');
      if (network !== undefined) {
        if (!runNetworks.has(network))
          line.fail(`RUN --network=${network} is not a network mode; use default, none or host`);
        run.network = network;
      }
      return run;
    }
    case 'COPY':
    case 'ADD': {
      const words = wordList(line, rest);
      if (words.length < 2)
        line.fail(`${kind} needs at least one source and a destination; write ${kind} <src>... <dest>`);
      const dest = words.at(-1)!;
      if (heredocWord.test(dest) && line.heredocs.length > 0)
        line.fail(`a heredoc can't be the destination of ${kind}`);
      const copy: CopyInstruction = {
        kind,
        ...common,
        sources: heredocSources(line, words.slice(0, -1)),
        dest,
        heredocs: line.heredocs,
      };
      for (const flag of ['from', 'chown', 'chmod'] as const) {
        const value = flags.get(flag);
        if (value !== undefined) copy[flag] = value;
      }
      return copy;
    }
    case 'ENV':
    case 'LABEL':
      return { kind, ...common, pairs: keyValues(line, kind, rest, ctx.escape) };
    case 'ARG': {
      const words = quotedWords(rest, ctx.escape);
      if (words.length === 0) line.fail('ARG needs a name, e.g. ARG VERSION or ARG VERSION=1.0');
      const args = words.map((w) => {
        const eq = w.indexOf('=');
        if (eq === 0) line.fail(`ARG names can't be blank (in "${w}")`);
        return eq < 0 ? { name: w } : { name: w.slice(0, eq), defaultValue: w.slice(eq + 1) };
      });
      return { kind, ...common, args };
    }
    case 'CMD':
    case 'ENTRYPOINT':
      needArgs('a command, as a JSON array ["executable", "arg"] or in shell form');
      return { kind, ...common, command: commandForm(line, rest) };
    case 'SHELL': {
      const form = rest === '' ? undefined : commandForm(line, rest);
      if (form?.form !== 'exec' || form.args.length === 0) {
        line.fail(
          'SHELL needs a JSON array with the shell and its arguments, e.g. SHELL ["/bin/bash", "-c"]',
        );
      }
      return { kind, ...common, args: form.args };
    }
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      needArgs(
        {
          WORKDIR: 'a path',
          USER: 'a user[:group]',
          STOPSIGNAL: 'a signal, e.g. SIGTERM',
          MAINTAINER: 'a name',
        }[kind],
      );
      return { kind, ...common, value: rest };
    case 'EXPOSE':
      needArgs('at least one port, e.g. EXPOSE 80/tcp');
      return { kind, ...common, values: plainWords(rest) };
    case 'VOLUME': {
      const values = wordList(line, rest);
      if (values.length === 0) line.fail('VOLUME needs at least one path');
      if (values.some((v) => v.trim() === '')) line.fail('VOLUME paths can not be empty strings');
      return { kind, ...common, values };
    }
    case 'HEALTHCHECK':
      return { kind, ...common, ...healthcheck(line, flags, rest) };
    case 'ONBUILD': {
      needArgs('an instruction to run in builds based on this image, e.g. ONBUILD COPY . /app');
      const trigger = rest.split(/\s/, 1)[0]!.toUpperCase();
      if (trigger === 'ONBUILD')
        line.fail("ONBUILD ONBUILD isn't allowed; chain triggers in the child image instead");
      if (trigger === 'FROM' || trigger === 'MAINTAINER')
        line.fail(`${trigger} isn't allowed as an ONBUILD trigger`);
      // The trigger runs later, in another build: check it parses now, as Docker does.
      parseInstruction(
        ctx,
        new Line(ctx, { text: rest, line: line.loc.line, column: line.loc.column, heredocs: [] }),
      );
      return { kind, ...common, trigger: rest };
    }
  }
}

/** Parses a whole Dockerfile. Throws MarinaError `Invalid` with `file:line:column:` for any syntax error. */
export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const scan = scanLines(text, file);
  const ctx: Context = { file, escape: scan.escape };
  const globalArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const logical of scan.lines) {
    const line = new Line(ctx, logical);
    const instruction = parseInstruction(ctx, line);
    if (instruction.kind === 'FROM') {
      const name = instruction.stageName;
      if (name !== undefined && stages.some((s) => s.name === name)) {
        line.fail(`stage name "${name}" is already used by an earlier FROM; give each stage its own name`);
      }
      stages.push({
        index: stages.length,
        ...(name === undefined ? {} : { name }),
        from: instruction,
        instructions: [],
      });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction);
    } else if (instruction.kind === 'ARG') {
      globalArgs.push(instruction);
    } else {
      line.fail(
        `${instruction.kind} comes before the first FROM; only ARG may precede FROM, move it into a stage`,
      );
    }
  }
  if (stages.length === 0) {
    const at = scan.lines.length > 0 ? scan.lines.at(-1)!.line : 1;
    throw invalid(
      `${file}:${at}:1: the Dockerfile has no FROM instruction; start a stage with FROM <image>`,
      {
        file,
        line: at,
        column: 1,
      },
    );
  }
  const result: Dockerfile = { escape: scan.escape, globalArgs, stages };
  if (scan.syntax !== undefined) result.syntax = scan.syntax;
  return result;
}
