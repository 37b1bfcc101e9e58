/**
 * The measuring loop the latency benches share: one run of each measurement per round, interleaved so
 * that drift in the machine hits all of them alike, the order reversed every other round so that none
 * always runs right after another's teardown, warm-up rounds not recorded.
 */
import { performance } from 'node:perf_hooks';

export interface Measured {
  label: string;
  /** Throws when the run did not work: a failed run is not a fast run, it is not a sample. */
  run: () => Promise<unknown>;
  samples: number[];
  /** Messages of failed runs (warm-up included). */
  failures: string[];
}

export function measured(label: string, run: () => Promise<unknown>): Measured {
  return { label, run, samples: [], failures: [] };
}

/** A measurement that fails this often is broken, not flaky: it is left out of the remaining rounds. */
const maxFailures = 3;

export async function measureInterleaved(
  list: readonly Measured[],
  counts: { warmup: number; rounds: number },
): Promise<void> {
  for (let round = 0; round < counts.warmup + counts.rounds; round++) {
    for (const m of round % 2 === 0 ? list : [...list].reverse()) {
      if (m.failures.length >= maxFailures) continue;
      const t0 = performance.now();
      try {
        await m.run();
      } catch (err) {
        m.failures.push(err instanceof Error ? err.message : String(err));
        const left = m.failures.length >= maxFailures ? '; left out from now on' : '';
        console.error(`${m.label}: run failed (${m.failures.length}${left}): ${m.failures.at(-1)}`);
        continue;
      }
      if (round >= counts.warmup) m.samples.push(performance.now() - t0);
    }
  }
}

/** Lines naming each measurement that failed, for printing after its table. */
export function failureLines(list: readonly Measured[]): string[] {
  return list
    .filter((m) => m.failures.length > 0)
    .map((m) => `${m.label}: ${m.failures.length} run(s) FAILED (warm-up included); the first: ${m.failures[0]}`);
}
