/**
 * Generates TypeScript types from occupancy.proto into generated/types.ts. Run `npm run proto`
 * after changing the schema; a test fails when the generated file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { loadSchema, PACKAGE } from './schema.js';

const SCALARS: Record<string, string> = {
  uint32: 'number', int32: 'number', sint32: 'number', fixed32: 'number', sfixed32: 'number',
  double: 'number', float: 'number', bool: 'boolean', string: 'string', bytes: 'Uint8Array',
};

function doc(comment: string | null, indent: string): string {
  if (!comment) return '';
  const lines = comment.split('\n').map((l) => `${indent} * ${l}`.trimEnd());
  return `${indent}/**\n${lines.join('\n')}\n${indent} */\n`;
}

export function generateTypes(): string {
  const ns = loadSchema().lookup(PACKAGE) as protobuf.Namespace;
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

export const TYPES_PATH = fileURLToPath(new URL('./generated/types.ts', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(TYPES_PATH, generateTypes());
  console.log(`wrote ${TYPES_PATH}`);
}
