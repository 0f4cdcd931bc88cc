/**
 * A synthetic APC week with a known truth, for calibration tests: two lines of 12 stops, both
 * directions, a tram every 6 minutes from 05:00 to midnight (three in four are short workings over
 * eight stops, so that a stop is seen at more than one place along a trip), boardings
 * drawn as a compound Poisson count of groups with known rate profile, position shape, stop
 * factors and group sizes, and alightings binomial with a known probability along the trip.
 */
import { Rng } from '../../../common/random.js';
import { localClock, localToEpochMs, type DayType } from '../../../common/time.js';
import { buildDemandEvents, DEFAULT_EVENT_OPTIONS } from '../../../simulator/demand/stop-events.js';
import type { ReplayTrip } from '../../../simulator/demand/replay-trip.js';

export const TRUTH = {
  headwayMinutes: 6,
  stops: 12,
  groupTable: [0.8, 0.15, 0.05],
  /** Passengers per minute at an ordinary stop, by clock hour (fractional). */
  rate(hour: number, weekend: boolean): number {
    const g = (mu: number, sd: number): number => Math.exp(-0.5 * ((hour - mu) / sd) ** 2);
    return weekend ? 0.03 + 0.6 * g(15, 3) : 0.04 + 1.5 * g(7.75, 0.75) + 1.2 * g(17.25, 1);
  },
  /** Boarding intensity along a trip: first stop 1.3, then 1.2 falling to 0.6 (x from 0 to 1), last 0. */
  position(index: number, count: number): number {
    if (index === 0) return 1.3;
    if (index === count - 1) return 0;
    return 1.2 - 0.6 * (index / (count - 1));
  },
  alight(index: number, count: number): number {
    return index === count - 1 ? 1 : index === 0 ? 0 : 0.05 + (0.25 * index) / (count - 1);
  },
};

export interface SyntheticWeek {
  trips: ReplayTrip[];
  stopFactors: Map<string, number>;
}

/** Dates: Mon 1 to Sun 7 October 2012, or the ones asked for. */
export function syntheticWeek(seed: number, dates = ['20121001', '20121002', '20121003', '20121006', '20121007']): SyntheticWeek {
  const rng = new Rng(seed);
  const stopFactors = new Map<string, number>();
  // A stop's own factor, mean 1 over the stops (where a trip starts, the first-stop intensity
  // stands in for it).
  const ids = ['A', 'B'].flatMap((line) => [0, 1].flatMap((d) => Array.from({ length: TRUTH.stops }, (_, i) => `${line}${d}-${i}`)));
  const raw = ids.map(() => Math.exp(rng.normal(0, 0.5)));
  const rawMean = raw.reduce((a, b) => a + b, 0) / raw.length;
  ids.forEach((id, k) => stopFactors.set(id, raw[k]! / rawMean));
  const factor = (id: string): number => stopFactors.get(id)!;
  const trips: ReplayTrip[] = [];
  const n = TRUTH.stops;
  for (const date of dates) {
    const day = Number(date.slice(6));
    const weekend = day === 6 || day === 7;
    for (const line of ['A', 'B']) {
      for (const direction of [0, 1] as const) {
        let tripNo = 0;
        const lastTram = new Map<string, number>();
        for (let dep = 5 * 60; dep < 24 * 60; dep += TRUTH.headwayMinutes) {
          // Short workings over eight stops: the first eight, the middle eight, the last eight.
          const pattern = tripNo % 4;
          const first = [0, 0, 2, 4][pattern]!;
          const count = pattern === 0 ? n : 8;
          let load = 0;
          const stops = [];
          for (let i = 0; i < count; i++) {
            const minute = dep + 2 * (first + i);
            const id = `${line}${direction}-${first + i}`;
            // Passengers gather from the previous tram of this line and direction at this stop on.
            const wait = Math.min(30, minute - (lastTram.get(id) ?? minute - TRUTH.headwayMinutes));
            lastTram.set(id, minute);
            const mean = TRUTH.rate(minute / 60, weekend) * wait * TRUTH.position(i, count) * (i === 0 ? 1 : factor(id));
            const alightings = rng.binomial(load, TRUTH.alight(i, count));
            let boardings = 0;
            const groups = rng.poisson(mean / 1.25);
            for (let g = 0; g < groups; g++) {
              const u = rng.next();
              boardings += u < 0.8 ? 1 : u < 0.95 ? 2 : 3;
            }
            load += boardings - alightings;
            stops.push({
              seq: i + 1,
              stopId: id,
              stopName: `Stop ${first + i}`,
              arrival: localToEpochMs(2012, 10, day, minute * 60, 'Europe/Zurich'),
              arrivalText: `${String(Math.floor(minute / 60) % 24).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00`,
              boardings,
              alightings,
              reportedLoad: load,
            });
          }
          trips.push({ date, line, tripId: `${line}${direction}-${tripNo++}`, direction, stops, flags: [], balance: 0 });
        }
      }
    }
  }
  return { trips, stopFactors };
}

/**
 * What the calibration's rate per time bin estimates, from the truth: the true rate averaged over
 * the bin's stop events, each weighted by what it contributes (exposure × position × stop factor).
 * Within a bin the events are not spread evenly in time, so on a steep flank this differs from the
 * plain average over the bin's 30 minutes.
 */
export function trueBinRates(week: SyntheticWeek, day: DayType, missingTramFactor: number): number[] {
  const { events } = buildDemandEvents(week.trips, { ...DEFAULT_EVENT_OPTIONS, missingTramFactor });
  const num = new Array<number>(48).fill(0);
  const den = new Array<number>(48).fill(0);
  for (const e of events) {
    if (e.dayType !== day || !e.exposureObserved || e.stopIndex === e.stopCount - 1) continue;
    const hour = localClock(e.time, 'Europe/Zurich').secondsOfDay / 3600;
    const w = e.exposureMinutes * TRUTH.position(e.stopIndex, e.stopCount) * (e.stopIndex === 0 ? 1 : week.stopFactors.get(e.stopId)!);
    num[e.timeBin]! += w * TRUTH.rate(hour, day === 'weekend');
    den[e.timeBin]! += w;
  }
  return num.map((v, b) => (den[b]! > 0 ? v / den[b]! : 0));
}
