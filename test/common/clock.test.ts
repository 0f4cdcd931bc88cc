import assert from 'node:assert/strict';
import { VirtualClock } from '../../common/clock.js';

describe('VirtualClock', () => {
  it('fires timers in time order, then in the order they were set', async () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@30'), 30);
    clock.setTimeout(() => fired.push('a@10'), 10);
    clock.setTimeout(() => fired.push('c@30'), 30);
    await clock.runUntil(1029);
    assert.deepEqual(fired, ['a@10']);
    assert.equal(clock.now(), 1029);
    await clock.advance(1);
    assert.deepEqual(fired, ['a@10', 'b@30', 'c@30']);
  });

  it('sets now() to each timer time while it fires', async () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.now()), 250);
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 100);
    }, 500);
    await clock.runUntil(10_000);
    assert.deepEqual(seen, [250, 500, 600]);
  });

  it('does not fire cleared timers', async () => {
    const clock = new VirtualClock(0);
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 5);
    clock.clearTimeout(h);
    await clock.advance(10);
    assert.equal(fired, false);
    assert.equal(clock.pendingTimers, 0);
  });

  it('lets awaited promises run between timers (sleep chains)', async () => {
    const clock = new VirtualClock(0);
    const times: number[] = [];
    const task = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        times.push(clock.now());
      }
    })();
    await clock.advance(1000);
    await task;
    assert.deepEqual(times, [100, 200, 300]);
  });

  it('rejects a sleep that is aborted', async () => {
    const clock = new VirtualClock(0);
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
  });
});

describe('VirtualClock.track', () => {
  it('waits for tracked work before firing the next timer', async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    clock.setTimeout(() => {
      // Work that resolves outside the event loop's queues, e.g. a native thread pool.
      clock.track(new Promise<void>((resolve) => setTimeout(() => (order.push('work done'), resolve()), 20)));
    }, 10);
    clock.setTimeout(() => order.push('next timer'), 11);
    await clock.advance(100);
    assert.deepEqual(order, ['work done', 'next timer']);
  });
});
