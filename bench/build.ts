/**
 * `npm run bench:build`: `marina build` against buildah, in one run on one machine. Both build the same
 * multi-stage Dockerfile FROM busybox (a few RUN steps, a COPY of --files small files; bench/build-context.ts)
 * three ways per round: cold (--no-cache, base image present), warm (nothing changed) and after one source
 * file changed. Rounds interleave the builders, in an order flipped every round. Prints a markdown table
 * of medians with marina ÷ buildah per case; targets: cold ≤ 1.0×, warm ≤ 0.5× and under 1 s.
 * Flags: --runs N (5), --warmup N (1), --files N (3000), --timeout-s N (1800).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cleanupRoot, projectRoot, startDaemon, type TestDaemon } from '../test/harness.ts';
import { buildMarina, runBench, versionsLine } from './bench-main.ts';
import {
  editedContent,
  expectedSourcesDigest,
  type SourceFile,
  sourceFiles,
  sourcesDigestPath,
  writeBuildContext,
} from './build-context.ts';
import { type BuildCase, type BuildSamples, buildTable } from './build-table.ts';
import { type Builder, prepareBuildah } from './buildah.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { readCountFlags } from './flags.ts';

function readFlags() {
  const f = readCountFlags({ runs: 5, warmup: 1, files: 3000, 'timeout-s': 1800 });
  return { runs: f.runs, warmup: f.warmup, files: f.files, timeoutMs: f['timeout-s'] * 1000 };
}

const tag = 'bench:1';

interface Tracked {
  builder: Builder;
  /** Error messages of failed rounds; a failed build is not a sample. */
  failures: string[];
  /** What the check of its image said, right after its last round. */
  check?: string;
}

/** A builder that fails this many rounds is broken, not flaky: it is left out of the remaining rounds. */
const maxFailures = 3;

function marinaBuilder(daemon: TestDaemon): Builder {
  return {
    name: 'marina',
    async build(context, imageTag, noCache) {
      await daemon.ok(
        ['build', '-q', '--network', 'none', ...(noCache ? ['--no-cache'] : []), '-t', imageTag, context],
        { timeoutMs: 600_000 },
      );
    },
    readFile: (imageTag, path) => daemon.ok(['run', '--rm', '--network', 'none', imageTag, 'cat', path]),
    // The daemon (and with it marina's images) is removed by its own cleanup step.
    dispose: () => {},
  };
}

/**
 * The context on disk and the one file the "one file changed" builds edit; `edits` counts the edits, so
 * each gives the file a content it never had (and the file's current content is derived from it).
 */
interface Sources {
  context: string;
  files: SourceFile[];
  edited: SourceFile;
  edits: number;
}

function editOneFile(sources: Sources): void {
  sources.edits++;
  writeFileSync(join(sources.context, sources.edited.path), editedContent(sources.edited, sources.edits));
}

/** Times cold, warm and one-file-changed builds in that order; a failed build ends the builder's round. */
async function buildRound(builder: Builder, sources: Sources, record: (c: BuildCase, ms: number) => void) {
  const timed = async (c: BuildCase, noCache: boolean) => {
    const t0 = performance.now();
    await builder.build(sources.context, tag, noCache);
    record(c, performance.now() - t0);
  };
  await timed('cold', true);
  await timed('warm', false);
  editOneFile(sources);
  await timed('one file changed', false);
}

/**
 * Whether a builder's last image holds the md5 of the sources as they are now: a builder that skipped
 * the COPY or served a stale cache entry would be fast and wrong.
 */
async function checkResult(builder: Builder, sources: Sources): Promise<string> {
  const current = sources.files.map((f) =>
    f === sources.edited ? { ...f, content: editedContent(f, sources.edits) } : f,
  );
  const expected = expectedSourcesDigest(current);
  const actual = (await builder.readFile(tag, sourcesDigestPath)).trim();
  return actual === expected
    ? `${builder.name}: the built image's ${sourcesDigestPath} matches the sources`
    : `${builder.name}: WRONG RESULT: ${sourcesDigestPath} is "${actual}", the sources' md5 is "${expected}"`;
}

async function main(): Promise<void> {
  const flags = readFlags();
  const cleanup = new CleanupStack();
  cleanup.exitOnSignalsAndAfter(flags.timeoutMs);
  try {
    console.log('preparing: dependencies, build, daemon, buildah storage, build context…');
    execFileSync('bash', [join(projectRoot, 'scripts/install-deps.sh')], { stdio: 'inherit' });
    buildMarina();

    const work = mkdtempSync(join(tmpdir(), 'marina-bench-build-'));
    cleanup.defer('remove the bench directory', () => cleanupRoot(work));
    const daemon = await startDaemon();
    cleanup.defer('stop marinad and remove its root', () => daemon.destroy());
    const busyboxTar = join(work, 'busybox.tar');
    await daemon.ok(['image', 'save', '-o', busyboxTar, 'busybox']);
    const buildah = await prepareBuildah(busyboxTar, join(work, 'buildah'));
    cleanup.defer('remove buildah storage', () => buildah.dispose());

    const files = sourceFiles(flags.files);
    const sources: Sources = { context: join(work, 'context'), files, edited: files[0]!, edits: 0 };
    writeBuildContext(sources.context, files);

    const builders: Tracked[] = [marinaBuilder(daemon), buildah].map((builder) => ({
      builder,
      failures: [],
    }));
    const samples: BuildSamples = { marina: {}, buildah: {} };
    const rounds = flags.warmup + flags.runs;
    console.log(`warm-up: ${flags.warmup} round(s); then ${flags.runs} measured rounds, interleaved`);
    for (let round = 0; round < rounds; round++) {
      const measured = round >= flags.warmup;
      const order = round % 2 === 0 ? builders : [...builders].reverse();
      for (const t of order.filter((x) => x.failures.length < maxFailures)) {
        const name = t.builder.name;
        try {
          await buildRound(t.builder, sources, (c, ms) => {
            if (!measured) return;
            const list = samples[name][c] ?? [];
            list.push(ms);
            samples[name][c] = list;
          });
          // Checked at once: the other builder's round edits the sources again.
          if (round === rounds - 1) t.check = await checkResult(t.builder, sources);
        } catch (err) {
          t.failures.push(err instanceof Error ? err.message : String(err));
          const left = t.failures.length >= maxFailures ? '; left out from now on' : '';
          console.error(
            `${name}: round ${round + 1} failed (${t.failures.length}${left}): ${t.failures.at(-1)}`,
          );
        }
      }
      if (measured) console.log(`round ${round + 1 - flags.warmup}/${flags.runs} done`);
    }

    console.log(
      `\n## Dockerfile build, ${flags.files} source files: wall time per build (${flags.runs} rounds)\n`,
    );
    console.log(buildTable(samples));
    console.log('');
    for (const t of builders) {
      if (t.failures.length > 0)
        console.log(
          `${t.builder.name}: ${t.failures.length} round(s) FAILED (warm-up included); the first: ${t.failures[0]}`,
        );
      if (t.check) console.log(t.check);
    }
    const versions = await versionsLine([
      ['buildah', '--version'],
      ['runc', '--version'],
    ]);
    console.log(`\n${versions}`);
  } finally {
    await cleanup.run();
  }
}

runBench(main);
