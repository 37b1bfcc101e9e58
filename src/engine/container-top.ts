/**
 * `top`: the processes of a running container, as Docker shows them. Like dockerd, the host's `ps` runs
 * with the caller's arguments (default `-ef`) and only the rows whose PID is in the container's cgroup
 * are kept, so every `ps` column and option works without a `ps` in the image.
 */
import { invalid } from '../errors.ts';
import { runCommand } from '../run-command.ts';
import { readCgroupPids } from '../runtime/cgroups.ts';
import type { ProcessTable } from './container-types.ts';

export const defaultPsArgs = '-ef';

/** Runs the host's ps with `psArgs` (split on blanks, as dockerd does) and keeps the rows of the cgroup's processes. */
export async function topOf(cgroupsPath: string, psArgs = defaultPsArgs): Promise<ProcessTable> {
  const args = psArgs.trim() === '' ? [defaultPsArgs] : psArgs.trim().split(/\s+/);
  // ps first: a process started in between is missing from its output rather than listed without a row.
  const result = await runCommand('ps', args);
  const pids = await readCgroupPids(cgroupsPath);
  // procps exits 1 with just the header when its options select no process: an empty table, not an error.
  if (result.code !== 0 && result.stderr.trim() !== '') throw invalid(`ps ${args.join(' ')} failed: ${result.stderr.trim() || `exit ${result.code}`}; check the ps options`);
  return filterPsOutput(result.stdout, new Set(pids));
}

/**
 * The header's words are the titles; a row is kept when its PID column is one of `pids`. The last column
 * (the command) keeps its spaces: a row is cut into as many fields as there are titles.
 */
export function filterPsOutput(output: string, pids: ReadonlySet<number>): ProcessTable {
  const [header = '', ...rows] = output.split('\n');
  const titles = header.trim().split(/\s+/).filter((t) => t !== '');
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0) throw invalid('the ps output has no PID column: give ps options that print it (e.g. -ef or aux)');
  const processes: string[][] = [];
  for (const row of rows) {
    const fields = row.trim().split(/\s+/);
    if (fields.length < titles.length || !pids.has(Number(fields[pidColumn]))) continue;
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  }
  return { titles, processes };
}
