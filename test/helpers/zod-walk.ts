/**
 * Walks a zod schema and lists the object schemas in it that accept keys they do not declare, by
 * their path ("network", "lines[]"): every input schema must list none (docs/cli.md, "Inputs").
 * The walk itself is the one the input errors use (common/schema.ts). Does nothing on import.
 */
import { innerSchemas, type AnySchema } from '../../common/schema.js';

export function lenientObjects(schema: AnySchema, path = '(top level)', seen = new Set<AnySchema>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const own: string[] = [];
  if (def.type === 'object') {
    const catchall = def['catchall'] as AnySchema | undefined;
    if (catchall === undefined || catchall._zod.def.type !== 'never') own.push(path);
  }
  const below = innerSchemas(schema).flatMap(({ schema: inner, step }) => {
    const at =
      step.kind === 'field' ? (path === '(top level)' ? step.key : `${path}.${step.key}`)
      : step.kind === 'element' ? `${path}[]`
      : step.kind === 'value' ? `${path}{}`
      : step.kind === 'item' ? `${path}[${step.index}]`
      : path;
    return lenientObjects(inner, at, seen);
  });
  return [...own, ...below];
}
