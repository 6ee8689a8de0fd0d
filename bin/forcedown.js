#!/usr/bin/env node
// forcedown command-line entry point: runs the compiled CLI (npm ci builds dist/ through "prepare").
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`forcedown: Node.js ${process.versions.node} is too old; forcedown needs Node.js >= 22.13 (24 LTS recommended)\n`);
  process.exit(2);
}
// V8's code cache for forcedown's modules (Node >= 22.1; in the OS temp dir, per Node version):
// the second and later starts skip most of the parsing and compiling of listr2, ajv, the CLI
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('forcedown: the compiled CLI (dist/) is missing; run `npm ci` (or `npm run build`) in the forcedown directory first\n');
    process.exit(2);
  }
  throw error;
}
process.exitCode = await cli.main(process.argv.slice(2));
