/** Reads and validates a YAML (or JSON) data file once with zod; errors name the file and the field (common/schema.ts). */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { parseStrict } from './schema.js';

export function loadYaml<T>(path: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, `cannot read: ${(error as Error).message}`);
  }
  return parseStrict(schema, raw, path);
}

