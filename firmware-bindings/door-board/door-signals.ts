/**
 * The two building blocks of door sensing, free of any board or library: a debounced digital input
 * on the Clock, and the direction rule of a pair of light barriers.
 *
 * Debouncing: a new level counts once it has held for the debounce time; the change is stamped with
 * the time of its first edge (so a bouncing contact's open is dated when it began to open, not when
 * it settled). Direction: the two beams form a 2-bit Gray code (none → outer → both → inner → none
 * is one step at a time), read like a quadrature encoder. A person who walks outer → inner moves the
 * position +4 by the time both beams are clear again: one 'in'; inner → outer is −4: one 'out'; one
 * who steps in and leaves the way they came ends at 0: turned back, not counted.
 *
 * Must never: guess. An episode that began while a beam's level was unknown or blocked is not
 * counted ('tainted'), whatever it looks like.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';

export class DebouncedInput {
  private accepted: boolean | undefined;
  private raw: boolean | undefined;
  private pendingSince: number | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly debounceMs: number,
    private readonly onChange: (level: boolean, at: number) => void,
  ) {}

  /** The debounced level; undefined until the first level has held. */
  get level(): boolean | undefined {
    return this.accepted;
  }

  /** A raw level as read now. Repeats of the same level cost nothing. */
  sample(level: boolean): void {
    if (level === this.raw && (this.timer !== undefined || level === this.accepted)) return;
    this.raw = level;
    // The first level of an input is dated when it last changed; a change is dated by its first edge.
    if (this.accepted === undefined) this.pendingSince = this.clock.now();
    else if (level !== this.accepted) this.pendingSince ??= this.clock.now();
    if (this.debounceMs === 0) return this.settle();
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.settle(), this.debounceMs);
  }

  /** Forgets the raw level and any pending change (the board went away); the accepted level stays. */
  suspend(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.raw = undefined;
    this.pendingSince = undefined;
  }

  private settle(): void {
    this.timer = undefined;
    const since = this.pendingSince;
    this.pendingSince = undefined;
    if (this.raw === undefined || this.raw === this.accepted) return;
    this.accepted = this.raw;
    this.onChange(this.raw, since ?? this.clock.now());
  }
}

export type Beam = 'outer' | 'inner';

export type PassageOutcome =
  | { kind: 'in' | 'out'; startedAt: number }
  | { kind: 'turned-back'; startedAt: number }
  /** Both beams clear again after an episode that cannot be read (began unknown or blocked). */
  | { kind: 'unreadable'; startedAt: number };

/** Gray-code position of the beam pair: none 0, outer 1, both 2, inner 3. */
function phase(outer: boolean, inner: boolean): number {
  return outer ? (inner ? 2 : 1) : inner ? 3 : 0;
}

export class PassageDetector {
  private outer: boolean | undefined;
  private inner: boolean | undefined;
  private position = 0;
  private startedAt = 0;
  private tainted = false;

  /** True while any beam is broken (or not yet known). */
  get busy(): boolean {
    return this.outer !== false || this.inner !== false;
  }

  /**
   * One debounced beam edge. Returns the outcome when both beams are clear again after an episode,
   * undefined while an episode runs or for a repeated level.
   */
  edge(beam: Beam, broken: boolean, at: number): PassageOutcome | undefined {
    const before = this.outer === undefined || this.inner === undefined ? undefined : phase(this.outer, this.inner);
    if (beam === 'outer') {
      if (this.outer === broken) return undefined;
      this.outer = broken;
    } else {
      if (this.inner === broken) return undefined;
      this.inner = broken;
    }
    if (this.outer === undefined || this.inner === undefined) {
      // Still learning the pair: whatever happens until both are clear is not readable.
      this.tainted = true;
      this.startedAt = at;
      return undefined;
    }
    const after = phase(this.outer, this.inner);
    if (before === undefined) {
      // Both levels known only now.
      if (after === 0) {
        this.reset();
        return undefined;
      }
      this.tainted = true;
      this.startedAt = at;
      return undefined;
    }
    if (before === 0) {
      this.position = 0;
      this.startedAt = at;
    }
    const step = (after - before + 4) % 4;
    this.position += step === 1 ? 1 : step === 3 ? -1 : 0;
    if (after !== 0) return undefined;
    const outcome: PassageOutcome = this.tainted
      ? { kind: 'unreadable', startedAt: this.startedAt }
      : this.position === 4
        ? { kind: 'in', startedAt: this.startedAt }
        : this.position === -4
          ? { kind: 'out', startedAt: this.startedAt }
          : { kind: 'turned-back', startedAt: this.startedAt };
    this.reset();
    return outcome;
  }

  /** The episode under way cannot be trusted (a beam was blocked, the board went away). */
  taint(): void {
    if (this.busy) this.tainted = true;
  }

  private reset(): void {
    this.position = 0;
    this.tainted = false;
  }
}
