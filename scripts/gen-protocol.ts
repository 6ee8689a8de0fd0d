// Generates the tfplugin6 / go-plugin model table and the TypeScript message types from the one
// proto text (src/provider/protocol/definitions.ts), with protobufjs (a devDependency, never
// loaded at run time). Output: src/generated/protocol.model.ts (the table the codec loads at
// start-up) and src/generated/protocol.types.ts (one interface per message, decoded shape).
// Checked in; test/unit/provider/protocol-generated.test.ts fails when they are stale.
//
//   npx tsx scripts/gen-protocol.ts          write the files   (npm run gen:protocol)
//   npx tsx scripts/gen-protocol.ts --check  exit 1 if a file would change
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { GO_PLUGIN_PROTO, TFPLUGIN6_PROTO } from '../src/provider/protocol/definitions.js';
import type { FieldInfo, MessageInfo, MethodInfo } from '../src/provider/protocol/wire.js';

const root = join(import.meta.dirname, '..');
const SCALARS = new Set(['string', 'bytes', 'bool', 'int64', 'int32', 'uint32', 'uint64']);
const BANNER =
  '/* Generated from src/provider/protocol/definitions.ts by scripts/gen-protocol.ts. Do not edit: edit the proto text and run `npm run gen:protocol`. */\n';

type Kind = Pick<FieldInfo, 'kind' | 'scalar' | 'message'>;
const fullName = (reflection: protobuf.ReflectionObject): string => reflection.fullName.replace(/^\./, '');

function kindOf(type: string, resolved: protobuf.Type | protobuf.Enum | null): Kind {
  if (SCALARS.has(type)) return { kind: 'scalar', scalar: type as FieldInfo['scalar'] };
  if (resolved instanceof protobuf.Enum) return { kind: 'enum' };
  if (resolved instanceof protobuf.Type) return { kind: 'message', message: fullName(resolved) };
  throw new Error(`unknown type ${type}`);
}

function fieldInfo(field: protobuf.Field): FieldInfo {
  if (field instanceof protobuf.MapField) {
    if (field.keyType !== 'string') throw new Error(`only map<string, T> is supported (${field.fullName})`);
    const { kind, scalar, message } = kindOf(field.type, field.resolvedType);
    const mapValue = { kind, ...(scalar ? { scalar } : {}), ...(message ? { message } : {}) } as FieldInfo['mapValue'];
    return { name: field.name, number: field.id, repeated: false, oneof: false, kind: 'map', mapValue };
  }
  const kind = kindOf(field.type, field.resolvedType);
  if (field.repeated && kind.kind !== 'message' && kind.scalar !== 'string' && kind.scalar !== 'bytes')
    throw new Error(`repeated ${field.type} (packed) is not supported (${field.fullName})`);
  const base = { name: field.name, number: field.id, repeated: field.repeated, oneof: field.partOf !== null };
  return {
    ...base,
    kind: kind.kind,
    ...(kind.scalar ? { scalar: kind.scalar } : {}),
    ...(kind.message ? { message: kind.message } : {}),
  };
}

interface Collected {
  messages: Omit<MessageInfo, 'byNumber'>[];
  enums: string[];
  services: [string, MethodInfo[]][];
}

function collect(namespace: protobuf.NamespaceBase, out: Collected): void {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Type) {
      out.messages.push({ fullName: fullName(nested), fields: nested.fieldsArray.map(fieldInfo) });
    } else if (nested instanceof protobuf.Enum) out.enums.push(fullName(nested));
    else if (nested instanceof protobuf.Service) {
      const methods = nested.methodsArray.map((method) => ({
        name: method.name,
        requestType: fullName(method.resolvedRequestType!),
        responseType: fullName(method.resolvedResponseType!),
      }));
      out.services.push([fullName(nested), methods]);
    }
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) collect(nested, out);
  }
}

export function protocolModel(): Collected {
  const parsed = new protobuf.Root();
  protobuf.parse(TFPLUGIN6_PROTO, parsed, { keepCase: true });
  protobuf.parse(GO_PLUGIN_PROTO, parsed, { keepCase: true });
  parsed.resolveAll();
  const out: Collected = { messages: [], enums: [], services: [] };
  collect(parsed, out);
  return out;
}

/** `tfplugin6.GetProviderSchema.Response` -> `GetProviderSchema_Response`; `plugin.Empty` -> `Plugin_Empty`. */
export const typeName = (full: string): string =>
  full.startsWith('tfplugin6.') ? full.slice(10).replace(/\./g, '_') : `Plugin_${full.slice(7).replace(/\./g, '_')}`;

const TS_SCALAR: Record<string, string> = { string: 'string', bytes: 'Uint8Array', bool: 'boolean' };
const tsOf = (kind: Kind): string =>
  kind.kind === 'enum'
    ? 'number'
    : kind.kind === 'message'
      ? typeName(kind.message!)
      : (TS_SCALAR[kind.scalar!] ?? 'number');

function fieldType(field: FieldInfo): string {
  if (field.kind === 'map') return `Readonly<Record<string, ${tsOf(field.mapValue!)}>>`;
  if (field.repeated) return `readonly ${tsOf(field)}[]`;
  return field.kind === 'message' ? `${tsOf(field)} | null` : tsOf(field);
}

export function renderFiles(): Record<string, string> {
  const model = protocolModel();
  const table = `${BANNER}\n/** Messages, enums and services of tfplugin6 and plugin, resolved (a ProtoTable of provider/protocol/wire.ts). */\nexport const PROTOCOL_TABLE = ${JSON.stringify(model, null, 2)} as const;\n`;
  const types = model.messages.map((message) => {
    const name = typeName(message.fullName);
    if (message.fields.length === 0)
      return `/** ${message.fullName} */\nexport type ${name} = Record<string, never>;\n`;
    const fields = message.fields.map((field) => `  readonly ${field.name}: ${fieldType(field)};\n`).join('');
    return `/** ${message.fullName} */\nexport interface ${name} {\n${fields}}\n`;
  });
  const header = `${BANNER}// Decoded shapes (every field present; absent sub-messages null; int64 and enums as numbers).\n\n`;
  return {
    'src/generated/protocol.model.ts': table,
    'src/generated/protocol.types.ts': header + types.join('\n'),
  };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const check = process.argv.includes('--check');
  const { format, resolveConfig } = await import('prettier');
  let stale = false;
  for (const [path, text] of Object.entries(renderFiles())) {
    const file = join(root, path);
    const formatted = await format(text, { ...(await resolveConfig(file)), filepath: file });
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // not written yet
    }
    if (current === formatted) continue;
    stale = true;
    if (check) console.error(`gen-protocol: ${path} is stale; run npm run gen:protocol`);
    else writeFileSync(file, formatted);
  }
  process.exit(check && stale ? 1 : 0);
}
