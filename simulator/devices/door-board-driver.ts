/**
 * Device depth for the doors: turns the world's typed door events (what the vehicle runner taps
 * out: DoorStateEvent, PassageEvent, beam and board faults) into electrical levels on the emulated
 * Firmata board's pins, with the timing of real hardware, so that the gateway's door-board binding,
 * reading the bytes, has to rebuild the same events.
 *
 * A passage breaks the first beam, the second 150–300 ms later, clears the first, then the second
 * (outer first for 'in', inner first for 'out'); passages through one door queue behind each other
 * with a short gap, as people do. A door contact bounces a few times within a few milliseconds of
 * each change, ending on the new level. A beam fault blocks the door's outer beam until it ends; a
 * board fault unplugs the board until it ends.
 *
 * Must never: decide what happens (the world does), or call the binding: only pin levels leave it.
 */
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/random.js';
import type { DoorBoardMapping, DoorPins } from '../../contracts/door-board-mapping.js';
import type { SourceEvent } from '../../contracts/source-events.js';
import type { FirmataBoardEmulator } from './firmata-board.js';

export interface DoorBoardDriverTiming {
  /** From the first beam broken to the second broken. */
  secondBeamMs: readonly [number, number];
  /** From the second beam broken to the first clear (both broken meanwhile). */
  bothBrokenMs: readonly [number, number];
  /** From the first beam clear to the second clear. */
  lastClearMs: readonly [number, number];
  /** Least time both beams stay clear between two people in one door. */
  spacingMs: number;
  /** Contact bounce: up to this many extra edge pairs after a change… */
  bouncePairs: number;
  /** …each this far apart (ms); all within the binding's contact debounce. */
  bounceGapMs: readonly [number, number];
}

export const DEFAULT_DRIVER_TIMING: DoorBoardDriverTiming = {
  secondBeamMs: [150, 300],
  bothBrokenMs: [50, 150],
  lastClearMs: [80, 200],
  spacingMs: 60,
  bouncePairs: 2,
  bounceGapMs: [1, 5],
};

export interface DoorBoardDriverCounters {
  doorChanges: number;
  passages: number;
  /** Longest wait of a passage behind the one before it in the same door (ms). */
  maxQueueMs: number;
}

export class DoorBoardDriver {
  private readonly doors = new Map<number, DoorPins>();
  private readonly freeAt = new Map<number, number>();
  private readonly contactOpenHigh: boolean;
  private readonly beamBrokenHigh: boolean;
  private readonly timing: DoorBoardDriverTiming;
  readonly counters: DoorBoardDriverCounters = { doorChanges: 0, passages: 0, maxQueueMs: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly board: FirmataBoardEmulator,
    mapping: DoorBoardMapping,
    timing: Partial<DoorBoardDriverTiming> = {},
  ) {
    for (const d of mapping.doors) this.doors.set(d.door, d);
    this.contactOpenHigh = mapping.contactOpenLevel === 'high';
    this.beamBrokenHigh = mapping.beamBrokenLevel === 'high';
    this.timing = { ...DEFAULT_DRIVER_TIMING, ...timing };
  }

  /** Power-up levels: every door closed, every beam clear. */
  initialise(): void {
    for (const d of this.doors.values()) {
      this.board.setPin(d.contact, !this.contactOpenHigh);
      this.board.setPin(d.outer, !this.beamBrokenHigh);
      this.board.setPin(d.inner, !this.beamBrokenHigh);
    }
  }

  /** The world's tap: call at the event's time. */
  handle(event: SourceEvent): void {
    switch (event.type) {
      case 'door':
        return this.door(event.door, event.open);
      case 'passage':
        return this.passage(event.door, event.direction);
      case 'fault':
        if (event.sensor === 'beam' && event.door !== undefined) {
          const pins = this.doors.get(event.door);
          if (pins) this.beam(pins.outer, event.active);
        } else if (event.sensor === 'door-board') {
          if (event.active) this.board.disconnect('unplug');
          else this.board.reconnect();
        }
        return;
      default:
        return;
    }
  }

  private door(door: number, open: boolean): void {
    const pins = this.doors.get(door);
    if (!pins) return;
    this.counters.doorChanges++;
    const level = open === this.contactOpenHigh;
    this.board.setPin(pins.contact, level);
    // Bounce: back and forth a few times, ending on the new level, all within a few ms.
    const pairs = this.rng.int(0, this.timing.bouncePairs);
    let t = 0;
    for (let i = 0; i < pairs; i++) {
      t += this.gap(this.timing.bounceGapMs);
      this.later(t, () => this.board.setPin(pins.contact, !level));
      t += this.gap(this.timing.bounceGapMs);
      this.later(t, () => this.board.setPin(pins.contact, level));
    }
  }

  private passage(door: number, direction: 'in' | 'out'): void {
    const pins = this.doors.get(door);
    if (!pins) return;
    this.counters.passages++;
    const now = this.clock.now();
    const start = Math.max(now, this.freeAt.get(door) ?? now);
    this.counters.maxQueueMs = Math.max(this.counters.maxQueueMs, start - now);
    const [first, second] = direction === 'in' ? [pins.outer, pins.inner] : [pins.inner, pins.outer];
    const t1 = start - now;
    const t2 = t1 + this.gap(this.timing.secondBeamMs);
    const t3 = t2 + this.gap(this.timing.bothBrokenMs);
    const t4 = t3 + this.gap(this.timing.lastClearMs);
    this.later(t1, () => this.beam(first, true));
    this.later(t2, () => this.beam(second, true));
    this.later(t3, () => this.beam(first, false));
    this.later(t4, () => this.beam(second, false));
    this.freeAt.set(door, now + t4 + this.timing.spacingMs);
  }

  private beam(pin: number, broken: boolean): void {
    this.board.setPin(pin, broken === this.beamBrokenHigh);
  }

  private gap([min, max]: readonly [number, number]): number {
    return Math.round(this.rng.uniform(min, max));
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) fn();
    else this.clock.setTimeout(fn, ms);
  }
}
