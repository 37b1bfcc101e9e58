/**
 * A parsed Dockerfile, before any variable is expanded. Words keep their quotes and `$` references:
 * expansion (expand.ts) happens at build time, instruction by instruction, because a stage's variables
 * depend on its base image's environment and on the ARG and ENV lines above.
 */

/** Where an instruction starts; 1-based, as editors and Docker's errors count. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** A here-document (`<<EOF`, `<<-EOF`, `<<"EOF"`) attached to RUN, COPY or ADD. */
export interface Heredoc {
  /** The delimiter word without quotes or dash, e.g. `EOF`. */
  name: string;
  /** The body, lines joined with `\n`, with a trailing newline (and leading tabs stripped for `<<-`). */
  content: string;
  /** False when the delimiter was quoted: the body is then taken literally (no `$` expansion). */
  expand: boolean;
}

/** Exec form (a JSON array, never expanded) or shell form (run by the stage's SHELL). */
export type CommandForm = { form: 'exec'; args: string[] } | { form: 'shell'; command: string };

interface Common {
  loc: SourceLocation;
  /** The instruction as written, continuations joined: what history and cache keys record. */
  original: string;
}

export interface FromInstruction extends Common {
  kind: 'FROM';
  /** Raw word: an image reference, a stage name, or `scratch`; may contain `$` references to global ARGs. */
  image: string;
  /** The `AS name`, lower-cased (stage names are case-insensitive). */
  stageName?: string;
  /** Raw `--platform` flag value. */
  platform?: string;
}

export interface RunInstruction extends Common {
  kind: 'RUN';
  command: CommandForm;
  /**
   * Heredocs named on the line. `RUN <<EOF` alone (the command is only the heredoc) runs the body as a
   * script with the stage's shell; `RUN cmd <<EOF` feeds the body to cmd's stdin.
   */
  heredocs: Heredoc[];
  /** Raw `--network` flag value (default|none|host). */
  network?: string;
}

export interface CopyInstruction extends Common {
  kind: 'COPY' | 'ADD';
  /** Raw source words (globs allowed); a `<<NAME` source is the heredoc of that name. */
  sources: string[];
  /** Raw destination word. */
  dest: string;
  heredocs: Heredoc[];
  /** Raw `--from` value: a stage name or index, or an image reference (COPY only). */
  from?: string;
  /** Raw `--chown=user[:group]`. */
  chown?: string;
  /** Raw `--chmod=0755` (octal). */
  chmod?: string;
}

/** `key=value` pairs as written (ENV, LABEL); values keep quotes and `$` for expansion. */
export interface KeyValue {
  key: string;
  value: string;
}

export interface EnvInstruction extends Common {
  kind: 'ENV';
  pairs: KeyValue[];
}

export interface LabelInstruction extends Common {
  kind: 'LABEL';
  pairs: KeyValue[];
}

export interface ArgInstruction extends Common {
  kind: 'ARG';
  /** One or more `NAME[=default]`; the default is raw. */
  args: { name: string; defaultValue?: string }[];
}

export interface CommandInstruction extends Common {
  kind: 'CMD' | 'ENTRYPOINT';
  command: CommandForm;
}

export interface ShellInstruction extends Common {
  kind: 'SHELL';
  /** Always the JSON form. */
  args: string[];
}

/** Instructions whose argument is one raw string, expanded and interpreted at build time. */
export interface WordInstruction extends Common {
  kind: 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'MAINTAINER';
  value: string;
}

/** Instructions whose argument is a list of raw words (JSON form already decoded for VOLUME). */
export interface WordsInstruction extends Common {
  kind: 'EXPOSE' | 'VOLUME';
  values: string[];
}

export interface HealthcheckInstruction extends Common {
  kind: 'HEALTHCHECK';
  /** `HEALTHCHECK NONE` disables the base image's check. */
  test: { none: true } | { none: false; command: CommandForm };
  /** Durations in nanoseconds, as the image config records them; absent means Docker's default. */
  intervalNs?: number;
  timeoutNs?: number;
  startPeriodNs?: number;
  startIntervalNs?: number;
  retries?: number;
}

export interface OnbuildInstruction extends Common {
  kind: 'ONBUILD';
  /** The trigger as written, e.g. `RUN echo hi`; stored in the image config's OnBuild list. */
  trigger: string;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CopyInstruction
  | EnvInstruction
  | LabelInstruction
  | ArgInstruction
  | CommandInstruction
  | ShellInstruction
  | WordInstruction
  | WordsInstruction
  | HealthcheckInstruction
  | OnbuildInstruction;

export interface Stage {
  /** Position among the file's FROM lines, from 0. */
  index: number;
  /** Lower-cased `AS` name, when given. */
  name?: string;
  from: FromInstruction;
  /** The instructions after FROM, up to the next FROM. */
  instructions: Instruction[];
}

export interface Dockerfile {
  /** The escape character from the `# escape=` directive (default backslash). */
  escape: '\\' | '`';
  /** The `# syntax=` directive, recorded but not acted on. */
  syntax?: string;
  /** ARG lines before the first FROM: usable in FROM lines, and in stages that re-declare them. */
  globalArgs: ArgInstruction[];
  stages: Stage[];
}
