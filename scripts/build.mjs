// Bundles the CLI and the daemon into single files (fast start: one file to load, no resolution walk)
// and compiles the small C helpers: the one that bridges conmon's SOCK_SEQPACKET attach socket, which Node
// cannot open, and marina-spawn, which forks the system tools marinad runs (src/spawn-helper.ts says why).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
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
/**
 * The CLI loads Node's built-in modules with require(), not import: importing a built-in as an ES module
 * evaluates every export, lazy getters included (node:http's pulls in undici, TLS and zlib), which cost
 * the CLI tens of milliseconds per invocation for code it never runs.
 */
const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(b) {
    const builtins = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
    // The stand-in module's own require() must reach Node, not this plugin again.
    b.onResolve({ filter: builtins }, (args) =>
      args.namespace === 'builtin' ? { path: args.path, external: true } : { path: args.path, namespace: 'builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

await Promise.all([
  // Split: the cluster verbs' code (schemas, YAML) sits in chunks loaded only when such a verb runs, so
  // every other command starts as fast as before.
  build({
    ...common,
    entryPoints: { marina: 'src/cli/main.ts' },
    outdir: 'dist',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [builtinsViaRequire],
  }),
  build({ ...common, entryPoints: { marinad: 'src/daemon/main.ts' }, outdir: 'dist' }),
]);
execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', 'dist/marina-attach', 'src/runtime/conmon/marina-attach.c'], { stdio: 'inherit' });
execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', 'dist/marina-spawn', 'src/runtime/spawn/marina-spawn.c'], { stdio: 'inherit' });
