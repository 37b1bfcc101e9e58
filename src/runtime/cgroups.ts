/**
 * Reads a container's resource usage and OOM kills from its cgroup, on cgroup v1 (one hierarchy per
 * controller, as on this machine's hybrid layout) and on the unified v2 hierarchy.
 *
 * Timing matters: `runc delete` removes the cgroup, so the engine must call `wasOomKilled` (and take
 * any last stats) after the container exited and BEFORE it deletes the runtime state.
 */
import { existsSync } from 'node:fs';
import { readTextOrEmpty } from '../read-text.ts';
import { join } from 'node:path';

export type CgroupMode = 'v1' | 'v2';

export interface CgroupStats {
  memory: {
    usageBytes: number;
    /** 0 when unlimited. */
    limitBytes: number;
    /** Page cache (v1 `total_cache`, v2 `file`). */
    cacheBytes: number;
    /** What `docker stats` subtracts from usage (`total_inactive_file` / `inactive_file`). */
    inactiveFileBytes: number;
  };
  cpu: { totalUsageNs: number };
  /** limit 0 when unlimited. */
  pids: { current: number; limit: number };
}

export const CGROUP_ROOT = '/sys/fs/cgroup';

export function detectCgroupMode(root = CGROUP_ROOT): CgroupMode {
  return existsSync(join(root, 'cgroup.controllers')) ? 'v2' : 'v1';
}

/** `key value` lines (memory.stat, cpu.stat, memory.events) → map. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) result.set(key, Number(value));
  }
  return result;
}

/** `max` or a v1 "unlimited" value (close to 2^63) → 0. */
export function parseLimit(text: string): number {
  const value = text.trim();
  if (value === 'max' || value === '') return 0;
  const n = Number(value);
  return Number.isFinite(n) && n < 2 ** 62 ? n : 0;
}

const readNumber = async (path: string) => Number((await readTextOrEmpty(path)).trim()) || 0;

function controllerDir(mode: CgroupMode, root: string, controller: string, cgroupsPath: string): string {
  return mode === 'v2' ? join(root, cgroupsPath) : join(root, controller, cgroupsPath);
}

export async function readCgroupStats(cgroupsPath: string, root = CGROUP_ROOT): Promise<CgroupStats> {
  const mode = detectCgroupMode(root);
  const memory = controllerDir(mode, root, 'memory', cgroupsPath);
  const pids = controllerDir(mode, root, 'pids', cgroupsPath);
  const memoryStat = parseFlatKeyed(await readTextOrEmpty(join(memory, 'memory.stat')));
  const pidsStats = { current: await readNumber(join(pids, 'pids.current')), limit: parseLimit(await readTextOrEmpty(join(pids, 'pids.max'))) };
  if (mode === 'v2') {
    const cpuStat = parseFlatKeyed(await readTextOrEmpty(join(memory, 'cpu.stat')));
    return {
      memory: {
        usageBytes: await readNumber(join(memory, 'memory.current')),
        limitBytes: parseLimit(await readTextOrEmpty(join(memory, 'memory.max'))),
        cacheBytes: memoryStat.get('file') ?? 0,
        inactiveFileBytes: memoryStat.get('inactive_file') ?? 0,
      },
      cpu: { totalUsageNs: (cpuStat.get('usage_usec') ?? 0) * 1000 },
      pids: pidsStats,
    };
  }
  return {
    memory: {
      usageBytes: await readNumber(join(memory, 'memory.usage_in_bytes')),
      limitBytes: parseLimit(await readTextOrEmpty(join(memory, 'memory.limit_in_bytes'))),
      cacheBytes: memoryStat.get('total_cache') ?? memoryStat.get('cache') ?? 0,
      inactiveFileBytes: memoryStat.get('total_inactive_file') ?? memoryStat.get('inactive_file') ?? 0,
    },
    cpu: { totalUsageNs: await readNumber(join(controllerDir(mode, root, 'cpuacct', cgroupsPath), 'cpuacct.usage')) },
    pids: pidsStats,
  };
}

/** Whether the kernel's OOM killer killed a process of this cgroup. Read before `runc delete` (see above). */
export async function wasOomKilled(cgroupsPath: string, root = CGROUP_ROOT): Promise<boolean> {
  const mode = detectCgroupMode(root);
  const dir = controllerDir(mode, root, 'memory', cgroupsPath);
  const counters = parseFlatKeyed(await readTextOrEmpty(join(dir, mode === 'v2' ? 'memory.events' : 'memory.oom_control')));
  return (counters.get('oom_kill') ?? 0) > 0;
}

/** The pids of the processes in a container's cgroup (`cgroup.procs`), for `top`; empty once it is gone. */
export async function readCgroupPids(cgroupsPath: string, root = CGROUP_ROOT): Promise<number[]> {
  const dir = controllerDir(detectCgroupMode(root), root, 'pids', cgroupsPath);
  const text = await readTextOrEmpty(join(dir, 'cgroup.procs'));
  return text.split('\n').filter((line) => /^\d+$/.test(line.trim())).map(Number);
}
