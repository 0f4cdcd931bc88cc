/**
 * The airtime budget, a hard limit: the duty cycle of the sub-band (Toff = ToA/DC - ToA after each
 * transmission), a daily airtime budget (default 30 s, The Things Network's fair use) paced over the
 * service day by a token bucket, and a reserve of that budget that only stop reports and joins may
 * use, so live and health frames can never starve the reports that must arrive.
 *
 * Airtime is charged BEFORE a transmission and kept on disk (the outbox holds the state), so neither
 * a power cut mid-send nor a restart can forget it; a transmission the modem refused is refunded.
 * Each traffic class needs a floor of tokens beyond its own airtime: the less a frame matters, the
 * fuller the bucket must be, so under pressure the budget goes to full batches of reports first,
 * then to live levels that changed, then to live levels that did not, and last to batches that are
 * not full (planning can wait; passengers cannot).
 * It only says when a transmission may start; it never sends.
 */
import { offTimeMs } from '../../firmware-bindings/lora/airtime.js';
import type { BudgetState } from './outbox.js';

export type TrafficClass = 'report' | 'join' | 'health' | 'live' | 'report-partial' | 'live-refresh';

/** Tokens a class must leave in the bucket, as a share of the burst (daily budget x burstShare). */
const FLOOR_SHARE: Record<TrafficClass, number> = {
  report: 0,
  join: 0,
  health: 0.1,
  live: 0.25,
  'live-refresh': 0.6,
  'report-partial': 0.7,
};

/** Classes that may use the reserve kept for stop reports. */
const MAY_USE_RESERVE = new Set<TrafficClass>(['report', 'report-partial', 'join']);

export interface BudgetStore {
  loadBudget(): BudgetState | undefined;
  saveBudget(state: BudgetState): void;
}

export interface AirtimeBudgetOptions {
  dailyMs: number;
  /** Duty cycle of the sub-band the default channels are in (1 % for g1). */
  dutyCycle: number;
  /** Hours of the day the vehicle is in service: the daily budget is paced over them. */
  serviceHours: number;
  /** Largest burst, as a share of the daily budget. */
  burstShare: number;
  /** Share of the daily budget kept for stop reports; live and health frames may not touch it. */
  reportReserveShare: number;
  /** Start of the budget day for a time (local midnight by default, given by the caller). */
  dayOf: (t: number) => number;
  /** Where the state survives restarts (the outbox); none: in memory only. */
  store?: BudgetStore;
}

export class AirtimeBudget {
  private bandFreeAt = 0;
  private day = Number.NaN;
  private usedToday = 0;
  private tokens: number;
  private lastRefill: number | undefined;
  private dailyMs: number;

  constructor(private readonly o: AirtimeBudgetOptions) {
    this.dailyMs = o.dailyMs;
    this.tokens = this.burst;
    const saved = o.store?.loadBudget();
    if (saved) {
      this.day = saved.day;
      this.usedToday = saved.usedMs;
      this.bandFreeAt = saved.bandFreeAt;
      this.tokens = Math.min(this.burst, saved.tokens);
      this.lastRefill = saved.lastRefill;
    }
  }

  private get burst(): number {
    return this.dailyMs * this.o.burstShare;
  }

  private get ratePerMs(): number {
    return this.dailyMs / (this.o.serviceHours * 3_600_000);
  }

  private sync(now: number): void {
    const day = this.o.dayOf(now);
    if (day !== this.day) {
      this.day = day;
      this.usedToday = 0;
    }
    if (this.lastRefill !== undefined && now > this.lastRefill) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.lastRefill) * this.ratePerMs);
    }
    if (this.lastRefill === undefined || now > this.lastRefill) this.lastRefill = now;
  }

  private save(): void {
    this.o.store?.saveBudget({ day: this.day, usedMs: this.usedToday, bandFreeAt: this.bandFreeAt, tokens: this.tokens, lastRefill: this.lastRefill ?? 0 });
  }

  get usedTodayMs(): number {
    return this.usedToday;
  }

  get dailyBudgetMs(): number {
    return this.dailyMs;
  }

  /** A new daily budget (a ConfigChange from the operator); takes effect at once. */
  setDailyMs(dailyMs: number): void {
    this.dailyMs = dailyMs;
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /** Earliest time a transmission of `toaMs` of this class may start (next day's start: not today). */
  earliest(toaMs: number, now: number, cls: TrafficClass): number {
    this.sync(now);
    const reserve = MAY_USE_RESERVE.has(cls) ? 0 : this.dailyMs * this.o.reportReserveShare;
    if (this.usedToday + toaMs + reserve > this.dailyMs) return this.nextDay(now);
    // A frame larger than the bucket waits for a full bucket and leaves it in debt.
    const missing = Math.min(toaMs + this.burst * FLOOR_SHARE[cls], this.burst) - this.tokens;
    const tokensAt = missing <= 0 ? now : now + missing / this.ratePerMs;
    return Math.max(now, this.bandFreeAt, tokensAt);
  }

  private nextDay(now: number): number {
    // The day after `now`, found as the day of a time safely past the next midnight.
    return this.o.dayOf(this.o.dayOf(now) + 36 * 3_600_000);
  }

  /** Charges a transmission about to start (before it is handed to the modem). */
  charge(toaMs: number, start: number): void {
    this.sync(start);
    this.usedToday += toaMs;
    this.tokens -= toaMs;
    this.bandFreeAt = Math.max(this.bandFreeAt, start + toaMs + offTimeMs(toaMs, this.o.dutyCycle));
    this.save();
  }

  /** The modem answered at `end`: the band stays silent for the off time counted from there. */
  settle(toaMs: number, end: number): void {
    this.bandFreeAt = Math.max(this.bandFreeAt, end + offTimeMs(toaMs, this.o.dutyCycle));
    this.save();
  }

  /** The modem refused the transmission (nothing went on air): give the airtime back. */
  refund(toaMs: number, start: number, bandFreeBefore: number): void {
    if (this.o.dayOf(start) === this.day) this.usedToday = Math.max(0, this.usedToday - toaMs);
    this.tokens = Math.min(this.burst, this.tokens + toaMs);
    this.bandFreeAt = bandFreeBefore;
    this.save();
  }

  get bandFreeAtMs(): number {
    return this.bandFreeAt;
  }
}
