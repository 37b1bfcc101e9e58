/**
 * Small servers busybox lacks (test/fixtures/*.c), built static with gcc into a directory that pods mount
 * by hostPath: the tests and benchmarks of Services run them in busybox pods.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './harness.ts';

/** Builds `test/fixtures/NAME.c` to `dir/NAME`; returns that path. */
export function buildStaticFixture(name: 'udp-hostname' | 'http-hostname', dir: string): string {
  const out = join(dir, name);
  execFileSync('gcc', ['-static', '-O2', '-Wall', '-Werror', '-o', out, join(projectRoot, 'test/fixtures', `${name}.c`)]);
  return out;
}
