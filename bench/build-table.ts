/** The cases bench/build.ts measures, their targets, and the table of marina against buildah it prints. */
import { markdownTable, ms, summarize } from './stats.ts';

export const buildCases = ['cold', 'warm', 'one file changed'] as const;
export type BuildCase = (typeof buildCases)[number];

export const caseLabels: Record<BuildCase, string> = {
  cold: 'cold (--no-cache, base image present)',
  warm: 'warm (nothing changed)',
  'one file changed': 'one source file changed',
};

/** The issue's targets: marina median ÷ buildah median at most `ratio`, and marina's median under `underMs`. */
export const buildTargets: Partial<Record<BuildCase, { ratio: number; underMs?: number }>> = {
  cold: { ratio: 1.0 },
  warm: { ratio: 0.5, underMs: 1000 },
};

/** Wall times in ms of each builder, per case; a builder that never succeeded has none. */
export type BuildSamples = Record<'marina' | 'buildah', Partial<Record<BuildCase, number[]>>>;

const describeTarget = (t: { ratio: number; underMs?: number }) =>
  `≤ ${t.ratio.toFixed(1)}×${t.underMs === undefined ? '' : ` and < ${t.underMs / 1000} s`}`;

export function buildTable(samples: BuildSamples): string {
  const rows = buildCases.map((c) => {
    const marina = samples.marina[c]?.length ? summarize(samples.marina[c]) : undefined;
    const buildah = samples.buildah[c]?.length ? summarize(samples.buildah[c]) : undefined;
    const ratio = marina && buildah ? marina.median / buildah.median : undefined;
    const target = buildTargets[c];
    let result = '—';
    if (target && marina && ratio !== undefined) {
      const pass = ratio <= target.ratio && (target.underMs === undefined || marina.median < target.underMs);
      result = pass ? 'PASS' : 'MISS';
    }
    return [
      caseLabels[c],
      marina ? ms(marina.median) : '—',
      buildah ? ms(buildah.median) : '—',
      ratio === undefined ? '—' : ratio.toFixed(2),
      `${marina?.n ?? 0} / ${buildah?.n ?? 0}`,
      target ? describeTarget(target) : '—',
      result,
    ];
  });
  return markdownTable(
    [
      'case',
      'marina median ms',
      'buildah median ms',
      'ratio marina/buildah',
      'runs (marina / buildah)',
      'target',
      'result',
    ],
    rows,
  );
}
