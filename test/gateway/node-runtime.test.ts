/**
 * How node runs the gateway: jemalloc's library path per architecture, the environment for the
 * unit (always the vehicle's preload) and for this machine (only when the library is here), and
 * reading which allocator a process runs with.
 */
import assert from 'node:assert/strict';
import { activeAllocator, JEMALLOC_CONF, jemallocPath, unitEnvironment, VEHICLE_NODE_ENV, vehicleNodeEnv } from '../../gateway/node-runtime.js';

describe('the vehicle node runtime', () => {
  it("finds Debian's libjemalloc2 by multiarch triplet, and nothing for an architecture it does not know", () => {
    assert.equal(jemallocPath('arm64'), '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2');
    assert.equal(jemallocPath('x64'), '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2');
    assert.equal(jemallocPath('arm'), '/usr/lib/arm-linux-gnueabihf/libjemalloc.so.2');
    assert.equal(jemallocPath('riscv64'), undefined);
  });

  it("gives the unit the Pi's preload and jemalloc's settings beside glibc's", () => {
    const env = unitEnvironment();
    assert.equal(env['LD_PRELOAD'], '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2');
    assert.equal(env['MALLOC_CONF'], JEMALLOC_CONF);
    assert.match(JEMALLOC_CONF, /dirty_decay_ms:0/);
    for (const [k, v] of Object.entries(VEHICLE_NODE_ENV)) assert.equal(env[k], v);
    assert.deepEqual(unitEnvironment('riscv64'), { ...VEHICLE_NODE_ENV });
  });

  it('preloads jemalloc on this machine only when the library is installed', () => {
    const seen: string[] = [];
    const without = vehicleNodeEnv((p) => (seen.push(p), false));
    assert.deepEqual(seen, [jemallocPath()]);
    assert.deepEqual(without, { ...VEHICLE_NODE_ENV });
    const withIt = vehicleNodeEnv(() => true);
    assert.equal(withIt['LD_PRELOAD'], jemallocPath());
    assert.equal(withIt['MALLOC_CONF'], JEMALLOC_CONF);
  });

  it('reads the allocator from the process maps', () => {
    assert.equal(activeAllocator(() => '7f00-7f10 r-xp 00000000 08:01 12 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2\n'), 'jemalloc');
    assert.equal(activeAllocator(() => '7f00-7f10 r-xp 00000000 08:01 12 /usr/lib/aarch64-linux-gnu/libc.so.6\n'), 'glibc');
    assert.equal(
      activeAllocator(() => {
        throw new Error('no /proc');
      }),
      undefined,
    );
    // This test process: mocha under plain node, no preload.
    assert.equal(activeAllocator(), process.env['LD_PRELOAD']?.includes('jemalloc') ? 'jemalloc' : 'glibc');
  });
});
