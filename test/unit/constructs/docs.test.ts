/**
 * The construct props are typed from the provider's schema; their TSDoc (with `@default`) comes
 * from the schema too, so editors show it. Checked with the TypeScript compiler API.
 */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import ts from 'typescript';

const root = join(import.meta.dirname, '../../..');

const FILES = ['src/constructs/compute-service.ts', 'src/constructs/forcedown-provider.ts'].map((f) => join(root, f));
const program = ts.createProgram(FILES, {
  strict: true,
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  skipLibCheck: true,
  types: [],
});
const checker = program.getTypeChecker();

function docsOf(file: string, interfaceName: string): Map<string, { doc: string; defaults: string | undefined }> {
  const source = program.getSourceFile(join(root, file));
  const out = new Map<string, { doc: string; defaults: string | undefined }>();
  source?.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === interfaceName) {
      for (const property of checker.getPropertiesOfType(checker.getTypeAtLocation(node))) {
        const tag = property.getJsDocTags(checker).find((t) => t.name === 'default');
        out.set(property.name, {
          doc: ts.displayPartsToString(property.getDocumentationComment(checker)),
          defaults: tag === undefined ? undefined : ts.displayPartsToString(tag.text),
        });
      }
    }
  });
  return out;
}

test('ComputeServiceConfig props carry the schema docs and @default values', () => {
  const docs = docsOf('src/constructs/compute-service.ts', 'ComputeServiceConfig');
  assert.match(docs.get('forcedDown')?.doc ?? '', "Nova's `forced_down` flag");
  assert.is(docs.get('forcedDown')?.defaults, 'false');
  assert.is(docs.get('binary')?.defaults, "'nova-compute'");
  assert.match(docs.get('fencedReason')?.doc ?? '', 'Required when `forcedDown` is true');
  assert.match(docs.get('host')?.doc ?? '', 'compute service');
  assert.ok(docs.has('dependsOn'), 'Terraform meta-arguments too');
});

test('ForcedownProviderConfig props carry the schema docs', () => {
  const docs = docsOf('src/constructs/forcedown-provider.ts', 'ForcedownProviderConfig');
  assert.match(docs.get('password')?.doc ?? '', 'Prefer `OS_PASSWORD`');
  assert.match(docs.get('endpointType')?.defaults ?? '', 'public');
});

test.run();
