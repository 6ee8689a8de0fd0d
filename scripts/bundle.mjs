// Bundles the compiled CLI (dist/cli/main.js and everything it imports, dependencies included)
// into dist/cli-bundle/, which bin/forcedown.js loads. Why: Node resolves and loads ES modules one
// file at a time, and forcedown's ~300 modules (execa alone is ~40) cost ~85 ms of every start;
// on the host-failure path that is time before the fence. Lazy imports stay lazy (code
// splitting), so `forcedown --help` still loads only what it needs.
//
// Paths computed at run time from import.meta.url (the package root, schemas/, the precompiled
// validators) still hold: the bundle sits two levels below the package root, like dist/*/*.js.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli-bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, 'dist', 'cli', 'main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22.13',
  outExtension: { '.js': '.mjs' },
  // CommonJS dependencies (ajv, yaml's helpers) call require(): give the ES module bundle one
  banner: {
    js: "import { createRequire as __forcedownCreateRequire } from 'node:module'; const require = __forcedownCreateRequire(import.meta.url);",
  },
  // etcd3 loads its .proto files from its own directory (`${__dirname}/../proto/rpc.proto`), which
  // a bundle cannot keep: it stays a package in node_modules, loaded (lazily) from there
  external: ['etcd3'],
  legalComments: 'linked',
  logLevel: 'warning',
});
