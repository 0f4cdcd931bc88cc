/**
 * Stop events for calibration and for the fit report: one tram at one stop, with its time-of-day
 * and position bins, its consistent counts, and its exposure (how long passengers had to gather
 * since the previous tram of the same line and direction). Calibration and fit share this one
 * definition so that they cannot drift apart. Must never mutate the trips.
 */
import { quantile } from '../../common/stats.js';
import { positionBin, timeBin } from './calibration-schema.js';
import { localClock, serviceDayType, type DayType } from '../../common/time.js';
import type { ReplayTrip } from './replay-trip.js';
import { balanceTrip } from './trip-balance.js';

export interface DemandEventOptions {
  timeZone: string;
  serviceDayStartHour: number;
  binMinutes: number;
  interiorBins: number;
  maxWaitMinutes: number;
  missingTramFactor: number;
  /** Trips with fewer stops are left out: no shape along a trip of one or two stops. */
  minTripStops: number;
}

export const DEFAULT_EVENT_OPTIONS: DemandEventOptions = {
  timeZone: 'Europe/Zurich',
  serviceDayStartHour: 4,
  binMinutes: 30,
  interiorBins: 10,
  maxWaitMinutes: 30,
  missingTramFactor: 1.75,
  minTripStops: 3,
};

export interface DemandEvent {
  tripIndex: number;
  time: number;
  line: string;
  direction: 0 | 1;
  stopId: string;
  stopIndex: number;
  stopCount: number;
  positionBin: number;
  dayType: DayType;
  timeBin: number;
  hour: number;
  /** Counts after `balanceTrip` (clamp): nobody boards at the last stop, the load never dips. */
  boardings: number;
  alightings: number;
  onBoard: number;
  /** Time since the previous counted tram of this line and direction at this stop (ms). */
  gapMs: number | undefined;
  /**
   * Minutes of passenger arrivals this tram collects: the gap, capped at `missingTramFactor` times
   * the typical gap of its line, direction and time (beyond that, boardings stop growing in the
   * data: an uncounted tram went between, or people took another line), and at `maxWaitMinutes`.
   * The first tram of a line at a stop, or the first after a break longer than `maxWaitMinutes`
   * (the night), has no usable gap: it gets the typical one (`exposureObserved` false).
   */
  exposureMinutes: number;
  exposureObserved: boolean;
  /** The typical gap of its line, direction, day type and half hour (minutes). */
  typicalGapMinutes: number;
}

export interface DemandEventSet {
  events: DemandEvent[];
  tripsUsed: number;
  tripsSkippedTooShort: number;
  tripsBalanceFixed: number;
}

export function buildDemandEvents(trips: readonly ReplayTrip[], options: DemandEventOptions = DEFAULT_EVENT_OPTIONS): DemandEventSet {
  const events: DemandEvent[] = [];
  let tripsUsed = 0;
  let tripsSkippedTooShort = 0;
  let tripsBalanceFixed = 0;
  trips.forEach((raw, tripIndex) => {
    if (raw.stops.length < options.minTripStops) {
      tripsSkippedTooShort++;
      return;
    }
    tripsUsed++;
    const fixed = balanceTrip(raw, 'clamp');
    if (fixed.changed) tripsBalanceFixed++;
    let load = 0;
    const n = fixed.trip.stops.length;
    fixed.trip.stops.forEach((s, i) => {
      const clock = localClock(s.arrival, options.timeZone);
      events.push({
        tripIndex,
        time: s.arrival,
        line: raw.line,
        direction: raw.direction,
        stopId: s.stopId,
        stopIndex: i,
        stopCount: n,
        positionBin: positionBin(i, n, options.interiorBins),
        dayType: serviceDayType(s.arrival, options.timeZone, options.serviceDayStartHour),
        timeBin: timeBin(clock.secondsOfDay, options.binMinutes),
        hour: Math.floor(clock.secondsOfDay / 3600),
        boardings: s.boardings,
        alightings: s.alightings,
        onBoard: load,
        gapMs: undefined,
        exposureMinutes: 0,
        exposureObserved: false,
        typicalGapMinutes: 0,
      });
      load += s.boardings - s.alightings;
    });
  });
  assignExposures(events, options);
  return { events, tripsUsed, tripsSkippedTooShort, tripsBalanceFixed };
}

function assignExposures(events: DemandEvent[], options: DemandEventOptions): void {
  const byStop = new Map<string, DemandEvent[]>();
  for (const e of events) {
    const key = `${e.line}|${e.direction}|${e.stopId}`;
    let list = byStop.get(key);
    if (!list) byStop.set(key, (list = []));
    list.push(e);
  }
  const maxWaitMs = options.maxWaitMinutes * 60_000;
  const cellGaps = new Map<string, number[]>();
  const binGaps = new Map<string, number[]>();
  const push = (map: Map<string, number[]>, key: string, v: number): void => {
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(v);
  };
  for (const list of byStop.values()) {
    list.sort((a, b) => a.time - b.time);
    for (let i = 1; i < list.length; i++) {
      const e = list[i]!;
      e.gapMs = e.time - list[i - 1]!.time;
      if (e.gapMs <= maxWaitMs) {
        push(cellGaps, cellKey(e), e.gapMs);
        push(binGaps, `${e.dayType}|${e.timeBin}`, e.gapMs);
      }
    }
  }
  const cellMedian = new Map([...cellGaps].map(([k, v]) => [k, quantile(v, 0.5)]));
  const binMedian = new Map([...binGaps].map(([k, v]) => [k, quantile(v, 0.5)]));
  for (const e of events) {
    const typical = cellMedian.get(cellKey(e)) ?? binMedian.get(`${e.dayType}|${e.timeBin}`) ?? maxWaitMs;
    const limit = Math.min(maxWaitMs, options.missingTramFactor * typical);
    e.exposureObserved = e.gapMs !== undefined && e.gapMs <= maxWaitMs;
    e.exposureMinutes = (e.exposureObserved ? Math.min(e.gapMs!, limit) : Math.min(typical, maxWaitMs)) / 60_000;
    e.typicalGapMinutes = typical / 60_000;
  }
}

function cellKey(e: DemandEvent): string {
  return `${e.line}|${e.direction}|${e.dayType}|${e.timeBin}`;
}
