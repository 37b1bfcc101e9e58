/**
 * What metadata instructions do to the image config being built (ENV, LABEL, WORKDIR, USER, EXPOSE,
 * VOLUME, CMD, ENTRYPOINT, SHELL, STOPSIGNAL, HEALTHCHECK, ONBUILD, MAINTAINER), and the commands
 * RUN, CMD and ENTRYPOINT turn into. Pure: variables are looked up through `Lookup`, nothing touches disk.
 */
import { posix } from 'node:path';
import { invalid } from '../errors.ts';
import { setEnv } from '../image/changes.ts';
import type { ImageConfig, ImageRuntimeConfig } from '../image/image-types.ts';
import type { CommandForm, Instruction, RunInstruction } from './dockerfile/ast.ts';
import { expandWord, expandWords, type Lookup } from './dockerfile/expand.ts';

export const defaultShell = ['/bin/sh', '-c'];
/** What RUN gets when neither the base image nor the Dockerfile set PATH (as BuildKit does). */
export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type MetadataInstruction = Exclude<Instruction, { kind: 'FROM' | 'RUN' | 'COPY' | 'ADD' | 'ARG' }>;

export function isMetadata(instruction: Instruction): instruction is MetadataInstruction {
  return !['FROM', 'RUN', 'COPY', 'ADD', 'ARG'].includes(instruction.kind);
}

export interface StageConfigState {
  config: ImageConfig;
  /** CMD set in this stage: an ENTRYPOINT then keeps it; an inherited CMD is reset by ENTRYPOINT, as Docker does. */
  cmdSetHere: boolean;
}

/** Applies one metadata instruction, returning the new state. Throws `Invalid` naming the line. */
export function applyMetadata(
  state: StageConfigState,
  instruction: MetadataInstruction,
  lookup: Lookup,
  escapeChar: '\\' | '`',
): StageConfigState {
  const config = structuredClone(state.config);
  const runtime: ImageRuntimeConfig = config.config ?? {};
  config.config = runtime;
  const word = (raw: string) => expandWord(raw, lookup, escapeChar);
  const at = `${instruction.loc.file}:${instruction.loc.line}`;
  let cmdSetHere = state.cmdSetHere;
  switch (instruction.kind) {
    case 'ENV': {
      // Each pair sees the ones before it on the same line, as Docker does.
      let env = runtime.Env ?? [];
      for (const pair of instruction.pairs) {
        const value = expandWord(pair.value, (name) => envValue(env, name) ?? lookup(name), escapeChar);
        env = setEnv(env, word(pair.key), value);
      }
      runtime.Env = env;
      break;
    }
    case 'LABEL':
      runtime.Labels = { ...runtime.Labels };
      for (const pair of instruction.pairs) runtime.Labels[word(pair.key)] = word(pair.value);
      break;
    case 'WORKDIR':
      runtime.WorkingDir = posix.resolve(runtime.WorkingDir || '/', word(instruction.value));
      break;
    case 'USER':
      runtime.User = word(instruction.value);
      break;
    case 'STOPSIGNAL':
      runtime.StopSignal = word(instruction.value);
      break;
    case 'MAINTAINER':
      config.author = word(instruction.value);
      break;
    case 'EXPOSE':
      runtime.ExposedPorts = { ...runtime.ExposedPorts };
      for (const port of instruction.values.flatMap((v) => expandWords(v, lookup, escapeChar))) {
        const match = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(port);
        if (!match) throw invalid(`${at}: EXPOSE "${port}" is not a port like 80, 53/udp or 8000-8010/tcp`);
        const protocol = (match[3] ?? 'tcp').toLowerCase();
        const first = Number(match[1]);
        const last = match[2] === undefined ? first : Number(match[2]);
        if (first < 1 || last > 65535 || last < first) throw invalid(`${at}: EXPOSE "${port}" is out of the range 1-65535`);
        for (let p = first; p <= last; p++) runtime.ExposedPorts[`${p}/${protocol}`] = {};
      }
      break;
    case 'VOLUME':
      runtime.Volumes = { ...runtime.Volumes };
      for (const path of instruction.values.flatMap((v) => expandWords(v, lookup, escapeChar))) {
        if (path === '') throw invalid(`${at}: VOLUME needs a path`);
        runtime.Volumes[path] = {};
      }
      break;
    case 'SHELL':
      if (instruction.args.length === 0) throw invalid(`${at}: SHELL needs at least the shell's path, e.g. ["/bin/bash", "-c"]`);
      runtime.Shell = instruction.args;
      break;
    case 'CMD':
      runtime.Cmd = commandOf(instruction.command, runtime.Shell);
      cmdSetHere = true;
      break;
    case 'ENTRYPOINT':
      runtime.Entrypoint = commandOf(instruction.command, runtime.Shell);
      if (!cmdSetHere) runtime.Cmd = null;
      break;
    case 'HEALTHCHECK':
      if (instruction.test.none) {
        runtime.Healthcheck = { Test: ['NONE'] };
        break;
      }
      runtime.Healthcheck = {
        Test:
          instruction.test.command.form === 'shell'
            ? ['CMD-SHELL', instruction.test.command.command]
            : ['CMD', ...instruction.test.command.args],
        ...(instruction.intervalNs !== undefined ? { Interval: instruction.intervalNs } : {}),
        ...(instruction.timeoutNs !== undefined ? { Timeout: instruction.timeoutNs } : {}),
        ...(instruction.startPeriodNs !== undefined ? { StartPeriod: instruction.startPeriodNs } : {}),
        ...(instruction.startIntervalNs !== undefined ? { StartInterval: instruction.startIntervalNs } : {}),
        ...(instruction.retries !== undefined ? { Retries: instruction.retries } : {}),
      };
      break;
    case 'ONBUILD':
      runtime.OnBuild = [...(runtime.OnBuild ?? []), instruction.trigger];
      break;
  }
  return { config, cmdSetHere };
}

/** CMD/ENTRYPOINT: exec form as written; shell form wrapped in the stage's shell. */
export function commandOf(command: CommandForm, shell: string[] | undefined): string[] {
  return command.form === 'exec' ? command.args : [...(shell ?? defaultShell), command.command];
}

/** The argv of a RUN, with its heredocs: `RUN <<EOF` alone runs the body as the script; otherwise the shell reads them. */
export function runArgv(run: RunInstruction, shell: string[] | undefined): string[] {
  const sh = shell ?? defaultShell;
  if (run.command.form === 'exec') return run.command.args;
  const [only] = run.heredocs;
  if (run.heredocs.length === 1 && only && /^<<-?(["']?)[A-Za-z0-9_]+\1$/.test(run.command.command.trim())) {
    return [...sh, only.content];
  }
  if (run.heredocs.length === 0) return [...sh, run.command.command];
  const bodies = run.heredocs.map((h) => `${h.content}${h.name}\n`).join('');
  return [...sh, `${run.command.command}\n${bodies}`];
}

export function envValue(env: readonly string[], name: string): string | undefined {
  const prefix = `${name}=`;
  const found = env.findLast((e) => e.startsWith(prefix));
  return found?.slice(prefix.length);
}
