// forcedown/layers: no upward import between the folders of src/.
//
// LAYERS lists src/'s top-level folders from the top (cli) down; a file may import a folder in a
// lower group, never one in its own or a higher group, except the sideways pairs in SIDEWAYS.
// Files directly in src/ (version.ts, wait-notices.ts) form the layer '(root)', beside exec. ARCHITECTURE.md draws this table;
// change both together.
import path from 'node:path';

/** Top to bottom; folders in one group are peers (they may not import each other). */
export const LAYERS = [
  ['cli'],
  ['report', 'watch'],
  ['runner'],
  ['steps', 'iac', 'constructs', 'provider'],
  ['hostops'],
  ['coordination'],
  ['openstack', 'fencing', 'inventory', 'runbook'],
  ['exec', '(root)'],
  ['secrets', 'validation', 'generated'],
  ['errors'],
];

/** Allowed imports between peers: adapters that build on one another. */
export const SIDEWAYS = {
  iac: ['constructs', 'provider'],
  constructs: ['provider'],
};

const rankOf = new Map(LAYERS.flatMap((group, rank) => group.map((folder) => [folder, rank])));

/** The top-level src/ folder a path is in, '(root)' for a file directly in src/, undefined outside src/. */
export function layerOf(file) {
  const parts = path.resolve(file).split(path.sep);
  const at = parts.lastIndexOf('src');
  if (at < 0) return undefined;
  return parts.length - at === 2 ? '(root)' : parts[at + 1];
}

/** Why `from` may not import `to` (both layerOf results), or undefined when it may. */
export function layerViolation(from, to) {
  if (from === undefined || to === undefined || from === to) return undefined;
  if (to === 'cli') return `nothing imports src/cli (the composition root); move what src/${from} needs below it`;
  const name = (layer) => (layer === '(root)' ? 'src/*.ts' : `src/${layer}`);
  const fromRank = rankOf.get(from);
  const toRank = rankOf.get(to);
  if (fromRank === undefined) return `src/${from} is not in the layer table (scripts/eslint/layers.js); add it`;
  if (toRank === undefined) return `src/${to} is not in the layer table (scripts/eslint/layers.js); add it`;
  if (toRank > fromRank || SIDEWAYS[from]?.includes(to)) return undefined;
  const how = toRank === fromRank ? 'a peer' : 'a higher layer';
  return `${name(from)} may not import ${name(to)} (${how}); move the shared code down (see ARCHITECTURE.md, Layers)`;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'No upward import between the layers of src/ (ARCHITECTURE.md, Layers).' },
    schema: [],
    messages: { upward: '{{why}}' },
  },
  create(context) {
    const filename = context.filename;
    const from = layerOf(filename);
    if (from === undefined) return {};
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(filename), source));
      const why = layerViolation(from, to);
      if (why) context.report({ node, messageId: 'upward', data: { why } });
    };
    const fromSource = (node) => node.source && check(node.source, node.source.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};

export default { meta: { name: 'forcedown' }, rules: { layers: rule } };
