/**
 * `marina run` / `marina create` flags → the API's ContainerCreateRequest. Pure: the caller reads env
 * files and the terminal size; the flag spellings are parsed by the engine's config-parse, the same code
 * the Docker API compat layer uses.
 */
import type { ContainerCreateRequest } from '../engine/container-types.ts';
import {
  parseCpus,
  parseDuration,
  parseEnv,
  parseLabels,
  parseMemory,
  parseRestartPolicy,
  parseTmpfs,
  parseVolume,
} from '../engine/config-parse.ts';
import { invalid } from '../errors.ts';
import { type NetworkFlags, networkRequestFields } from './network-request.ts';

export interface CreateFlags extends NetworkFlags {
  detach?: boolean;
  rm?: boolean;
  interactive?: boolean;
  tty?: boolean;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  name?: string;
  entrypoint?: string;
  volume: string[];
  tmpfs: string[];
  readOnly?: boolean;
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
  restart?: string;
  hostname?: string;
  capAdd: string[];
  capDrop: string[];
  privileged?: boolean;
  securityOpt: string[];
  stopSignal?: string;
  stopTimeout?: string;
  label: string[];
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthStartPeriod?: string;
  healthRetries?: string;
  healthOnFailure?: string;
  /** false with `--no-healthcheck` (commander's negated flag). */
  healthcheck?: boolean;
}

export interface CreateContext {
  callerEnv: Readonly<Record<string, string | undefined>>;
  hostCpus: number;
  /** Contents of the `--env-file` files, in flag order. */
  envFiles: string[];
  consoleSize?: { height: number; width: number };
}

/** Docker's env-file format: `NAME=value` or `NAME` (taken from the caller) per line; `#` comments. */
export function envFileEntries(content: string): string[] {
  return content
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
}

function parseWholeNumber(value: string, flag: string, min: number): number {
  if (!/^-?\d+$/.test(value) || Number(value) < min)
    throw invalid(`invalid ${flag} value "${value}": use a whole number ≥ ${min}`, { field: flag });
  return Number(value);
}

function parseSecurityOpts(options: readonly string[]): ContainerCreateRequest['securityOpt'] {
  if (options.length === 0) return undefined;
  const result: NonNullable<ContainerCreateRequest['securityOpt']> = {};
  for (const option of options) {
    const [key, value] = option.split(/[:=]/, 2) as [string, string | undefined];
    if (key === 'no-new-privileges' && (value === undefined || value === 'true' || value === 'false')) {
      result.noNewPrivileges = value !== 'false';
    } else if (key === 'seccomp' && value === 'unconfined') {
      result.seccomp = 'unconfined';
    } else {
      throw invalid(
        `invalid --security-opt "${option}": marina supports no-new-privileges[:true|false] and seccomp=unconfined`,
        {
          field: 'security-opt',
        },
      );
    }
  }
  return result;
}

/** A health duration flag in whole milliseconds; Docker refuses non-zero values under 1ms. */
function healthDuration(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value, flag);
  if (ms > 0 && ms < 1)
    throw invalid(`invalid ${flag} value "${value}": use 0 (the default) or at least 1ms`, { field: flag });
  return Math.round(ms);
}

const healthActions = ['none', 'kill', 'restart', 'stop'] as const;

/** `--health-*` and `--no-healthcheck` → the request's healthcheck; without a `--health-cmd` the image's test applies. */
function parseHealthcheck(flags: CreateFlags): ContainerCreateRequest['healthcheck'] {
  const options = {
    intervalMs: healthDuration(flags.healthInterval, 'health-interval'),
    timeoutMs: healthDuration(flags.healthTimeout, 'health-timeout'),
    startPeriodMs: healthDuration(flags.healthStartPeriod, 'health-start-period'),
    retries:
      flags.healthRetries === undefined
        ? undefined
        : parseWholeNumber(flags.healthRetries, 'health-retries', 0),
    onFailure: healthActions.find((a) => a === flags.healthOnFailure),
  };
  if (flags.healthOnFailure !== undefined && options.onFailure === undefined) {
    throw invalid(
      `invalid health-on-failure value "${flags.healthOnFailure}": use none, kill, restart or stop`,
      {
        field: 'health-on-failure',
      },
    );
  }
  const given = flags.healthCmd !== undefined || Object.values(options).some((v) => v !== undefined);
  if (flags.healthcheck === false) {
    if (given)
      throw invalid('conflicting options: --no-healthcheck and --health-*; drop one of them', {
        field: 'healthcheck',
      });
    return { test: ['NONE'] };
  }
  if (!given) return undefined;
  return { test: flags.healthCmd === undefined ? [] : ['CMD-SHELL', flags.healthCmd], ...options };
}

export function buildCreateRequest(
  image: string,
  command: string[],
  flags: CreateFlags,
  ctx: CreateContext,
): ContainerCreateRequest {
  const restartPolicy = flags.restart === undefined ? undefined : parseRestartPolicy(flags.restart);
  if (flags.rm && restartPolicy && restartPolicy.name !== 'no') {
    throw invalid(
      'conflicting options: --restart and --rm (a container that removes itself cannot be restarted)',
      { field: 'restart' },
    );
  }
  const envEntries = [...ctx.envFiles.flatMap(envFileEntries), ...flags.env];
  const resources = {
    memoryBytes: flags.memory === undefined ? undefined : parseMemory(flags.memory),
    nanoCpus: flags.cpus === undefined ? undefined : parseCpus(flags.cpus, ctx.hostCpus),
    pidsLimit:
      flags.pidsLimit === undefined ? undefined : parseWholeNumber(flags.pidsLimit, 'pids-limit', -1),
  };
  const request: ContainerCreateRequest = {
    image,
    name: flags.name,
    cmd: command.length > 0 ? command : undefined,
    entrypoint:
      flags.entrypoint === undefined ? undefined : flags.entrypoint === '' ? [] : [flags.entrypoint],
    env: envEntries.length > 0 ? parseEnv(envEntries, ctx.callerEnv) : undefined,
    workingDir: flags.workdir,
    user: flags.user,
    hostname: flags.hostname,
    tty: flags.tty || undefined,
    openStdin: flags.interactive || undefined,
    stdinOnce: flags.interactive && !flags.detach ? true : undefined,
    labels: flags.label.length > 0 ? parseLabels(flags.label) : undefined,
    mounts:
      flags.volume.length + flags.tmpfs.length > 0
        ? [...flags.volume.map(parseVolume), ...flags.tmpfs.map(parseTmpfs)]
        : undefined,
    readOnlyRootfs: flags.readOnly || undefined,
    resources: Object.values(resources).some((v) => v !== undefined) ? resources : undefined,
    restartPolicy,
    autoRemove: flags.rm || undefined,
    stopSignal: flags.stopSignal,
    stopTimeout:
      flags.stopTimeout === undefined ? undefined : parseWholeNumber(flags.stopTimeout, 'stop-timeout', 0),
    ...networkRequestFields(flags),
    privileged: flags.privileged || undefined,
    capAdd: flags.capAdd.length > 0 ? flags.capAdd : undefined,
    capDrop: flags.capDrop.length > 0 ? flags.capDrop : undefined,
    securityOpt: parseSecurityOpts(flags.securityOpt),
    consoleSize: flags.tty ? ctx.consoleSize : undefined,
    healthcheck: parseHealthcheck(flags),
  };
  return JSON.parse(JSON.stringify(request)) as ContainerCreateRequest;
}
