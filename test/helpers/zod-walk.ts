/**
 * Walks a zod schema and lists the object schemas in it that accept keys they do not declare, by
 * their path ("network", "lines[]"): every input schema must list none (docs/cli.md, "Inputs").
 * Does nothing on import.
 */
import type { z } from 'zod';

type AnySchema = z.core.$ZodType;

export function lenientObjects(schema: AnySchema, path = '(top level)', seen = new Set<AnySchema>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const inner = (s: unknown, p: string) => lenientObjects(s as AnySchema, p, seen);
  switch (def.type) {
    case 'object': {
      const catchall = def['catchall'] as AnySchema | undefined;
      const strict = catchall !== undefined && catchall._zod.def.type === 'never';
      const own = strict ? [] : [path];
      const shape = def['shape'] as Record<string, AnySchema>;
      return [...own, ...Object.entries(shape).flatMap(([k, v]) => inner(v, path === '(top level)' ? k : `${path}.${k}`))];
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
      return inner(def['innerType'], path);
    case 'pipe':
      return [...inner(def['in'], path), ...inner(def['out'], path)];
    case 'array':
      return inner(def['element'], `${path}[]`);
    case 'record':
      return inner(def['valueType'], `${path}{}`);
    case 'union':
      return (def['options'] as AnySchema[]).flatMap((o) => inner(o, path));
    case 'tuple':
      return (def['items'] as AnySchema[]).flatMap((o, i) => inner(o, `${path}[${i}]`));
    default:
      return [];
  }
}
