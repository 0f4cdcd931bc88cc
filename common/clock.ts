/**
 * The clock seam. Everything that waits or timestamps takes a Clock, so the simulator can run a
 * service day in seconds on a VirtualClock and tests are deterministic. Nothing here may read
 * Date.now() or call the global timers except SystemClock.
 */

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves after `ms`; rejects with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Work that completes outside the event loop's own queues (a native thread pool, e.g. model
   * inference). A virtual clock waits for it before moving time on, so runs stay deterministic.
   */
  track?(work: Promise<unknown>): void;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(abortReason(signal!));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The vehicle's clock: wall time and Node's timers. */
export class SystemClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms));
    this.timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t);
    this.timers.delete(handle.id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

interface VirtualTimer {
  id: number;
  at: number;
  order: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. `runUntil(t)` fires every timer due up to `t` in time order,
 * letting promise chains and stream callbacks settle between timers, so code that awaits I/O on
 * in-memory streams behaves as it would in real time, only faster.
 */
export class VirtualClock implements Clock {
  private current: number;
  private nextId = 1;
  private order = 0;
  private readonly heap: VirtualTimer[] = [];
  private readonly live = new Set<number>();
  private readonly tracked = new Set<Promise<unknown>>();
  /** How many timers have fired: a figure for benchmarks. */
  firedTimers = 0;

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const timer: VirtualTimer = { id, at: this.current + Math.max(0, ms), order: this.order++, fn };
    this.push(timer);
    this.live.add(id);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.live.delete(handle.id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Time of the next live timer, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  get pendingTimers(): number {
    return this.live.size;
  }

  track(work: Promise<unknown>): void {
    const done: Promise<void> = work.then(
      () => void this.tracked.delete(done),
      () => void this.tracked.delete(done),
    );
    this.tracked.add(done);
  }

  /** Let microtasks, nextTicks and immediates run (stream callbacks, awaited promises), and tracked work finish. */
  async settle(rounds = 2): Promise<void> {
    for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
    while (this.tracked.size > 0) {
      await Promise.all([...this.tracked]);
      for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Fire every timer due at or before `t`, in order, then set the time to `t`. */
  async runUntil(t: number): Promise<void> {
    await this.settle();
    for (;;) {
      const next = this.nextTimerAt();
      if (next === undefined || next > t) break;
      const timer = this.pop()!;
      this.live.delete(timer.id);
      if (timer.at > this.current) this.current = timer.at;
      this.firedTimers++;
      timer.fn();
      await this.settle();
    }
    if (t > this.current) this.current = t;
  }

  async advance(ms: number): Promise<void> {
    await this.runUntil(this.current + ms);
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && !this.live.has(this.heap[0]!.id)) this.pop();
  }

  private before(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(timer: VirtualTimer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
