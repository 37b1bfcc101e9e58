/** Pure helpers for the benchmarks: summaries of samples, ratio verdicts and the markdown tables they print. */

export interface Summary {
  n: number;
  min: number;
  median: number;
  /** Nearest-rank 90th and 99th percentiles. */
  p90: number;
  p99: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples (every iteration failed?)');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return { n: sorted.length, min: sorted[0]!, median, p90: rank(0.9), p99: rank(0.99), max: sorted[sorted.length - 1]! };
}

export interface RatioCheck {
  label: string;
  ratio: number;
  /** The ratio passes when it is at most this. */
  target: number;
}

export function verdict(check: RatioCheck): 'PASS' | 'MISS' {
  return check.ratio <= check.target ? 'PASS' : 'MISS';
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function ms(value: number): string {
  return value.toFixed(1);
}

export function latencyTable(rows: readonly { label: string; summary: Summary }[]): string {
  return markdownTable(
    ['measurement', 'n', 'min ms', 'median ms', 'p90 ms', 'max ms'],
    rows.map(({ label, summary: s }) => [label, String(s.n), ms(s.min), ms(s.median), ms(s.p90), ms(s.max)]),
  );
}

export function ratioTable(checks: readonly RatioCheck[]): string {
  return markdownTable(
    ['ratio', 'value', 'target', 'result'],
    checks.map((c) => [c.label, c.ratio.toFixed(2), `≤ ${c.target}`, verdict(c)]),
  );
}

/** `VmRSS:     51234 kB` → bytes; undefined when the line is missing (a kernel thread, or the process is gone). */
export function parseVmRss(procStatus: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(procStatus);
  return m ? Number(m[1]) * 1024 : undefined;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
