/** Docker's human-readable renderings: short ids, sizes, "x ago", truncated commands, stats percentages. */

export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

function scaled(bytes: number, base: number, units: string[]): string {
  let value = bytes;
  let unit = 0;
  while (value >= base && unit < units.length - 1) {
    value /= base;
    unit++;
  }
  const digits = value >= 100 || unit === 0 ? 0 : value >= 10 ? 1 : 2;
  return `${Number(value.toFixed(digits))}${units[unit]}`;
}

/** Image sizes, decimal as `docker images`: `4.26MB`. */
export const decimalSize = (bytes: number): string => scaled(bytes, 1000, ['B', 'kB', 'MB', 'GB', 'TB']);
/** Memory, binary as `docker stats`: `1.5MiB`. */
export const binarySize = (bytes: number): string => scaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB']);

export function timeAgo(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const steps: [number, string][] = [
    [60 * 60 * 24 * 365, 'year'],
    [60 * 60 * 24 * 30, 'month'],
    [60 * 60 * 24 * 7, 'week'],
    [60 * 60 * 24, 'day'],
    [60 * 60, 'hour'],
    [60, 'minute'],
  ];
  if (seconds < 60) return seconds <= 1 ? 'Less than a second ago' : `${seconds} seconds ago`;
  for (const [size, name] of steps) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return n === 1 ? `${name === 'hour' ? 'About an' : 'a'} ${name} ago` : `${n} ${name}s ago`;
  }
  return `${seconds} seconds ago`;
}

/** `ps` shows the command quoted and cut to 20 characters with an ellipsis, unless --no-trunc. */
export function psCommand(command: string, truncate: boolean): string {
  const cut = truncate && command.length > 20 ? `${command.slice(0, 19)}…` : command;
  return `"${cut}"`;
}

export interface CpuSample {
  totalUsageNs: number;
  systemUsageNs: number;
  onlineCpus: number;
}

/** Docker's CPU %: the container's share of the host's CPU time between two samples, times the CPUs. */
export function cpuPercent(before: CpuSample, after: CpuSample): number {
  const cpuDelta = after.totalUsageNs - before.totalUsageNs;
  const systemDelta = after.systemUsageNs - before.systemUsageNs;
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  return (cpuDelta / systemDelta) * after.onlineCpus * 100;
}

/** A table of left-aligned columns separated by three spaces, as docker prints `ps` and `images`. */
export function columns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
