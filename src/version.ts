import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './validation/schema-registry.js';

/** forcedown's version, from package.json. */
export const forcedownVersion: string = (
  JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;
