// Bundles the CLI and the daemon into single files (fast start: one file to load, no resolution walk)
// and compiles the small C helper that bridges conmon's SOCK_SEQPACKET attach socket, which Node cannot open.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { build } from 'esbuild';

mkdirSync('dist', { recursive: true });
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Bundled CommonJS dependencies still call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __marinaRequire } from 'node:module'; const require = __marinaRequire(import.meta.url);" },
};
await Promise.all([
  build({ ...common, entryPoints: { marina: 'src/cli/main.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { marinad: 'src/daemon/main.ts' }, outdir: 'dist' }),
]);
execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', 'dist/marina-attach', 'src/runtime/conmon/marina-attach.c'], { stdio: 'inherit' });
