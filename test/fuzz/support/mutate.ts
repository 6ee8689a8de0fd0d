/**
 * Mutators of the fuzz suite: structural ones on a parsed document (delete/duplicate/rename keys,
 * type swaps, huge values, deep nesting, hostile strings and keys, path traversal), textual ones
 * on its serialized bytes (bit flips, truncation, control characters, BOMs, wrong encodings,
 * comments, tabs), YAML-only ones (alias bombs, merge keys, tags, several documents, directives)
 * and file-system ones (a directory, a dangling symlink, a symlink loop instead of the file).
 * Every choice comes from the case's {@link Rng}, so a case is reproducible from seed and index.
 */
import { Buffer } from 'node:buffer';
import type { Rng } from './rng.js';

/** A document as an ordered tree: objects keep duplicate keys and `__proto__` as plain entries. */
export type Node = { t: 'obj'; entries: [string, Node][] } | { t: 'arr'; items: Node[] } | { t: 'raw'; text: string };

/** What ends up where the input file should be. */
export type Payload =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'directory' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'dangling-symlink' }
  | { readonly kind: 'symlink-loop' };

/** A mutated input and how it was made (printed with a failure). */
export interface Mutant {
  readonly payload: Payload;
  readonly steps: readonly string[];
}

/** The tree of a JSON value (`JSON.parse` keeps `__proto__` as an own key). */
export function fromValue(value: unknown): Node {
  if (Array.isArray(value)) return { t: 'arr', items: value.map(fromValue) };
  if (value !== null && typeof value === 'object')
    return { t: 'obj', entries: Object.entries(value).map(([k, v]) => [k, fromValue(v)]) };
  return { t: 'raw', text: JSON.stringify(value) ?? 'null' };
}

function clone(node: Node): Node {
  if (node.t === 'obj') return { t: 'obj', entries: node.entries.map(([k, v]) => [k, clone(v)]) };
  if (node.t === 'arr') return { t: 'arr', items: node.items.map(clone) };
  return { t: 'raw', text: node.text };
}

/** JSON text of a tree (raw scalars are written as they are, valid JSON or not). */
export function toJson(node: Node, indent: string, level = 0): string {
  const nl = indent ? '\n' : '';
  const pad = indent.repeat(level + 1);
  const end = indent.repeat(level);
  const sep = indent ? ' ' : '';
  if (node.t === 'raw') return node.text;
  if (node.t === 'arr') {
    if (node.items.length === 0) return '[]';
    return `[${nl}${node.items.map((item) => `${pad}${toJson(item, indent, level + 1)}`).join(`,${nl}`)}${nl}${end}]`;
  }
  if (node.entries.length === 0) return '{}';
  return `{${nl}${node.entries.map(([k, v]) => `${pad}${JSON.stringify(k)}:${sep}${toJson(v, indent, level + 1)}`).join(`,${nl}`)}${nl}${end}}`;
}

/** Block-style YAML of a tree: mappings as blocks, sequences and scalars in flow (JSON) style. */
export function toYaml(node: Node, level = 0): string {
  const pad = '  '.repeat(level);
  if (node.t !== 'obj' || node.entries.length === 0) return `${pad}${toJson(node, '')}\n`;
  let out = '';
  for (const [key, value] of node.entries) {
    const k =
      /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(key)
        ? key
        : JSON.stringify(key);
    if (value.t === 'obj' && value.entries.length > 0) out += `${pad}${k}:\n${toYaml(value, level + 1)}`;
    else out += `${pad}${k}: ${toJson(value, '')}\n`;
  }
  return out;
}

interface Slot {
  /** The node in this slot. */
  readonly node: Node;
  /** JSON pointer-like path, for the description. */
  readonly path: string;
  /** Puts another node in the slot. */
  readonly set: (node: Node) => void;
  /** The object that holds the slot, and the index of the entry. */
  readonly parent?: { readonly obj: Extract<Node, { t: 'obj' }>; readonly index: number };
}

function slots(root: { value: Node }): Slot[] {
  const out: Slot[] = [];
  const walk = (node: Node, path: string, set: (n: Node) => void, parent?: Slot['parent']): void => {
    out.push({ node, path, set, ...(parent ? { parent } : {}) });
    if (node.t === 'obj') {
      node.entries.forEach((entry, index) =>
        walk(entry[1], `${path}/${entry[0].slice(0, 30)}`, (n) => (entry[1] = n), { obj: node, index }),
      );
    } else if (node.t === 'arr') {
      node.items.forEach((item, index) => walk(item, `${path}/${index}`, (n) => (node.items[index] = n)));
    }
  };
  walk(root.value, '', (n) => (root.value = n));
  return out;
}

const raw = (text: string): Node => ({ t: 'raw', text });
const str = (text: string): Node => raw(JSON.stringify(text));

/** Keys an attacker or a confused editor would write. */
export const HOSTILE_KEYS: readonly string[] = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '',
  ' ',
  '$schema',
  '$ref',
  '\u0000',
  '\u001b[31mred',
  'key\u202eevil',
  'ключ',
  '💥',
  '../x',
  'a/b~c',
  'Steps',
  'ID',
  'id ',
  'x'.repeat(300),
];

/** Strings an attacker or a confused editor would write: injections, traversal, odd unicode. */
export const HOSTILE_STRINGS: readonly string[] = [
  '${params.host}',
  '${env.HOME}',
  '${env.OS_PASSWORD}',
  '${process.exit(1)}',
  '${constructor.constructor("return process")().exit(7)}',
  '${this}',
  '$${params.host}',
  '${',
  '${}',
  '${ params.host }',
  '${params.__proto__}',
  '${steps.fence.confirmed}',
  '${steps.__proto__.x}',
  '${run.id}',
  '${env.__proto__}',
  '{{7*7}}',
  '`id`',
  '$(id)',
  '; rm -rf /tmp/forcedown-fuzz-canary',
  '| cat /etc/passwd',
  '../../../../../../etc/passwd',
  '/etc/shadow',
  '~/.ssh/id_rsa',
  'file:///etc/passwd',
  '/proc/self/environ',
  '/dev/zero',
  '\\\\?\\C:\\Windows',
  '\u0000',
  'a\u0000b',
  '\u001b[2J\u001b[31mred',
  '\u0007\u0008\u000b\u000c',
  '\u202eevil',
  'a\u200bb',
  '\ud800',
  '\udfff\ud800',
  '💥🔥',
  'é',
  '\t',
  '\r\n',
  '%s%n%x',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '\\',
  '"',
  '',
  ' ',
  '-rf',
  '--help',
  '--yes',
  'http://user:secret@127.0.0.1/hook',
  'https://example.invalid/hook',
  'http://10.0.0.1/',
  'javascript:alert(1)',
  'undefined',
  'null',
  'NaN',
  '[object Object]',
  'TypeError',
];

const PATH_KEYS =
  /^(file|cacert|caCert|cacert_file|cacertFile|inventory|statePath|ipmitool|command|check|verify|auth_url|authUrl|url|\$schema)$/;

const TYPE_SWAPS: readonly string[] = [
  '0',
  '-1',
  '1.5',
  '-0',
  '1e308',
  '1e999',
  '-1e999',
  '9007199254740993',
  '1e-400',
  'true',
  'false',
  'null',
  '""',
  '"str"',
  '[]',
  '{}',
  '[null]',
  '{"a":1}',
  '[[[]]]',
];

function hugeString(rng: Rng): string {
  const length = rng.pick([1_000, 10_000, 100_000, 1_000_000]);
  const unit = rng.pick(['a', 'é', '💥', '\u0000', '${params.x}', ' ', '\u001b', 'ab"c\\']);
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

function randomValue(rng: Rng, depth = 0): Node {
  const roll = rng.int(0, depth > 2 ? 2 : 4);
  if (roll === 0) return raw(rng.pick(TYPE_SWAPS));
  if (roll === 1) return str(rng.pick(HOSTILE_STRINGS));
  if (roll === 2)
    return str(rng.pick(['x', 'fake2', 'cmp-07', 'ipmi', 'command', 'fence', 'https://127.0.0.1/', '5s', 'up']));
  if (roll === 3) return { t: 'arr', items: Array.from({ length: rng.int(0, 3) }, () => randomValue(rng, depth + 1)) };
  return {
    t: 'obj',
    entries: Array.from(
      { length: rng.int(0, 3) },
      () =>
        [rng.pick([...HOSTILE_KEYS, 'type', 'id', 'host', 'env', 'file']), randomValue(rng, depth + 1)] as [
          string,
          Node,
        ],
    ),
  };
}

function typo(rng: Rng, key: string): string {
  if (key.length === 0) return 'x';
  const i = rng.int(0, key.length - 1);
  switch (rng.int(0, 3)) {
    case 0:
      return key.slice(0, i) + key.slice(i + 1);
    case 1:
      return key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) ^ 0x20) + key.slice(i + 1);
    case 2:
      return key.slice(0, i) + key[i] + key.slice(i);
    default:
      return key.toUpperCase();
  }
}

/** Keys and strings of the target's own documents, so mutations also speak the format's language. */
export interface Dictionary {
  readonly keys: readonly string[];
  readonly strings: readonly string[];
}

/** The keys and string values found in `values`. */
export function dictionaryOf(values: readonly unknown[]): Dictionary {
  const keys = new Set<string>();
  const strings = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') strings.add(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        keys.add(key);
        walk(item);
      }
    }
  };
  values.forEach(walk);
  return { keys: [...keys].sort(), strings: [...strings].sort() };
}

const EMPTY_DICTIONARY: Dictionary = { keys: ['x'], strings: ['x'] };

/** One structural mutation of the tree (in place); returns its description. */
function mutateTree(rng: Rng, root: { value: Node }, dictionary: Dictionary = EMPTY_DICTIONARY): string {
  const all = slots(root);
  const members = all.filter((s) => s.parent !== undefined);
  const objects = all.filter((s) => s.node.t === 'obj');
  const arrays = all.filter((s) => s.node.t === 'arr' && s.node.items.length > 0);
  const strings = all.filter((s) => s.node.t === 'raw' && s.node.text.startsWith('"'));
  const op = rng.weighted<string>([
    ['delete-key', members.length ? 3 : 0],
    ['duplicate-key', members.length ? 2 : 0],
    ['rename-key', members.length ? 2 : 0],
    ['hostile-key', objects.length ? 2 : 0],
    ['type-swap', 3],
    ['huge-string', 1],
    ['huge-number', 1],
    ['deep-nesting', 1],
    ['hostile-string', strings.length ? 3 : 0],
    ['embed-injection', strings.length ? 2 : 0],
    ['path-traversal', 2],
    ['empty-container', 1],
    ['array-op', arrays.length ? 1 : 0],
    ['many-members', 1],
    ['shuffle', objects.length ? 1 : 0],
  ]);
  switch (op) {
    case 'delete-key': {
      const slot = rng.pick(members);
      slot.parent!.obj.entries.splice(slot.parent!.index, 1);
      return `delete-key ${slot.path}`;
    }
    case 'duplicate-key': {
      const slot = rng.pick(members);
      const [key, value] = slot.parent!.obj.entries[slot.parent!.index];
      const copy = rng.chance(0.5) ? clone(value) : randomValue(rng);
      slot.parent!.obj.entries.splice(slot.parent!.index + rng.int(0, 1), 0, [key, copy]);
      return `duplicate-key ${slot.path}`;
    }
    case 'rename-key': {
      const slot = rng.pick(members);
      const entry = slot.parent!.obj.entries[slot.parent!.index];
      const roll = rng.next();
      entry[0] = roll < 0.4 ? typo(rng, entry[0]) : roll < 0.7 ? rng.pick(HOSTILE_KEYS) : rng.pick(dictionary.keys);
      return `rename-key ${slot.path} -> ${JSON.stringify(entry[0].slice(0, 30))}`;
    }
    case 'hostile-key': {
      const slot = rng.pick(objects);
      const key = rng.chance(0.5) ? rng.pick(HOSTILE_KEYS) : rng.pick(dictionary.keys);
      const roll = rng.next();
      const value =
        roll < 0.4
          ? randomValue(rng)
          : roll < 0.6
            ? ({ t: 'obj', entries: [['polluted', raw('true')]] } as Node)
            : roll < 0.8
              ? str(rng.pick(dictionary.strings))
              : raw(rng.pick(['true', 'false', '0', '1']));
      (slot.node as Extract<Node, { t: 'obj' }>).entries.push([key, value]);
      return `hostile-key ${slot.path}/${JSON.stringify(key.slice(0, 30))}`;
    }
    case 'type-swap': {
      const slot = rng.pick(all);
      const value = raw(rng.pick(TYPE_SWAPS));
      slot.set(value);
      return `type-swap ${slot.path} = ${value.t === 'raw' ? value.text : ''}`;
    }
    case 'huge-string': {
      const slot = rng.pick(all);
      const text = hugeString(rng);
      slot.set(str(text));
      return `huge-string ${slot.path} (${text.length} chars)`;
    }
    case 'huge-number': {
      const slot = rng.pick(all);
      const text = rng.pick([
        '1'.repeat(400),
        `-${'9'.repeat(5000)}`,
        `0.${'0'.repeat(1000)}1`,
        '1e99999',
        '123456789012345678901234567890',
        '4294967296',
        '2147483648',
        '65536',
      ]);
      slot.set(raw(text));
      return `huge-number ${slot.path} (${text.length} digits)`;
    }
    case 'deep-nesting': {
      const slot = rng.pick(all);
      const depth = rng.pick([50, 199, 201, 1000, 20_000]);
      const arrays = rng.chance(0.5);
      // written as text at once: a tree this deep would overflow the mutator's own recursion
      const inner = toJson(slot.node, '');
      slot.set(
        raw(
          arrays
            ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`
            : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`,
        ),
      );
      return `deep-nesting ${slot.path} (${depth} ${arrays ? 'arrays' : 'objects'})`;
    }
    case 'hostile-string': {
      const slot = rng.pick(strings);
      const text = rng.chance(0.7) ? rng.pick(HOSTILE_STRINGS) : rng.pick(dictionary.strings);
      slot.set(str(text));
      return `hostile-string ${slot.path} = ${JSON.stringify(text.slice(0, 60))}`;
    }
    case 'embed-injection': {
      const slot = rng.pick(strings);
      const current = JSON.parse((slot.node as { text: string }).text) as string;
      const text = rng.pick(HOSTILE_STRINGS);
      slot.set(str(rng.chance(0.5) ? `${current}${text}` : `${text}${current}`));
      return `embed-injection ${slot.path} += ${JSON.stringify(text)}`;
    }
    case 'path-traversal': {
      const pathy = all.filter(
        (s) =>
          s.node.t === 'raw' &&
          s.node.text.startsWith('"') &&
          (s.node.text.includes('/') || (s.parent && PATH_KEYS.test(s.parent.obj.entries[s.parent.index][0]))),
      );
      const slot = pathy.length ? rng.pick(pathy) : rng.pick(all);
      const text = rng.pick([
        '../../../../../../etc/passwd',
        '/etc/shadow',
        '..',
        '.',
        '/',
        '/dev/null',
        '/proc/self/environ',
        '~/.ssh/id_rsa',
        '~root/x',
        './../secret',
        'a/../../b',
        `/tmp/${'../'.repeat(40)}etc/hostname`,
        'C:\\Windows\\System32',
        '\u0000/etc/passwd',
        '/etc/passwd\u0000.json',
        'file:///etc/passwd',
        '//server/share',
      ]);
      slot.set(str(text));
      return `path-traversal ${slot.path} = ${JSON.stringify(text)}`;
    }
    case 'empty-container': {
      const slot = rng.pick(all);
      slot.set(rng.chance(0.5) ? { t: 'obj', entries: [] } : { t: 'arr', items: [] });
      return `empty-container ${slot.path}`;
    }
    case 'array-op': {
      const slot = rng.pick(arrays);
      const items = (slot.node as Extract<Node, { t: 'arr' }>).items;
      const which = rng.int(0, 2);
      if (which === 0) items.splice(rng.int(0, items.length - 1), 1);
      else if (which === 1) items.push(clone(rng.pick(items)));
      else items.reverse();
      return `array-op ${slot.path} ${['remove', 'duplicate', 'reverse'][which]}`;
    }
    case 'many-members': {
      // thousands of members or items: every one may be a problem to report
      const count = rng.pick([1_000, 5_000, 20_000]);
      const containers = all.filter((s) => s.node.t !== 'raw');
      const slot = rng.pick(containers.length ? containers : all);
      const node = slot.node;
      if (node.t === 'obj') {
        for (let i = 0; i < count; i += 1) node.entries.push([`${rng.pick(dictionary.keys)}${i}`, raw(String(i))]);
      } else if (node.t === 'arr') {
        const model = node.items[0] ?? raw('1');
        for (let i = 0; i < count; i += 1) node.items.push(clone(model));
      } else {
        slot.set({ t: 'arr', items: Array.from({ length: count }, () => clone(node)) });
      }
      return `many-members ${slot.path} (+${count})`;
    }
    default: {
      const slot = rng.pick(objects);
      const entries = (slot.node as Extract<Node, { t: 'obj' }>).entries;
      for (let i = entries.length - 1; i > 0; i -= 1) {
        const j = rng.int(0, i);
        [entries[i], entries[j]] = [entries[j], entries[i]];
      }
      return `shuffle ${slot.path}`;
    }
  }
}

const HOSTILE_BYTES: readonly number[][] = [
  [0x00],
  [0x1b, 0x5b, 0x32, 0x4a],
  [0x07],
  [0x0d],
  [0x09],
  [0x7f],
  [0xc0, 0x80], // overlong NUL
  [0xff, 0xfe],
  [0xed, 0xa0, 0x80], // UTF-8 encoded surrogate
  [0xe2, 0x80, 0xae], // U+202E
  [0xef, 0xbb, 0xbf], // BOM in the middle
  [0x22],
  [0x27],
  [0x7b],
  [0x5d],
  [0x2c],
  [0x3a],
  [0x26, 0x61], // YAML anchor
  [0x2a, 0x61], // YAML alias
  [0x21, 0x21], // YAML tag
  [0x0a, 0x2d, 0x2d, 0x2d, 0x0a], // YAML document marker
];

function toLatin1(text: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return Buffer.from(text.replace(/[^\u0000-\u00ff]/g, '?'), 'latin1');
}

/** One byte-level mutation; returns the new bytes and a description. */
function mutateBytes(rng: Rng, bytes: Buffer, yaml: boolean): { bytes: Buffer; step: string } {
  const text = bytes.toString('utf8');
  const at = (): number => rng.int(0, Math.max(0, bytes.length - 1));
  const op = rng.weighted<string>([
    ['bit-flip', 4],
    ['byte-set', 2],
    ['insert-hostile-bytes', 3],
    ['delete-range', 2],
    ['duplicate-range', 2],
    ['truncate', 3],
    ['swap-quotes', 1],
    ['comment', 1],
    ['trailing-comma', yaml ? 0 : 1],
    ['crlf', 1],
    ['tabs', 1],
    ['utf8-bom', 1],
    ['utf16', 1],
    ['latin1', 1],
    ['invalid-utf8', 1],
    ['empty', 1],
    ['whitespace-only', 1],
    ['literal', 1],
    ['huge-padding', 1],
  ]);
  switch (op) {
    case 'bit-flip': {
      const out = Buffer.from(bytes);
      const n = rng.int(1, 4);
      for (let i = 0; i < n && out.length > 0; i += 1) out[at()] ^= 1 << rng.int(0, 7);
      return { bytes: out, step: `bit-flip x${n}` };
    }
    case 'byte-set': {
      const out = Buffer.from(bytes);
      const i = at();
      if (out.length > 0) out[i] = rng.int(0, 255);
      return { bytes: out, step: `byte-set @${i} = 0x${(out[i] ?? 0).toString(16)}` };
    }
    case 'insert-hostile-bytes': {
      const i = at();
      const insert = Buffer.from(rng.pick(HOSTILE_BYTES));
      return {
        bytes: Buffer.concat([bytes.subarray(0, i), insert, bytes.subarray(i)]),
        step: `insert ${insert.toString('hex')} @${i}`,
      };
    }
    case 'delete-range': {
      const i = at();
      const n = rng.int(1, 40);
      return { bytes: Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + n)]), step: `delete ${n} bytes @${i}` };
    }
    case 'duplicate-range': {
      const i = at();
      const n = rng.int(1, 200);
      return {
        bytes: Buffer.concat([bytes.subarray(0, i + n), bytes.subarray(i, i + n), bytes.subarray(i + n)]),
        step: `duplicate ${n} bytes @${i}`,
      };
    }
    case 'truncate': {
      const i = at();
      return { bytes: bytes.subarray(0, i), step: `truncate @${i}` };
    }
    case 'swap-quotes':
      return {
        bytes: Buffer.from(rng.chance(0.5) ? text.replace(/"/g, "'") : text.replace(/"/, "'")),
        step: 'swap-quotes',
      };
    case 'comment': {
      const lines = text.split('\n');
      const i = rng.int(0, lines.length);
      lines.splice(i, 0, rng.pick(['// comment', '/* comment */', '# comment', '#', '<!-- -->']));
      return { bytes: Buffer.from(lines.join('\n')), step: `comment at line ${i + 1}` };
    }
    case 'trailing-comma':
      return { bytes: Buffer.from(text.replace(/([}\]"0-9el])(\s*[}\]])/, '$1,$2')), step: 'trailing-comma' };
    case 'crlf':
      return { bytes: Buffer.from(text.replace(/\n/g, rng.chance(0.5) ? '\r\n' : '\r')), step: 'crlf' };
    case 'tabs':
      return {
        bytes: Buffer.from(text.replace(/^( {2})+/gm, (m) => '\t'.repeat(m.length / 2))),
        step: 'tabs for indentation',
      };
    case 'utf8-bom':
      return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]), step: 'utf8-bom' };
    case 'utf16': {
      const le = rng.chance(0.5);
      const body = Buffer.from(text, 'utf16le');
      if (!le) body.swap16();
      return {
        bytes: Buffer.concat([Buffer.from(le ? [0xff, 0xfe] : [0xfe, 0xff]), body]),
        step: `utf16${le ? 'le' : 'be'} with BOM`,
      };
    }
    case 'latin1': {
      const withAccents = text.replace(/"([a-z]+)"/, '"$1é"');
      return { bytes: toLatin1(withAccents), step: 'latin1 encoding' };
    }
    case 'invalid-utf8': {
      const i = at();
      const insert = Buffer.from(
        rng.pick([[0xff], [0xc3], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]]),
      );
      return {
        bytes: Buffer.concat([bytes.subarray(0, i), insert, bytes.subarray(i)]),
        step: `invalid-utf8 ${insert.toString('hex')} @${i}`,
      };
    }
    case 'empty':
      return { bytes: Buffer.alloc(0), step: 'empty file' };
    case 'whitespace-only':
      return { bytes: Buffer.from(rng.pick([' ', '\n\n', '\t', '\r\n', '\ufeff', '\u0000'])), step: 'whitespace-only' };
    case 'literal': {
      const literal = rng.pick(['null', '[]', '""', '0', 'true', '{}', '"x"', '[{}]', '---', '~', '- a', '? x']);
      return { bytes: Buffer.from(literal), step: `literal ${literal}` };
    }
    default: {
      const n = rng.pick([100_000, 1_000_000, 4_000_000]);
      const filler = rng.pick([' ', '\n', '\u0000', 'a']);
      return rng.chance(0.5)
        ? { bytes: Buffer.concat([bytes, Buffer.from(filler.repeat(n))]), step: `pad ${n} x ${JSON.stringify(filler)}` }
        : {
            bytes: Buffer.concat([Buffer.from(filler.repeat(n)), bytes]),
            step: `prefix ${n} x ${JSON.stringify(filler)}`,
          };
    }
  }
}

/** A billion-laughs alias bomb: `levels` anchors, each a list of `width` aliases of the previous. */
export function aliasBomb(levels: number, width: number): string {
  let out = 'lol0: &lol0 ["lol"]\n';
  for (let i = 1; i < levels; i += 1)
    out += `lol${i}: &lol${i} [${Array.from({ length: width }, () => `*lol${i - 1}`).join(', ')}]\n`;
  return out;
}

/** A YAML-only mutation of the text. */
function mutateYamlText(rng: Rng, text: string): { text: string; step: string } {
  const op = rng.pick([
    'alias-bomb',
    'alias-bomb-inside',
    'merge-key',
    'dangling-alias',
    'anchor-alias',
    'tag',
    'multi-document',
    'directive',
    'yaml11-scalars',
    'complex-key',
    'deep-flow',
    'tab-indent',
    'duplicate-mapping',
  ]);
  switch (op) {
    case 'alias-bomb': {
      const levels = rng.int(3, 10);
      const width = rng.int(3, 10);
      return { text: `${aliasBomb(levels, width)}${text}`, step: `alias-bomb ${levels}x${width} at the top` };
    }
    case 'alias-bomb-inside': {
      const levels = rng.int(3, 9);
      const width = rng.int(5, 10);
      const bomb = aliasBomb(levels, width)
        .split('\n')
        .filter(Boolean)
        .map((line) => `      ${line}`)
        .join('\n');
      return {
        text: text.replace(/^(\s+)auth:\n/m, `$1auth:\n$1  x_bomb:\n${bomb}\n$1  x_use: *lol${levels - 1}\n`),
        step: `alias-bomb ${levels}x${width} inside auth`,
      };
    }
    case 'merge-key': {
      const match = /^( {4})auth:\n((?:\1 {2}.*\n)+)/m.exec(text);
      if (!match)
        return { text: `base: &base {auth_url: "http://127.0.0.1:1/v3"}\n${text}\n`, step: 'merge-key (anchor only)' };
      const anchor = `defaults:\n  auth: &auth_defaults\n${match[2].replace(/^ {6}/gm, '    ')}`;
      const replaced = text.replace(match[0], `${match[1]}auth:\n${match[1]}  <<: *auth_defaults\n`);
      return { text: `${anchor}${replaced}`, step: 'merge-key for an auth block' };
    }
    case 'dangling-alias':
      return { text: text.replace(/: "?[^\n"]+"?\n/, ': *nowhere\n'), step: 'dangling-alias' };
    case 'anchor-alias':
      return {
        text: text
          .replace(/(auth:)\n/, '$1 &shared\n')
          .replace(/(\n {2}testbed-demo:\n {4}auth:)\n(?: {6}.*\n)+/, '$1 *shared\n'),
        step: 'anchor-alias shared auth',
      };
    case 'tag': {
      const tag = rng.pick([
        '!!python/object/apply:os.system ["id"]',
        '!!binary aGVsbG8=',
        '!custom value',
        '!!map [1, 2]',
        '!!int "x"',
        '!!str 5',
        '!!set {a, b}',
        '!!omap [a: 1]',
        '!<tag:yaml.org,2002:str> x',
        '!!timestamp 2001-12-14',
      ]);
      return { text: text.replace(/: ("[^"\n]*"|[^\n]+)\n/, `: ${tag}\n`), step: `tag ${tag}` };
    }
    case 'multi-document':
      return {
        text: rng.chance(0.5) ? `${text}---\nclouds: {}\n` : `---\n${text}...\n---\n${text}`,
        step: 'multi-document',
      };
    case 'directive':
      return {
        text: `${rng.pick(['%YAML 1.1', '%YAML 1.2', '%YAML 2.0', '%TAG ! tag:evil.example,2024:', '%FOO bar'])}\n---\n${text}`,
        step: 'directive',
      };
    case 'yaml11-scalars': {
      const value = rng.pick([
        'yes',
        'no',
        'on',
        'off',
        'y',
        '~',
        '.inf',
        '-.inf',
        '.nan',
        '0x1F',
        '0o17',
        '017',
        '1_000',
        '2001-12-14t21:59:43.10-05:00',
        '=',
        '<<',
      ]);
      return {
        text: text.replace(/: ("[^"\n]*"|[^\n]+)\n/g, (m, _v, offset: number) =>
          offset % 3 === 0 ? `: ${value}\n` : m,
        ),
        step: `yaml11-scalars ${value}`,
      };
    }
    case 'complex-key':
      return { text: `${text}? [a, b]\n: c\n? {x: 1}\n: d\n`, step: 'complex-key' };
    case 'deep-flow': {
      const depth = rng.pick([100, 1000, 10_000, 50_000]);
      return { text: `${text}deep: ${'['.repeat(depth)}${']'.repeat(depth)}\n`, step: `deep-flow ${depth}` };
    }
    case 'tab-indent':
      return { text: text.replace(/^ {4}/m, '\t'), step: 'tab-indent (one line)' };
    default:
      return {
        text: `${text}${text.split('\n').find((l) => /^\S/.test(l) && !l.startsWith('#')) ?? 'clouds:'}\n  extra: {}\n`,
        step: 'duplicate top-level mapping',
      };
  }
}

/** Largest mutant written (bigger ones are replaced by the original text, then byte-mutated). */
export const MAX_MUTANT_CHARS = 16 * 1024 * 1024;

/** What the mutator needs to know about the input. */
export interface MutationInput {
  /** The original text (its own formatting). */
  readonly text: string;
  /** The parsed value (JSON, or YAML parsed to plain data). */
  readonly value: unknown;
  readonly format: 'json' | 'yaml';
  /** Keys and strings of the target's documents (see {@link dictionaryOf}). */
  readonly dictionary?: Dictionary;
}

/**
 * One mutant of `input`: 1-3 structural mutations (or none, keeping the original text), then
 * maybe a textual or YAML mutation, or (rarely) a file-system payload instead of a file.
 */
export function mutate(rng: Rng, input: MutationInput): Mutant {
  const steps: string[] = [];
  const special = rng.next();
  if (special < 0.03) return { payload: { kind: 'directory' }, steps: ['a directory instead of the file'] };
  if (special < 0.045) return { payload: { kind: 'dangling-symlink' }, steps: ['a dangling symlink'] };
  if (special < 0.06) return { payload: { kind: 'symlink-loop' }, steps: ['a symlink loop'] };
  if (special < 0.07) return { payload: { kind: 'missing' }, steps: ['no file at all'] };

  let text = input.text;
  if (rng.chance(0.75)) {
    const root = { value: fromValue(input.value) };
    const n = rng.int(1, 3);
    for (let i = 0; i < n; i += 1) steps.push(mutateTree(rng, root, input.dictionary));
    const indent = rng.pick(['', '  ', '\t', '    ']);
    const asJson = input.format === 'json' || rng.chance(0.2);
    try {
      text = asJson ? toJson(root.value, input.format === 'json' ? indent : '  ') : toYaml(root.value);
    } catch (error) {
      // stacked huge mutations (a megabyte string copied 20000 times) exceed what a string can hold
      if (!(error instanceof RangeError)) throw error;
      text = input.text;
      steps.push('(too big to write: original text)');
    }
    if (text.length > MAX_MUTANT_CHARS) {
      text = input.text;
      steps.push(`(over ${MAX_MUTANT_CHARS} characters: original text)`);
    }
  } else {
    steps.push('original text');
  }
  if (input.format === 'yaml' && rng.chance(0.3)) {
    const result = mutateYamlText(rng, text);
    text = result.text;
    steps.push(result.step);
  }
  let bytes: Buffer = Buffer.from(text, 'utf8');
  if (steps[0] === 'original text' || text === input.text || rng.chance(0.3)) {
    const n = rng.int(1, 2);
    for (let i = 0; i < n; i += 1) {
      const result = mutateBytes(rng, bytes, input.format === 'yaml');
      bytes = result.bytes;
      steps.push(result.step);
    }
  }
  return { payload: { kind: 'bytes', bytes }, steps };
}
