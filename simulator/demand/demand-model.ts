/**
 * The demand model the simulated world calls at every stop visit: how many passengers alight, and
 * which groups board, in boarding order. `CalibratedDemand` draws them from the Geneva calibration
 * (see docs/demand-calibration.md) and keeps, per stop, line and direction, the passengers a full
 * tram left behind, so that they board the next one. Every draw goes through the Rng passed in
 * (a stop's own factor is fixed by its id), so the same seed gives the same day. Must never read
 * the system clock or Math.random, and never board more than the vehicle has room for.
 */
import { ConfigError } from '../../common/errors.js';
import type { Rng } from '../../common/random.js';
import { loadDemandCalibration, positionBin, timeBin, type DemandCalibration } from './calibration-schema.js';
import { burstMeanGroups, tableMoments } from './dispersion.js';
import { drawFromTable, gammaMeanOne, geometricCount, quantileAt, uniformFromName } from './draws.js';
import { assertTimeZone, localClock, serviceDayType, type DayType } from '../../common/time.js';

export interface StopVisitContext {
  /** ms since the epoch (virtual clock); read in the model's time zone. */
  time: number;
  lineId: string;
  direction: 0 | 1;
  /** Position along this trip: 0 .. stopCount − 1. */
  stopIndex: number;
  stopCount: number;
  /** The stop's relative importance from line data (1 = ordinary, > 1 hub). */
  stopWeight: number;
  stopId: string;
  /** Time since the previous tram of this line and direction left this stop (Infinity: none today). */
  sinceLastDepartureMs: number;
  /** True passengers on board on arrival. */
  onBoard: number;
  /** Design capacity of the vehicle (seated + standing). */
  capacity: number;
  /** Last stop of the trip: everyone alights, nobody boards. */
  isTerminus: boolean;
}

export interface StopDemand {
  alightings: number;
  /** Sizes of the groups that board, in boarding order (those left behind first, then new ones). */
  boardingGroups: number[];
  /** Passengers still waiting at this stop for this line and direction when the tram leaves. */
  leftBehind: number;
}

export interface DemandModel {
  visit(ctx: StopVisitContext, rng: Rng): StopDemand;
}

export interface CalibratedDemandOptions {
  /** Zone of the virtual clock's local time. Default 'Europe/Berlin' (Halle). */
  timeZone?: string;
  /** Multiplies all arrivals: 0.5 a quiet day, 1.5 a crowded one. Default 1. */
  scale?: number;
  /** Force a day type, or take it from the clock ('auto', the default). */
  dayType?: DayType | 'auto';
  /**
   * Exponent on the stop's own factor drawn from the Geneva spread (seeded by stop id, mean 1):
   * 0 = none (line data's weights alone), 1 = Geneva's full spread, which includes its hubs.
   * Default 0.5: line data mark the hubs, the draw adds the variety among ordinary stops.
   */
  stopFactorSpread?: number;
  /** Seed text for the stop factors; change it for another, equally likely set of stops. */
  stopFactorSeed?: string;
  /** Arrivals are counted over at most this long a wait. Default from the calibration (30 min). */
  maxWaitMs?: number;
  /** Passengers left behind give up after waiting this long in addition. Default 30 min. */
  patienceMs?: number;
  /** Turn off the per-visit rate variation or the bursts (leaves plain compound Poisson groups). */
  rateNoise?: boolean;
  bursts?: boolean;
}

export interface DemandStats {
  visits: number;
  boarded: number;
  alighted: number;
  /** Passengers who could not board because the tram was full (counted once per refusal). */
  refused: number;
  /** Left-behind passengers who gave up waiting. */
  gaveUp: number;
}

interface WaitingGroup {
  size: number;
  since: number;
}

export class CalibratedDemand implements DemandModel {
  private readonly timeZone: string;
  private readonly scale: number;
  private readonly dayType: DayType | 'auto';
  private readonly spread: number;
  private readonly spreadNorm: number;
  private readonly seed: string;
  private readonly maxWaitMs: number;
  private readonly patienceMs: number;
  private readonly rateNoise: boolean;
  private readonly bursts: boolean;
  private readonly rates: Record<DayType, number[]>;
  private readonly meanGroupSize: number;
  private readonly stopFactors = new Map<string, number>();
  private readonly waiting = new Map<string, WaitingGroup[]>();
  private readonly counters: DemandStats = { visits: 0, boarded: 0, alighted: 0, refused: 0, gaveUp: 0 };

  constructor(
    private readonly calibration: DemandCalibration,
    options: CalibratedDemandOptions = {},
  ) {
    this.timeZone = options.timeZone ?? 'Europe/Berlin';
    assertTimeZone(this.timeZone);
    this.scale = nonNegative('scale', options.scale ?? 1);
    this.dayType = options.dayType ?? 'auto';
    this.spread = nonNegative('stopFactorSpread', options.stopFactorSpread ?? 0.5);
    this.seed = options.stopFactorSeed ?? 'stop-factor';
    this.maxWaitMs = nonNegative('maxWaitMs', options.maxWaitMs ?? calibration.exposure.maxWaitMinutes * 60_000);
    this.patienceMs = nonNegative('patienceMs', options.patienceMs ?? 30 * 60_000);
    this.rateNoise = options.rateNoise ?? true;
    this.bursts = options.bursts ?? true;
    this.rates = { weekday: withNightFloor(calibration, 'weekday'), weekend: withNightFloor(calibration, 'weekend') };
    this.meanGroupSize = tableMoments(calibration.groups.sizeTable).mean;
    // E[f^spread] over the factor distribution, so that drawn factors keep a mean of 1.
    let norm = 0;
    for (let i = 0; i < 1000; i++) norm += quantileAt(calibration.stops.factorQuantiles, (i + 0.5) / 1000) ** this.spread;
    this.spreadNorm = norm / 1000;
  }

  static fromFile(path?: string, options?: CalibratedDemandOptions): CalibratedDemand {
    return new CalibratedDemand(loadDemandCalibration(path), options);
  }

  visit(ctx: StopVisitContext, rng: Rng): StopDemand {
    checkContext(ctx);
    this.counters.visits++;
    if (ctx.isTerminus) {
      this.counters.alighted += ctx.onBoard;
      return { alightings: ctx.onBoard, boardingGroups: [], leftBehind: this.waitingAt(ctx) };
    }
    const alightings = rng.binomial(ctx.onBoard, this.alightingProbability(ctx));
    const queue = this.queueOf(ctx);
    const mean = this.expectedBoardings(ctx);
    const multiplier = this.rateNoise && this.calibration.groups.rateNoiseCv2 > 0 ? gammaMeanOne(rng, 1 / this.calibration.groups.rateNoiseCv2) : 1;
    const perBurst = this.bursts ? burstMeanGroups(this.calibration.groups.bursts, mean) : 1;
    const burstCount = rng.poisson((mean * multiplier) / (perBurst * this.meanGroupSize));
    for (let b = 0; b < burstCount; b++) {
      const groups = geometricCount(rng, perBurst);
      for (let g = 0; g < groups; g++) queue.push({ size: drawFromTable(rng, this.calibration.groups.sizeTable) + 1, since: ctx.time });
    }

    let room = Math.max(0, ctx.capacity - (ctx.onBoard - alightings));
    const boardingGroups: number[] = [];
    const stay: WaitingGroup[] = [];
    for (const group of queue) {
      // Groups stay together: one that does not fit waits, smaller ones behind it may still get on.
      if (group.size <= room) {
        boardingGroups.push(group.size);
        room -= group.size;
      } else {
        stay.push({ size: group.size, since: Math.min(group.since, ctx.time) });
        this.counters.refused += group.size;
      }
    }
    this.waiting.set(queueKey(ctx), stay);
    const boarded = boardingGroups.reduce((a, b) => a + b, 0);
    this.counters.boarded += boarded;
    this.counters.alighted += alightings;
    return { alightings, boardingGroups, leftBehind: stay.reduce((n, g) => n + g.size, 0) };
  }

  /** Mean new boardings at this visit (before capacity, bursts and noise; without those left behind). */
  expectedBoardings(ctx: StopVisitContext): number {
    if (ctx.isTerminus || ctx.stopIndex >= ctx.stopCount - 1) return 0;
    const c = this.calibration;
    const day = this.dayType === 'auto' ? serviceDayType(ctx.time, this.timeZone, c.serviceDayStartHour) : this.dayType;
    const rate = this.rates[day][timeBin(localClock(ctx.time, this.timeZone).secondsOfDay, c.timeOfDay.binMinutes)]!;
    const waitMinutes = Math.min(Math.max(0, ctx.sinceLastDepartureMs), this.maxWaitMs) / 60_000;
    const position = c.position.boardingIntensity[positionBin(ctx.stopIndex, ctx.stopCount, c.position.interiorBins)]!;
    return this.scale * rate * waitMinutes * position * ctx.stopWeight * this.stopFactor(ctx.stopId);
  }

  /** Share of those on board who alight here (1 at the last stop). */
  alightingProbability(ctx: Pick<StopVisitContext, 'stopIndex' | 'stopCount' | 'isTerminus'>): number {
    if (ctx.isTerminus) return 1;
    const c = this.calibration.position;
    return c.alightingProbability[positionBin(ctx.stopIndex, ctx.stopCount, c.interiorBins)]!;
  }

  /** The stop's own factor (mean 1 over stops), fixed by its id and the seed. */
  stopFactor(stopId: string): number {
    if (this.spread === 0) return 1;
    let f = this.stopFactors.get(stopId);
    if (f === undefined) {
      f = quantileAt(this.calibration.stops.factorQuantiles, uniformFromName(this.seed, stopId)) ** this.spread / this.spreadNorm;
      this.stopFactors.set(stopId, f);
    }
    return f;
  }

  /** Passengers left behind at a stop for a line and direction, still waiting. */
  waitingAt(key: Pick<StopVisitContext, 'lineId' | 'direction' | 'stopId'>): number {
    return (this.waiting.get(queueKey(key)) ?? []).reduce((n, g) => n + g.size, 0);
  }

  stats(): DemandStats {
    return { ...this.counters };
  }

  /** Those left behind earlier and still patient, first in line. */
  private queueOf(ctx: StopVisitContext): WaitingGroup[] {
    const queue: WaitingGroup[] = [];
    for (const g of this.waiting.get(queueKey(ctx)) ?? []) {
      if (ctx.time - g.since > this.patienceMs) this.counters.gaveUp += g.size;
      else queue.push(g);
    }
    return queue;
  }
}

function queueKey(k: Pick<StopVisitContext, 'lineId' | 'direction' | 'stopId'>): string {
  return `${k.lineId}|${k.direction}|${k.stopId}`;
}

function nonNegative(field: string, v: number): number {
  if (!(v >= 0) || !Number.isFinite(v)) throw new ConfigError(field, `must be a finite number >= 0, got ${v}`);
  return v;
}

function checkContext(ctx: StopVisitContext): void {
  const bad = (what: string): never => {
    throw new RangeError(`stop visit at ${ctx.stopId}: ${what}`);
  };
  if (!Number.isInteger(ctx.onBoard) || ctx.onBoard < 0) bad(`onBoard must be an integer >= 0, got ${ctx.onBoard}`);
  if (!Number.isInteger(ctx.stopCount) || ctx.stopCount < 1) bad(`stopCount must be >= 1, got ${ctx.stopCount}`);
  if (!Number.isInteger(ctx.stopIndex) || ctx.stopIndex < 0 || ctx.stopIndex >= ctx.stopCount) bad(`stopIndex ${ctx.stopIndex} outside 0..${ctx.stopCount - 1}`);
  if (!(ctx.capacity >= 0)) bad(`capacity must be >= 0, got ${ctx.capacity}`);
  if (!(ctx.stopWeight >= 0) || !Number.isFinite(ctx.stopWeight)) bad(`stopWeight must be finite and >= 0, got ${ctx.stopWeight}`);
  if (!Number.isFinite(ctx.time)) bad('time must be finite');
  if (Number.isNaN(ctx.sinceLastDepartureMs)) bad('sinceLastDepartureMs is NaN');
}

/**
 * The calibrated rates, with bins that had no tram in the source data (Geneva's night gap) set to
 * the lowest rate seen on that day type: a world that runs trams then still gets a few riders.
 */
function withNightFloor(c: DemandCalibration, day: DayType): number[] {
  const p = c.timeOfDay[day];
  const served = p.ratePerMinute.filter((r, i) => p.events[i]! > 0 && r > 0);
  const floor = served.length > 0 ? Math.min(...served) : 0;
  return p.ratePerMinute.map((r, i) => (p.events[i]! > 0 ? r : floor));
}
