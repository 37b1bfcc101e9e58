/** Host-wide CPU figures that container stats are reported against (Docker's system_cpu_usage). */

/** Linux reports /proc/stat in USER_HZ ticks, which is 100 per second on every supported arch. */
const nsPerTick = 10_000_000;

/** Total CPU time of the host in nanoseconds, from the `cpu` line of /proc/stat. */
export function systemCpuNs(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  // user nice system idle iowait irq softirq steal; guest time is already inside user/nice.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return ticks.reduce((sum, t) => sum + (Number.isFinite(t) ? t : 0), 0) * nsPerTick;
}

export function onlineCpus(procStat: string): number {
  return procStat.split('\n').filter((l) => /^cpu\d+ /.test(l)).length;
}

export interface InterfaceCounters {
  interface: string;
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/** The interfaces of a network namespace from its /proc/<pid>/net/dev, loopback left out as Docker does. */
export function parseNetDev(text: string): InterfaceCounters[] {
  const counters: InterfaceCounters[] = [];
  for (const line of text.split('\n').slice(2)) {
    const match = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!match || match[1] === 'lo') continue;
    const n = match[2]!.trim().split(/\s+/).map(Number);
    counters.push({ interface: match[1]!, rxBytes: n[0] ?? 0, rxPackets: n[1] ?? 0, txBytes: n[8] ?? 0, txPackets: n[9] ?? 0 });
  }
  return counters;
}
