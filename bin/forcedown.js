#!/usr/bin/env node
// forcedown command-line entry point: runs the compiled CLI (npm ci builds dist/ through "prepare").
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `forcedown: Node.js ${process.versions.node} is too old; forcedown needs Node.js >= 22.13 (24 LTS recommended)\n`,
  );
  process.exit(2);
}
// V8's code cache for forcedown's modules (Node >= 22.1; in the OS temp dir, per Node version):
// the second and later starts skip most of the parsing and compiling of listr2, ajv, the CLI
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
// the bundled CLI (scripts/bundle.mjs: one module graph instead of ~300 files, ~85 ms less per
// start); the plain compiled modules when the bundle was not built (e.g. tsc alone)
const missing = (error, file) => error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(file);
let cli;
try {
  cli = await import('../dist/cli-bundle/main.mjs');
} catch (error) {
  if (!missing(error, 'dist/cli-bundle/main.mjs')) throw error;
  try {
    cli = await import('../dist/cli/main.js');
  } catch (fallbackError) {
    if (missing(fallbackError, 'dist/cli/main.js')) {
      process.stderr.write(
        'forcedown: the compiled CLI (dist/) is missing; run `npm ci` (or `npm run build`) in the forcedown directory first\n',
      );
      process.exit(2);
    }
    throw fallbackError;
  }
}
process.exitCode = await cli.main(process.argv.slice(2));
