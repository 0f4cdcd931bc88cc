/**
 * Parsing the secrets file (AppKey, level seed) so that nothing of its content can reach an error,
 * a warning or a log: the YAML parser runs silent and its errors are reported by code and position
 * only (its messages quote the offending text); validation errors name only the fields a secrets
 * file may have, and say what was expected, never what was found. Everything else about the file
 * (its mode, its vehicle) is checked in config.ts.
 */
import { readFileSync } from 'node:fs';
import { parseDocument, YAMLError } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../common/errors.js';

/** The keys a secrets file may have: the only names an error may show. */
const FIELDS = new Set(['devEui', 'appKey', 'levelSeed']);
/** Zod issue codes whose messages are the schema's own text (no input in them). */
const SAFE_CODES = new Set(['invalid_type', 'invalid_format', 'too_small', 'too_big']);
const NOT_SHOWN = 'its content is not shown: it holds keys';

export function readSecretsText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('secrets', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

function yamlFault(path: string, text: string, error: unknown): ConfigError {
  if (error instanceof YAMLError) {
    // The position from the offset ourselves: the parser's pretty form quotes the line.
    const offset = Math.min(error.pos[0], text.length);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const where = ` at line ${line}, column ${offset - before.lastIndexOf('\n')}`;
    return new ConfigError('secrets', `${path} is not valid YAML/JSON (${error.code}${where}); ${NOT_SHOWN}`);
  }
  // e.g. an alias without its anchor: the message would quote the alias name (it could be the key).
  const kind = error instanceof Error && /^[A-Za-z]+$/.test(error.name) ? error.name : 'error';
  return new ConfigError('secrets', `${path} is not valid YAML/JSON (${kind}); ${NOT_SHOWN}`);
}

export function parseSecretsText<T>(schema: z.ZodType<T>, text: string, path: string): T {
  let raw: unknown;
  try {
    // Silent: the parser's warnings (console) would quote the text.
    const doc = parseDocument(text, { logLevel: 'silent', prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) throw doc.errors[0];
    raw = doc.toJS({ maxAliasCount: 10 });
  } catch (error) {
    throw yamlFault(path, text, error);
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map((p) => (typeof p === 'string' && FIELDS.has(p) ? p : '(unknown key)')).join('.') || '(root)';
  let what: string;
  if (issue.code === 'unrecognized_keys') what = `${issue.keys.length} unknown key(s): a secrets file holds only ${[...FIELDS].join(', ')}`;
  else if (SAFE_CODES.has(issue.code)) what = issue.message;
  else what = 'invalid value';
  return throwSecrets(field, `${what} (in ${path}; ${NOT_SHOWN})`);
}

function throwSecrets(field: string, message: string): never {
  throw new ConfigError(field === '(root)' ? 'secrets' : `secrets.${field}`, message);
}
