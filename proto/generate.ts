/**
 * Generates from occupancy.proto what must never drift from it: the TypeScript types
 * (generated/types.ts) and the standalone TS013 payload codec for ChirpStack and The Things Stack
 * (backend/codec/ts013-codec.js: the schema table below, in front of the ES5 runtime in
 * ts013-runtime.js). Run `npm run proto` after changing the schema or the runtime; tests fail when
 * either generated file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { FPORT } from './frames.js';
import { ReportFlag } from './generated/types.js';
import { loadSchema, PACKAGE } from './schema.js';
import { MAX_BATCH_REPORTS, TIME_UNIT_MS } from './stop-batch.js';

const SCALARS: Record<string, string> = {
  uint32: 'number', int32: 'number', sint32: 'number', fixed32: 'number', sfixed32: 'number',
  double: 'number', float: 'number', bool: 'boolean', string: 'string', bytes: 'Uint8Array',
};

/** Field types the ES5 codec runtime reads and writes; the generator refuses a schema with others. */
const CODEC_TYPES = new Set(['uint32', 'int32', 'sint32', 'bool']);

function doc(comment: string | null, indent: string): string {
  if (!comment) return '';
  const lines = comment.split('\n').map((l) => `${indent} * ${l}`.trimEnd());
  return `${indent}/**\n${lines.join('\n')}\n${indent} */\n`;
}

function namespace(): protobuf.Namespace {
  return loadSchema().lookup(PACKAGE) as protobuf.Namespace;
}

export function generateTypes(): string {
  const ns = namespace();
  const out: string[] = [
    '// Generated from proto/occupancy.proto by proto/generate.ts: do not edit; run `npm run proto`.',
    '/* eslint-disable */',
    '',
  ];
  for (const item of ns.nestedArray) {
    if (item instanceof protobuf.Enum) {
      out.push(doc(item.comment, '') + `export enum ${item.name} {`);
      for (const [key, value] of Object.entries(item.values)) out.push(`  ${key} = ${value},`);
      out.push('}', '');
    }
  }
  for (const item of ns.nestedArray) {
    if (!(item instanceof protobuf.Type)) continue;
    out.push(doc(item.comment, '') + `export interface ${item.name} {`);
    for (const field of item.fieldsArray) {
      const resolved = field.resolvedType;
      const base = resolved ? resolved.name : SCALARS[field.type];
      if (!base) throw new Error(`no TypeScript type for ${field.type}`);
      const optional = field.options?.['proto3_optional'] === true;
      out.push(doc(field.comment, '  ') + `  ${field.name}${optional ? '?' : ''}: ${base}${field.repeated ? '[]' : ''};`);
    }
    out.push('}', '');
  }
  return out.join('\n');
}

interface CodecField {
  id: number;
  name: string;
  type: string;
  repeated: boolean;
  presence: boolean;
}

/** The schema as the ES5 runtime reads it: messages by name, each a list of fields. */
export function codecSchema(): object {
  const messages: Record<string, CodecField[]> = {};
  for (const item of namespace().nestedArray) {
    if (!(item instanceof protobuf.Type)) continue;
    messages[item.name] = item.fieldsArray.map((field) => {
      const type = field.resolvedType instanceof protobuf.Enum ? 'enum' : field.type;
      if (type !== 'enum' && !CODEC_TYPES.has(type)) throw new Error(`${item.name}.${field.name}: the TS013 codec runtime cannot read ${type} fields yet`);
      if (field.map || (field.repeated && type === 'bool')) throw new Error(`${item.name}.${field.name}: unsupported field shape for the TS013 codec`);
      return { id: field.id, name: field.name, type, repeated: field.repeated, presence: field.options?.['proto3_optional'] === true };
    });
  }
  return {
    recursionLimit: 100,
    fPorts: FPORT,
    constants: { timeUnitMs: TIME_UNIT_MS, maxBatchReports: MAX_BATCH_REPORTS, terminusFlag: ReportFlag.REPORT_FLAG_TERMINUS },
    messages,
  };
}

/** JSON (valid ES5), one field per line, so a schema change reads well in a diff. */
function formatSchema(schema: object): string {
  const { messages, ...rest } = schema as { messages: Record<string, CodecField[]> };
  const head = Object.entries(rest).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const bodies = Object.entries(messages).map(
    ([name, fields]) => `    ${JSON.stringify(name)}: [\n${fields.map((f) => `      ${JSON.stringify(f)}`).join(',\n')}\n    ]`,
  );
  return `{\n${head.join('\n')}\n  "messages": {\n${bodies.join(',\n')}\n  }\n}`;
}

export const RUNTIME_PATH = fileURLToPath(new URL('./ts013-runtime.js', import.meta.url));
export const CODEC_PATH = fileURLToPath(new URL('../backend/codec/ts013-codec.js', import.meta.url));

export function generateCodec(): string {
  const runtime = readFileSync(RUNTIME_PATH, 'utf8').replace(/^\/\* (global|exported) [^*]*\*\/\n/gm, '');
  return [
    '// HAVAG tram occupancy: LoRa Alliance TS013 payload codec, schema havag.occupancy.v1.',
    '// Generated from proto/occupancy.proto and proto/ts013-runtime.js by proto/generate.ts:',
    '// do not edit; run `npm run proto`. ES5.1, no require: paste it into ChirpStack v4',
    '// (device profile, codec "JavaScript functions") or The Things Stack v3 (payload formatters,',
    '// "Custom Javascript formatter"). docs/delivery.md tells how.',
    `var SCHEMA = ${formatSchema(codecSchema())};`,
    '',
    runtime,
  ].join('\n');
}

export const TYPES_PATH = fileURLToPath(new URL('./generated/types.ts', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(TYPES_PATH, generateTypes());
  console.log(`wrote ${TYPES_PATH}`);
  writeFileSync(CODEC_PATH, generateCodec());
  console.log(`wrote ${CODEC_PATH}`);
}
