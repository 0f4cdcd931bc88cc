/**
 * What the outbox needs from the file system beyond SQLite itself: opening the database with a
 * one-line error that names the file and says what to do when it cannot be used; telling storage
 * faults (disk full, I/O error, a damaged page, a read-only file) from programming errors; and the
 * outbox epoch with its mark file.
 *
 * The epoch is a random number given to every fresh outbox. It travels in every stop batch and
 * health frame, and the backend de-duplicates by (device, epoch, seq): a gateway that starts over
 * with a new file (new SD card, a file moved aside) or whose file lost its tail (a damaged or
 * truncated WAL rolls `next_seq` back) numbers its reports under a new epoch, so the backend can
 * never take them for reports it already has. Losing the tail cannot be seen from inside the file
 * (the epoch rolls back with it), so the highest seq ever handed to the modem is also kept in a
 * small mark file beside it (`<outbox>.epoch`), written before a batch goes on air. At open, a
 * database whose `next_seq` is not beyond the mark, or whose epoch is not the mark's, gets a new
 * epoch.
 *
 * Must never print report contents, and never let a storage fault end the gateway.
 */
import { closeSync, existsSync, fsyncSync, openSync, readSync, writeSync, accessSync, constants, statSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../../common/errors.js';

/** Epochs are 1 .. 2^14 - 1: two bytes on the wire (tag and value: three), 1 in 16 383 to repeat one. */
export const EPOCH_LIMIT = 1 << 14;

/** A fresh random epoch, never `avoid` (the one it replaces). */
export function newEpoch(avoid?: number): number {
  for (;;) {
    const epoch = randomInt(1, EPOCH_LIMIT);
    if (epoch !== avoid) return epoch;
  }
}

/** SQLite result codes (primary part) that mean the medium failed us, not the code. */
const STORAGE_CODES = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_PERM', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_PROTOCOL'];

export function isStorageError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return false;
  return STORAGE_CODES.some((c) => code === c || code.startsWith(`${c}_`)) || ['ENOSPC', 'EIO', 'EROFS', 'EACCES', 'EPERM'].includes(code);
}

/** The errno of probing `path` for `mode`, or undefined when the probe succeeds. */
function probe(path: string, mode: number): string | undefined {
  try {
    accessSync(path, mode);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  }
}

/** One line: what is wrong with the outbox at `path`, and what the technician can do about it. */
export function describeOutboxFault(path: string, error: unknown): string {
  const code = (error as { code?: string }).code ?? '';
  const dir = dirname(resolve(path));
  const aside = `move it aside (mv ${path} ${path}.bad) and start again: a fresh outbox starts a new epoch, so the backend keeps taking its reports`;
  if (code === 'SQLITE_NOTADB') return `outbox ${path} is not an SQLite database; ${aside}`;
  if (code.startsWith('SQLITE_CORRUPT')) return `outbox ${path} is damaged (${(error as Error).message}); ${aside}`;
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') return `outbox ${path}: no space left on the device; free space on its file system (df ${dir})`;
  if (!existsSync(dir)) return `outbox ${path}: folder ${dir} does not exist; create it, owned by the service user (install -d -o occupancy ${dir})`;
  const dirProbe = probe(dir, constants.W_OK);
  if (dirProbe === 'EROFS') return `outbox ${path} is on a read-only file system; put uplink.outboxPath on a writable partition (e.g. /var/lib/tram-occupancy)`;
  const fileProbe = existsSync(path) ? probe(path, constants.R_OK | constants.W_OK) : undefined;
  if (dirProbe === 'EACCES' || dirProbe === 'EPERM' || fileProbe === 'EACCES' || fileProbe === 'EPERM' || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM')) {
    return `outbox ${path}: permission denied; the service user needs read and write access to the file and its folder (chown occupancy ${path} ${dir})`;
  }
  if (existsSync(path) && statSync(path).isDirectory()) return `outbox ${path} is a folder; uplink.outboxPath must name a file`;
  return `outbox ${path} cannot be used: ${(error as Error).message.split('\n')[0]} (${code || 'no code'})`;
}

/** Opens (or creates) the database; a file that cannot be used is a ConfigError on uplink.outboxPath, in one line. */
export function openOutboxDatabase(path: string, setUp: (db: Database.Database) => void): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    setUp(db);
    return db;
  } catch (error) {
    try {
      db?.close();
    } catch {
      // the message below is what matters
    }
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('uplink.outboxPath', describeOutboxFault(path, error));
  }
}

/** The epoch and the highest seq ever handed to the modem under it, as the mark file keeps them. */
export interface EpochMarkState {
  epoch: number;
  sentHigh: number;
}

const MARK_SIZE = 40;

/**
 * The mark file: one fixed-size line `epoch <e> sent <n>`, overwritten in place and fsynced, so a
 * full disk cannot stop it (no new block is needed once it exists).
 */
export class EpochMark {
  constructor(readonly path: string) {}

  read(): EpochMarkState | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'r');
      const buf = Buffer.alloc(MARK_SIZE);
      const n = readSync(fd, buf, 0, MARK_SIZE, 0);
      const m = /^epoch (\d+) sent (\d+)\s*$/.exec(buf.subarray(0, n).toString('latin1'));
      return m ? { epoch: Number(m[1]), sentHigh: Number(m[2]) } : undefined;
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  write(state: EpochMarkState): void {
    const line = `epoch ${state.epoch} sent ${state.sentHigh}`.padEnd(MARK_SIZE - 1, ' ') + '\n';
    const fd = openSync(this.path, existsSync(this.path) ? 'r+' : 'w', 0o600);
    try {
      writeSync(fd, line, 0, 'latin1');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
