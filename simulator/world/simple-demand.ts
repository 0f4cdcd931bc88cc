/**
 * A plain demand model for the walking skeleton and for unit tests: a synthetic weekday profile with
 * morning and afternoon peaks, boarding that grows with the time since the previous tram and the
 * stop's weight, group arrivals, and alighting that rises along the trip. The calibrated model
 * (simulator/demand) replaces it where realism matters.
 */
import type { Rng } from '../../common/random.js';
import { localHour } from '../../common/time.js';
import type { DemandModel, StopDemand, StopVisitContext } from './demand.js';

export interface SimpleDemandOptions {
  timeZone: string;
  scale: number;
  /** Boardings per minute at an ordinary stop, at profile 1. */
  boardingsPerMinute: number;
  /** Mean group size (geometric). */
  meanGroup: number;
}

/** Relative demand by local hour: quiet night, peaks around 07:30 and 16:30. */
export function weekdayProfile(hour: number): number {
  const peak = (mu: number, sd: number, height: number): number => height * Math.exp(-((hour - mu) ** 2) / (2 * sd * sd));
  const base = hour < 5 || hour > 23 ? 0.15 : 0.55;
  return base + peak(7.5, 1.0, 1.3) + peak(12.5, 1.5, 0.35) + peak(16.5, 1.5, 1.0);
}

export class SimpleDemand implements DemandModel {
  private readonly leftBehind = new Map<string, number>();

  constructor(private readonly o: SimpleDemandOptions) {}

  visit(ctx: StopVisitContext, rng: Rng): StopDemand {
    if (ctx.isTerminus) return { alightings: ctx.onBoard, boardingGroups: [] };
    const position = ctx.stopIndex / Math.max(1, ctx.stopCount - 1);
    const pAlight = ctx.stopIndex === 0 ? 0 : Math.min(0.9, 0.04 + 0.35 * position * ctx.stopWeight ** 0.5);
    const alightings = rng.binomial(ctx.onBoard, pAlight);
    const key = `${ctx.lineId}/${ctx.direction}/${ctx.stopId}`;
    const minutes = Math.min(60, ctx.sinceLastDepartureMs / 60_000);
    const boardShape = Math.max(0.05, 1.3 - 1.2 * position);
    const rate = this.o.boardingsPerMinute * this.o.scale * ctx.stopWeight * boardShape * weekdayProfile(localHour(ctx.time, this.o.timeZone));
    let waiting = (this.leftBehind.get(key) ?? 0) + rng.poisson((rate * minutes) / this.o.meanGroup);
    const room = Math.max(0, ctx.capacity - (ctx.onBoard - alightings));
    const groups: number[] = [];
    let boarding = 0;
    while (waiting > 0) {
      const size = 1 + Math.min(5, Math.floor(rng.exponential(1 / Math.max(1e-6, this.o.meanGroup - 1))));
      if (boarding + size > room) break;
      groups.push(size);
      boarding += size;
      waiting--;
    }
    this.leftBehind.set(key, waiting);
    return { alightings, boardingGroups: groups };
  }
}
