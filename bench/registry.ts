/**
 * `npm run bench:registry`: registry throughput, in one run on one machine. skopeo pushes and pulls a
 * ~100 MB single-layer image and a ~100 MB image in 20 layers against marina's registry (its own marinad,
 * `--registry-auth none`) and against Debian's docker-registry (CNCF distribution), both on loopback,
 * interleaved; MB/s medians and marina ÷ docker-registry per row (target ≥ 1.0). Then `marina pull` of
 * both images from marina's registry into a second daemon. Prints markdown tables.
 * Flags: --runs N (3), --warmup N (1), --size-mb N (100), --layers N (20), --timeout-s N (1800).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cleanupRoot, projectRoot, startDaemon, type TestDaemon } from '../test/harness.ts';
import {
  makeOciLayout,
  type OciLayout,
  skopeoPull,
  skopeoPush,
  startDistributionRegistry,
  startRegistryDaemon,
} from '../test/registry-fixtures.ts';
import { buildMarina, runBench, versionsLine } from './bench-main.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { readCountFlags } from './flags.ts';
import { markdownTable, summarize } from './stats.ts';

function readFlags() {
  const f = readCountFlags({ runs: 3, warmup: 1, 'size-mb': 100, layers: 20, 'timeout-s': 1800 });
  return {
    runs: f.runs,
    warmup: f.warmup,
    sizeMb: f['size-mb'],
    layers: f.layers,
    timeoutMs: f['timeout-s'] * 1000,
  };
}

const ratioTarget = 1.0;

type Shape = 'single' | 'many';
type Target = 'marina' | 'docker-registry';
type Operation = 'push' | 'pull';

/** MB/s samples (MB = 10^6 bytes, what the layouts' blobs add up to). */
type Samples = Map<string, number[]>;

function record(samples: Samples, key: string, bytes: number, ms: number): void {
  const list = samples.get(key) ?? [];
  list.push(bytes / 1e6 / (ms / 1000));
  samples.set(key, list);
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

function layerSizes(shape: Shape, flags: ReturnType<typeof readFlags>): { sizeBytes: number }[] {
  const total = flags.sizeMb * 1e6;
  const count = shape === 'single' ? 1 : flags.layers;
  return Array.from({ length: count }, () => ({ sizeBytes: Math.floor(total / count) }));
}

interface Round {
  /** `127.0.0.1:PORT` of each registry. */
  hosts: Record<Target, string>;
  pullDaemon: TestDaemon;
  work: string;
  flags: ReturnType<typeof readFlags>;
}

/**
 * One round: fresh layouts (new seeds, so no blob is already in either registry or in skopeo's blob
 * cache), each pushed to a new repository in both registries and pulled back into a fresh directory,
 * the two registries' order flipped every round; then `marina pull` of each image from marina's registry.
 */
async function round(r: Round, index: number, samples: Samples | undefined): Promise<void> {
  const order: Target[] = index % 2 === 0 ? ['marina', 'docker-registry'] : ['docker-registry', 'marina'];
  for (const shape of ['single', 'many'] as const) {
    const dir = join(r.work, `round-${index}-${shape}`);
    const layout: OciLayout = await makeOciLayout(join(dir, 'layout'), {
      layers: layerSizes(shape, r.flags),
      tag: 'v1',
      seed: index * 2 + (shape === 'single' ? 0 : 1) + 1000,
    });
    const repository = `bench/${shape}-${index}`;
    try {
      for (const target of order) {
        const ref = `${r.hosts[target]}/${repository}:v1`;
        const pushMs = await timed(() => skopeoPush(layout.dir, 'v1', ref));
        const pullMs = await timed(() => skopeoPull(ref, join(dir, `pulled-${target}`), 'v1'));
        if (samples) {
          record(samples, `${shape} push ${target}`, layout.totalBytes, pushMs);
          record(samples, `${shape} pull ${target}`, layout.totalBytes, pullMs);
        }
      }
      const reference = `${r.hosts.marina}/${repository}:v1`;
      const marinaPullMs = await timed(() =>
        r.pullDaemon.ok(['pull', '-q', reference], { timeoutMs: 600_000 }),
      );
      if (samples) record(samples, `${shape} marina-pull`, layout.totalBytes, marinaPullMs);
      // The second daemon keeps only what the next round needs: nothing.
      await r.pullDaemon.ok(['rmi', reference]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function median(samples: Samples, key: string): number {
  const list = samples.get(key);
  if (!list?.length) throw new Error(`no samples for ${key}`);
  return summarize(list).median;
}

const shapeLabel = (shape: Shape, flags: ReturnType<typeof readFlags>) =>
  shape === 'single' ? `${flags.sizeMb} MB, 1 layer` : `${flags.sizeMb} MB, ${flags.layers} layers`;

function skopeoTable(samples: Samples, flags: ReturnType<typeof readFlags>): string {
  const rows: string[][] = [];
  for (const shape of ['single', 'many'] as const) {
    for (const operation of ['push', 'pull'] as Operation[]) {
      const marina = median(samples, `${shape} ${operation} marina`);
      const reference = median(samples, `${shape} ${operation} docker-registry`);
      const ratio = marina / reference;
      rows.push([
        `skopeo ${operation}, ${shapeLabel(shape, flags)}`,
        marina.toFixed(1),
        reference.toFixed(1),
        ratio.toFixed(2),
        `≥ ${ratioTarget.toFixed(1)}`,
        ratio >= ratioTarget ? 'PASS' : 'MISS',
      ]);
    }
  }
  return markdownTable(
    ['measurement (median of runs)', 'marina MB/s', 'docker-registry MB/s', 'ratio', 'target', 'result'],
    rows,
  );
}

function marinaPullTable(samples: Samples, flags: ReturnType<typeof readFlags>): string {
  return markdownTable(
    ['measurement', 'n', 'min MB/s', 'median MB/s', 'max MB/s'],
    (['single', 'many'] as const).map((shape) => {
      const s = summarize(samples.get(`${shape} marina-pull`) ?? []);
      return [
        `\`marina pull\` into a second daemon, ${shapeLabel(shape, flags)}`,
        String(s.n),
        s.min.toFixed(1),
        s.median.toFixed(1),
        s.max.toFixed(1),
      ];
    }),
  );
}

async function main(): Promise<void> {
  const flags = readFlags();
  const cleanup = new CleanupStack();
  cleanup.exitOnSignalsAndAfter(flags.timeoutMs);
  try {
    console.log('preparing: dependencies, build, two daemons, docker-registry…');
    execFileSync('bash', [join(projectRoot, 'scripts/install-deps.sh')], { stdio: 'inherit' });
    buildMarina();

    const work = mkdtempSync(join(tmpdir(), 'marina-bench-registry-'));
    cleanup.defer('remove the bench directory', () => cleanupRoot(work));
    const marina = await startRegistryDaemon({ args: ['--registry-auth', 'none'], seedBusybox: false });
    cleanup.defer('stop the registry marinad and remove its root', () => marina.daemon.destroy());
    const pullDaemon = await startDaemon({ seedBusybox: false });
    cleanup.defer('stop the pulling marinad and remove its root', () => pullDaemon.destroy());
    const distribution = await startDistributionRegistry();
    cleanup.defer('stop docker-registry and remove its storage', () => distribution.stop());

    const r: Round = {
      hosts: { marina: marina.host, 'docker-registry': distribution.host },
      pullDaemon,
      work,
      flags,
    };
    const samples: Samples = new Map();
    console.log(`warm-up: ${flags.warmup} round(s); then ${flags.runs} measured rounds`);
    for (let i = 0; i < flags.warmup; i++) await round(r, i, undefined);
    for (let i = 0; i < flags.runs; i++) {
      await round(r, flags.warmup + i, samples);
      console.log(`round ${i + 1}/${flags.runs} done`);
    }

    console.log(
      `\n## skopeo push and pull, marina's registry against docker-registry (${flags.runs} runs)\n`,
    );
    console.log(skopeoTable(samples, flags));
    console.log(`\n## marina pull from marina's registry into a second daemon (${flags.runs} runs)\n`);
    console.log(marinaPullTable(samples, flags));
    const versions = await versionsLine([
      ['skopeo', '--version'],
      ['/usr/bin/docker-registry', '--version'],
    ]);
    console.log(`\n${versions}`);
  } finally {
    await cleanup.run();
  }
}

runBench(main);
