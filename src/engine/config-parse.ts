/**
 * Parsing of the user's string flags into the container model, shared by the CLI and the Docker API
 * compat layer so both accept and refuse exactly the same spellings (Docker's).
 */
import { invalid } from '../errors.ts';
import type { MountRequest, RestartPolicy } from './container-types.ts';

const unitBytes: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `512m`, `1g`, `1.5g`, `1024`, `64kb` → bytes (Docker's binary units). */
export function parseMemory(value: string, what = 'memory'): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg])?b?$/i.exec(value.trim());
  const bytes = match ? Math.floor(Number(match[1]) * unitBytes[(match[2] ?? 'b').toLowerCase()]!) : Number.NaN;
  if (!match || !Number.isSafeInteger(bytes)) {
    throw invalid(`invalid ${what} value "${value}": use a number with an optional unit b, k, m or g`, { field: what });
  }
  return bytes;
}

/** `--cpus 1.5` → nano CPUs; refuses what the host cannot give, as Docker does. */
export function parseCpus(value: string, hostCpus: number): number {
  const cpus = /^\d*\.?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(cpus)) {
    throw invalid(`invalid cpus value "${value}": use a decimal number of CPUs such as 0.5 or 2`, { field: 'cpus' });
  }
  const nanoCpus = Math.round(cpus * 1e9);
  if (nanoCpus <= 0 || nanoCpus > hostCpus * 1e9) {
    throw invalid(
      `invalid cpus value "${value}": the range of CPUs is from 0.01 to ${hostCpus}, as there are only ${hostCpus} CPUs available`,
      { field: 'cpus' },
    );
  }
  return nanoCpus;
}

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Go's duration spelling (`300ms`, `1.5s`, `1m30s`, `2h`, a bare `0`), as Docker's duration flags take
 * it → milliseconds, fractions kept (`1500us` → 1.5). No Marina duration may be negative.
 */
export function parseDuration(value: string, what = 'duration'): number {
  const bad = (why: string) =>
    invalid(
      `invalid ${what} value "${value}": ${why}; use a number with a unit, such as 500ms, 2s or 1m30s`,
      { field: what },
    );
  if (value === '0') return 0;
  if (value.startsWith('-')) throw bad('it must not be negative');
  const body = value.startsWith('+') ? value.slice(1) : value;
  const part = /(\d*\.?\d*)([a-zµμ]*)/gy;
  let ms = 0;
  for (let match = part.exec(body); match && match[0] !== ''; match = part.exec(body)) {
    const [, number, unit] = match as unknown as [string, string, string];
    if (number === '' || number === '.') break;
    if (unit === '') throw bad(`missing unit after "${number}"`);
    const factor = unitMs[unit];
    if (factor === undefined) throw bad(`unknown unit "${unit}"`);
    ms += Number(number) * factor;
    if (part.lastIndex === body.length) return ms;
  }
  throw bad(body === '' ? 'it is empty' : 'it is not a duration');
}

/** `no`, `always`, `unless-stopped`, `on-failure[:N]`. */
export function parseRestartPolicy(value: string): RestartPolicy {
  const [name, count, ...rest] = value.split(':');
  const hint = 'use no, always, unless-stopped or on-failure[:max-retries]';
  if (rest.length > 0) throw invalid(`invalid restart policy "${value}": ${hint}`, { field: 'restart' });
  switch (name) {
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (count !== undefined) {
        throw invalid(`invalid restart policy "${value}": a maximum retry count only goes with on-failure`, { field: 'restart' });
      }
      return { name };
    case 'on-failure': {
      if (count === undefined) return { name };
      if (!/^\d+$/.test(count)) {
        throw invalid(`invalid restart policy "${value}": the maximum retry count must be a whole number`, { field: 'restart' });
      }
      return { name, maximumRetryCount: Number(count) };
    }
    default:
      throw invalid(`invalid restart policy "${value}": ${hint}`, { field: 'restart' });
  }
}

const volumeName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function containerPath(path: string, spec: string): string {
  if (!path.startsWith('/')) {
    throw invalid(`invalid volume "${spec}": the container path "${path}" must be absolute`, { field: 'volume' });
  }
  return path;
}

/** `-v /host:/ctr[:ro|rw]`, `-v name:/ctr[:ro|rw]`, `-v /ctr` (anonymous volume). */
export function parseVolume(spec: string): MountRequest {
  const parts = spec.split(':');
  if (parts.length === 1) return { type: 'volume', target: containerPath(spec, spec) };
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw invalid(`invalid volume "${spec}": use /host/path:/container/path[:ro] or name:/container/path[:ro]`, {
      field: 'volume',
    });
  }
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') {
    throw invalid(`invalid volume "${spec}": unknown mode "${mode}", use ro or rw`, { field: 'volume' });
  }
  const readOnly = mode === 'ro';
  if (source.startsWith('/')) return { type: 'bind', source, target: containerPath(target, spec), readOnly };
  if (source.startsWith('.') || source.includes('/')) {
    throw invalid(
      `invalid volume "${spec}": the host path "${source}" is relative; give an absolute path (e.g. "$PWD/${source.replace(/^\.\//, '')}")`,
      { field: 'volume' },
    );
  }
  if (!volumeName.test(source)) {
    throw invalid(`invalid volume "${spec}": the volume name "${source}" may only use [a-zA-Z0-9_.-]`, { field: 'volume' });
  }
  return { type: 'volume', name: source, target: containerPath(target, spec), readOnly };
}

/** `--tmpfs /path[:size=64m,mode=1777]`. */
export function parseTmpfs(spec: string): MountRequest {
  const colon = spec.indexOf(':');
  const target = containerPath(colon < 0 ? spec : spec.slice(0, colon), spec);
  const mount: MountRequest = { type: 'tmpfs', target };
  if (colon < 0) return mount;
  for (const option of spec.slice(colon + 1).split(',')) {
    const [key, value] = option.split('=', 2);
    if (key === 'size' && value) mount.sizeBytes = parseMemory(value, 'tmpfs size');
    else if (key === 'mode' && value && /^[0-7]{3,4}$/.test(value)) mount.mode = Number.parseInt(value, 8);
    else throw invalid(`invalid tmpfs option "${option}" in "${spec}": use size=<bytes[kmg]> or mode=<octal>`, { field: 'tmpfs' });
  }
  return mount;
}

/**
 * `-e K=V` as given; `-e K` takes K from the caller's environment and is dropped when unset there
 * (Docker's behaviour), so the CLI passes its own environment in.
 */
export function parseEnv(entries: readonly string[], callerEnv: Readonly<Record<string, string | undefined>>): string[] {
  const env: string[] = [];
  for (const entry of entries) {
    if (entry === '' || entry.startsWith('=')) {
      throw invalid(`invalid environment variable "${entry}": use NAME=value or NAME`, { field: 'env' });
    }
    if (entry.includes('=')) env.push(entry);
    else if (callerEnv[entry] !== undefined) env.push(`${entry}=${callerEnv[entry]}`);
  }
  return env;
}

/** `--label k=v` (or `k`, an empty value) into a map; later labels win. */
export function parseLabels(entries: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (key === '') throw invalid(`invalid label "${entry}": use key=value`, { field: 'label' });
    labels[key] = eq < 0 ? '' : entry.slice(eq + 1);
  }
  return labels;
}
