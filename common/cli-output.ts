/**
 * Where commands write their results (docs/cli.md, "Flags"): `--out <dir>` is always a folder,
 * `--json <file>` and `--html <file>` always files (`-` for standard output). Both are checked and
 * their folders created before any work starts, so a long run never fails at its end on a path.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/** Standard output, for `--json -`. */
export const STDOUT = '-';

function why(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/**
 * Creates `dir` (and its parents) unless it exists, and checks that it can be written to. `writes`
 * names the file the command puts there: a path ending in that file's extension is refused, as the
 * file path it probably is (`--out` was a file in some commands once).
 */
export function prepareOutputDir(dir: string, flag: string, writes?: string): string {
  const path = resolve(dir);
  const extension = writes === undefined ? '' : extname(writes);
  if (extension && path.endsWith(extension) && !existsSync(path)) {
    throw new ConfigError(flag, `a folder, not a file: give ${dirname(path)} (the file is named ${writes}; docs/cli.md)`);
  }
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    const code = why(error);
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new ConfigError(flag, `cannot create the folder ${path}: it or a folder above it is a file`);
    throw new ConfigError(flag, `cannot create the folder ${path} (${code})`);
  }
  try {
    accessSync(path, constants.W_OK);
  } catch (error) {
    throw new ConfigError(flag, `cannot write into ${path} (${why(error)})`);
  }
  return path;
}

/**
 * Makes sure `file` can be written later: its folder is created, the file itself (if it exists)
 * is a writable file. `-` (standard output) is passed through.
 */
export function prepareOutputFile(file: string, flag: string): string {
  if (file === STDOUT) return file;
  const path = resolve(file);
  prepareOutputDir(dirname(path), flag);
  let existing;
  try {
    existing = statSync(path);
  } catch {
    return path;
  }
  if (existing.isDirectory()) throw new ConfigError(flag, `${path} is a folder; give a file name`);
  try {
    accessSync(path, constants.W_OK);
  } catch (error) {
    throw new ConfigError(flag, `cannot write ${path} (${why(error)})`);
  }
  return path;
}
