/**
 * How node runs the gateway on the vehicle (the systemd unit's ExecStart and Environment; the bench
 * and the lifecycle tests run it the same way). The Pi has 1 GB and the gateway's JavaScript is
 * light (native inference, serial lines, a few frames an hour), so memory goes before JIT speed:
 * - `--lite-mode`: no optimising compiler, no code caches for it (about 13 MB less; inference is
 *   native, so its p99 barely moves: `npm run bench`); `--no-expose-wasm` because lite mode has no
 *   WebAssembly and says so at every start otherwise;
 * - `--max-semi-space-size=1`: a young generation of 1 MB instead of up to 16 MB per semi-space
 *   (the gateway allocates little, and briefly);
 * - jemalloc instead of glibc's malloc (Debian's `libjemalloc2`, preloaded), giving freed pages back
 *   at once: loading the tree-ensemble model makes hundreds of thousands of small allocations in
 *   the ONNX runtime (attribute strings, id maps) that are freed right after; glibc keeps about
 *   15 MB of them resident for ever (its heap is fragmented and only its top is trimmed), jemalloc
 *   with no decay returns them (`npm run bench`: RSS with and without);
 * - glibc's malloc settings stay for when jemalloc is missing: one arena, freed memory given back
 *   at 64 KiB.
 */
import { existsSync, readFileSync } from 'node:fs';

export const VEHICLE_NODE_FLAGS: readonly string[] = ['--lite-mode', '--no-expose-wasm', '--max-semi-space-size=1'];

/** glibc's malloc, used when jemalloc is not there. */
export const VEHICLE_NODE_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_TRIM_THRESHOLD_: '65536',
  MALLOC_MMAP_THRESHOLD_: '65536',
};

/**
 * jemalloc's settings: dirty and muzzy pages returned to the system at once (no decay: the gateway
 * frees rarely, so the madvise calls cost nothing that shows), one arena and no thread caches (a
 * handful of threads, little allocation).
 */
export const JEMALLOC_CONF = 'dirty_decay_ms:0,muzzy_decay_ms:0,narenas:1,tcache:false';

const MULTIARCH: Readonly<Record<string, string>> = { arm64: 'aarch64-linux-gnu', x64: 'x86_64-linux-gnu', arm: 'arm-linux-gnueabihf' };

/** Where Debian's (and Raspberry Pi OS's) libjemalloc2 puts the library for a node `process.arch`. */
export function jemallocPath(arch: string = process.arch): string | undefined {
  const triplet = MULTIARCH[arch];
  return triplet === undefined ? undefined : `/usr/lib/${triplet}/libjemalloc.so.2`;
}

/** The environment the unit sets for `arch` (the vehicle's: arm64), jemalloc included. */
export function unitEnvironment(arch = 'arm64'): Record<string, string> {
  const lib = jemallocPath(arch);
  return { ...VEHICLE_NODE_ENV, ...(lib ? { LD_PRELOAD: lib, MALLOC_CONF: JEMALLOC_CONF } : {}) };
}

/**
 * The same environment for running the gateway on this machine (bench, tests): jemalloc only when
 * it is installed here, since ld.so complains on every process start about a missing preload.
 */
export function vehicleNodeEnv(exists: (path: string) => boolean = existsSync): Record<string, string> {
  const env = unitEnvironment(process.arch);
  if (env['LD_PRELOAD'] !== undefined && !exists(env['LD_PRELOAD'])) {
    delete env['LD_PRELOAD'];
    delete env['MALLOC_CONF'];
  }
  return env;
}

export type Allocator = 'jemalloc' | 'glibc';

/** Which malloc this process runs with: jemalloc when its library is mapped (read from /proc/self/maps). */
export function activeAllocator(maps = (): string => readFileSync('/proc/self/maps', 'utf8')): Allocator | undefined {
  try {
    return /libjemalloc\.so/.test(maps()) ? 'jemalloc' : 'glibc';
  } catch {
    return undefined;
  }
}
