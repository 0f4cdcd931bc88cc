/**
 * Pieces every input schema shares (scenarios, vehicle configs, data files), and the one way a
 * failed validation becomes a ConfigError: the dotted path of the field, and for a key that is not
 * in the schema its name, the closest known key and the known ones. Inputs are strict at every
 * level: a typo is refused, never silently ignored (docs/cli.md, "Inputs").
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { assertTimeZone } from './time.js';

/** `HH:MM`, hours up to 47 (service past midnight: `24:30` is half past midnight). */
export const clockTime = z.string().regex(/^([0-3]?\d|4[0-7]):[0-5]\d$/, 'expected HH:MM (00:00 to 47:59; 24:30 is half past midnight)');

/** Minutes after midnight of a valid `clockTime`. */
export function clockMinutes(text: string): number {
  const [h, m] = text.split(':');
  return Number(h) * 60 + Number(m);
}

/** `bytes` bytes as hex digits (a DevEUI is 8, an AppKey 16). */
export function hexBytes(bytes: number): z.ZodString {
  return z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `expected ${bytes} bytes of hex (${bytes * 2} digits 0-9, a-f)`);
}

/**
 * A vehicle id: HAVAG's fleet number ("661") or another plain id; it names files, log lines and
 * registrations, so letters, digits, `-` and `_` only, no spaces.
 */
export const vehicleId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'expected a fleet number such as "661" (letters, digits, - and _ only, no spaces, up to 32)');

/** An IANA time zone this Node knows (`Europe/Berlin`); a made-up one is refused with a hint. */
export const timeZoneName = z.string().superRefine((name, ctx) => {
  try {
    assertTimeZone(name);
  } catch {
    const near = closest(name, Intl.supportedValuesOf('timeZone'), 1);
    ctx.addIssue({
      code: 'custom',
      message: `unknown time zone "${name}": give an IANA zone name${near ? `; did you mean ${near}?` : ''} (Halle and all of Germany: Europe/Berlin)`,
    });
  }
});

/** Levenshtein distance, for suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `word` (case ignored), if close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[], maxDistance = Math.max(1, Math.floor(word.length / 3))): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= maxDistance ? best : undefined;
}

export type AnySchema = z.core.$ZodType;

/** How a schema is reached from the one around it: the same value (a wrapper, a pipe's two sides, a union's option) or one step into it. */
export type SchemaStep =
  | { kind: 'same'; via: 'wrapper' | 'pipe-in' | 'pipe-out' | 'option' }
  | { kind: 'field'; key: string }
  | { kind: 'element' }
  | { kind: 'value' }
  | { kind: 'item'; index: number };

/** The schemas directly inside `schema` (zod 4's definitions), with how each is reached. */
export function innerSchemas(schema: AnySchema): Array<{ schema: AnySchema; step: SchemaStep }> {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'object':
      return Object.entries(def['shape'] as Record<string, AnySchema>).map(([key, inner]) => ({ schema: inner, step: { kind: 'field', key } }));
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
      return [{ schema: def['innerType'] as AnySchema, step: { kind: 'same', via: 'wrapper' } }];
    case 'pipe':
      return [
        { schema: def['in'] as AnySchema, step: { kind: 'same', via: 'pipe-in' } },
        { schema: def['out'] as AnySchema, step: { kind: 'same', via: 'pipe-out' } },
      ];
    case 'array':
      return [{ schema: def['element'] as AnySchema, step: { kind: 'element' } }];
    case 'record':
      return [{ schema: def['valueType'] as AnySchema, step: { kind: 'value' } }];
    case 'union':
      return (def['options'] as AnySchema[]).map((o) => ({ schema: o, step: { kind: 'same', via: 'option' } }));
    case 'tuple':
      return (def['items'] as AnySchema[]).map((o, index) => ({ schema: o, step: { kind: 'item', index } }));
    default:
      return [];
  }
}

/** The keys an object schema knows at `path` (through defaults, optionals, arrays, records, unions, a pipe's input). */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const { schema: inner, step } of innerSchemas(schema)) {
    if (step.kind === 'field') {
      if (path.length === 0) keys.add(step.key);
      else if (step.key === String(path[0])) knownKeysAt(inner, path.slice(1)).forEach((k) => keys.add(k));
    } else if (step.kind === 'same') {
      // What a key means is decided by the input side of a pipe.
      if (step.via !== 'pipe-out') knownKeysAt(inner, path).forEach((k) => keys.add(k));
    } else if ((step.kind === 'element' || step.kind === 'value') && path.length > 0) {
      knownKeysAt(inner, path.slice(1)).forEach((k) => keys.add(k));
    }
  }
  return [...keys];
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** The first problem of a failed validation as a field (dotted path) and a message for people. */
export function describeIssue(schema: AnySchema, error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(schema, issue.path);
    const [first, ...more] = issue.keys;
    const near = closest(first!, known);
    const parts = [
      'unknown field',
      near ? `did you mean ${near}?` : undefined,
      more.length ? `also unknown: ${more.map((k) => dotted([...issue.path, k])).join(', ')}` : undefined,
      known.length ? `known here: ${known.join(', ')}` : undefined,
    ].filter(Boolean);
    return { field: dotted([...issue.path, first!]), message: parts.join('; ') };
  }
  return { field: dotted(issue.path), message: issue.message };
}

/**
 * Validates `raw` with `schema`; a failure becomes a ConfigError naming the field, with `where`
 * (the file, or what the input was) in front of it.
 */
export function parseStrict<S extends AnySchema>(schema: S, raw: unknown, where: string, note = ''): z.output<S> {
  const parsed = z.safeParse(schema, raw);
  if (parsed.success) return parsed.data;
  const { field, message } = describeIssue(schema, parsed.error);
  throw new ConfigError(where ? `${where}: ${field || '(top level)'}` : field || '(top level)', `${message}${note}`);
}
