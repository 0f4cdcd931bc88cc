/**
 * A small tmpfs of its own for storage-fault tests: a real file system that really fills up (and
 * can be made read-only), not a mock. Mounting needs root (CI runs as root): tests call
 * `tmpfsOrSkip(this, kb)` and are pending where mounting is not allowed, unless REQUIRE_TMPFS=1
 * (as in .ci/run), where it fails the test. Does nothing on import.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Writes a file of zeros until the file system is full; returns its path (delete it to free the space). */
  fill(): string;
  remountReadOnly(): void;
  unmount(): void;
}

function run(args: string[]): { ok: boolean; text: string } {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  return { ok: r.status === 0, text: `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

export function mountTmpfs(sizeKb: number): Tmpfs | string {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs';
  const dir = mkdtempSync(join(tmpdir(), 'tmpfs-'));
  const mounted = run(['mount', '-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir]);
  if (!mounted.ok) {
    rmSync(dir, { recursive: true, force: true });
    return `mount failed: ${mounted.text}`;
  }
  let fillers = 0;
  return {
    dir,
    fill() {
      const path = join(dir, `filler-${fillers++}`);
      const fd = openSync(path, 'w');
      try {
        for (const size of [65_536, 4096, 512, 1]) {
          const chunk = Buffer.alloc(size);
          for (;;) {
            try {
              writeSync(fd, chunk);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return path;
    },
    remountReadOnly() {
      const r = run(['mount', '-o', 'remount,ro', dir]);
      if (!r.ok) throw new Error(`remount read-only failed: ${r.text}`);
    },
    unmount() {
      run(['umount', '-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A mounted tmpfs, or the test is marked pending (failed with REQUIRE_TMPFS=1). Unmount it in afterEach. */
export function tmpfsOrSkip(ctx: Mocha.Context, sizeKb: number): Tmpfs {
  const fs = mountTmpfs(sizeKb);
  if (typeof fs !== 'string') return fs;
  if (process.env['REQUIRE_TMPFS'] === '1') throw new Error(`a tmpfs is required (REQUIRE_TMPFS=1): ${fs}`);
  ctx.skip();
}
