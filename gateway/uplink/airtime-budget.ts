/**
 * The airtime budget, a hard limit: the duty cycle of the sub-band (Toff = ToA/DC - ToA after each
 * transmission, as the module computes it), a daily airtime budget (default 30 s, The Things
 * Network's fair use) paced over the service day by a token bucket, and a reserve of that budget
 * that only stop reports may use, so live frames can never starve the reports that must arrive.
 * It only says when a transmission may start; it never sends.
 */
import { offTimeMs } from '../../firmware-bindings/lora/airtime.js';

export type TrafficClass = 'report' | 'live' | 'health';

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
}

export class AirtimeBudget {
  private bandFreeAt = 0;
  private day = Number.NaN;
  private usedToday = 0;
  private tokens: number;
  private lastRefill: number | undefined;

  constructor(private readonly o: AirtimeBudgetOptions) {
    this.tokens = o.dailyMs * o.burstShare;
  }

  private get ratePerMs(): number {
    return this.o.dailyMs / (this.o.serviceHours * 3_600_000);
  }

  private sync(now: number): void {
    const day = this.o.dayOf(now);
    if (day !== this.day) {
      this.day = day;
      this.usedToday = 0;
    }
    if (this.lastRefill !== undefined) {
      this.tokens = Math.min(this.o.dailyMs * this.o.burstShare, this.tokens + (now - this.lastRefill) * this.ratePerMs);
    }
    this.lastRefill = now;
  }

  get usedTodayMs(): number {
    return this.usedToday;
  }

  /** Earliest time a transmission of `toaMs` of this class may start (Infinity: not today). */
  earliest(toaMs: number, now: number, cls: TrafficClass): number {
    this.sync(now);
    const reserve = cls === 'report' ? 0 : this.o.dailyMs * this.o.reportReserveShare;
    if (this.usedToday + toaMs + reserve > this.o.dailyMs) {
      return this.o.dayOf(now) + 86_400_000;
    }
    const floor = cls === 'report' ? 0 : Math.min(reserve, this.o.dailyMs * this.o.burstShare) * 0.25;
    const missing = toaMs + floor - this.tokens;
    const tokensAt = missing <= 0 ? now : now + missing / this.ratePerMs;
    return Math.max(now, this.bandFreeAt, tokensAt);
  }

  record(toaMs: number, start: number): void {
    this.sync(start);
    this.usedToday += toaMs;
    this.tokens -= toaMs;
    this.bandFreeAt = start + toaMs + offTimeMs(toaMs, this.o.dutyCycle);
  }
}
