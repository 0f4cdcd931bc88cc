/**
 * How node runs the gateway on the vehicle (the systemd unit's ExecStart and Environment; the bench
 * and the lifecycle tests run it the same way). The Pi has 1 GB and the gateway's JavaScript is
 * light (native inference, serial lines, a few frames an hour), so memory goes before JIT speed:
 * - `--lite-mode`: no optimising compiler, no code caches for it (about 13 MB less; inference is
 *   native, so its p99 barely moves: `npm run bench`); `--no-expose-wasm` because lite mode has no
 *   WebAssembly and says so at every start otherwise;
 * - `--max-semi-space-size=1`: a young generation of 1 MB instead of up to 16 MB per semi-space
 *   (the gateway allocates little, and briefly);
 * - glibc's malloc: one arena, freed memory given back at 64 KiB (the ONNX runtime frees tens of MB
 *   of parsing buffers after the model is loaded, which would otherwise stay resident).
 */
export const VEHICLE_NODE_FLAGS: readonly string[] = ['--lite-mode', '--no-expose-wasm', '--max-semi-space-size=1'];

export const VEHICLE_NODE_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_TRIM_THRESHOLD_: '65536',
  MALLOC_MMAP_THRESHOLD_: '65536',
};
