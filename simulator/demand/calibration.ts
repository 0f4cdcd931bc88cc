/**
 * Derives the demand calibration from replay trips: time-of-day arrival rates, shapes along a trip,
 * the spread of stop factors, and overdispersion with the group sizes behind it. Expected boardings
 * at a stop event are modelled as
 *     rate(day type, time bin) × exposure minutes × position intensity × stop factor,
 * the three main effects of a Poisson log-linear model, fitted by iterative proportional fitting
 * (each factor in turn = observed / expected without it, until nothing moves). Fitted jointly, the
 * position shape is what position does at a given stop (few board near the end of a trip), and
 * a central stop's pull shows in its stop factor, not in the shape: line data that mark hubs with
 * a weight can then use the shape without counting the centre twice. The first stop is the
 * exception (see fitMainEffects).
 * Pure: no I/O, the caller passes provenance and the time of calibration.
 */
import { mean, quantile, round } from '../../common/stats.js';
import {
  CALIBRATION_FORMAT,
  CALIBRATION_METHOD_VERSION,
  type DayProfile,
  type DemandCalibration,
} from './calibration-schema.js';
import { fitBurstsAndNoise, fitDispersion, fitGroupSizes, tableMoments, withinCellExpectations } from './dispersion.js';
import type { DayType } from '../../common/time.js';
import type { ReplayTrip } from './replay-trip.js';
import { buildDemandEvents, DEFAULT_EVENT_OPTIONS, type DemandEvent, type DemandEventOptions } from './stop-events.js';

export interface CalibrationOptions extends DemandEventOptions {
  /** Stops with fewer events get no factor of their own (their factor is 1). */
  minStopEvents: number;
  maxGroupSize: number;
}

export const DEFAULT_CALIBRATION_OPTIONS: CalibrationOptions = { ...DEFAULT_EVENT_OPTIONS, minStopEvents: 50, maxGroupSize: 6 };

export type CalibrationProvenance = Omit<
  DemandCalibration['provenance'],
  'rowsUsed' | 'tripsUsed' | 'tripsSkippedTooShort' | 'tripsBalanceFixed' | 'timeZone'
>;

/** The model's expected boardings at each event, from a calibration (also used by the fit report). */
export function expectedBoardings(c: DemandCalibration, e: DemandEvent): number {
  const rate = c.timeOfDay[e.dayType].ratePerMinute[e.timeBin] ?? 0;
  const pos = c.position.boardingIntensity[e.positionBin] ?? 1;
  return rate * e.exposureMinutes * pos * sourceStopWeight(c, e);
}

/**
 * The weight a source stop carries at an event: its calibrated factor, except where a trip starts
 * (the first-stop intensity already holds the pull of a terminus, see fitMainEffects).
 */
export function sourceStopWeight(c: DemandCalibration, e: Pick<DemandEvent, 'stopId' | 'positionBin'>): number {
  return e.positionBin === 0 ? 1 : (c.stops.factors[e.stopId] ?? 1);
}

function ratioBy<K>(events: readonly DemandEvent[], keyOf: (e: DemandEvent) => K | undefined, base: (e: DemandEvent) => number): Map<K, { obs: number; exp: number; n: number }> {
  const out = new Map<K, { obs: number; exp: number; n: number }>();
  for (const e of events) {
    const k = keyOf(e);
    if (k === undefined) continue;
    let acc = out.get(k);
    if (!acc) out.set(k, (acc = { obs: 0, exp: 0, n: 0 }));
    acc.obs += e.boardings;
    acc.exp += base(e);
    acc.n++;
  }
  return out;
}

export function calibrateDemand(
  trips: readonly ReplayTrip[],
  provenance: CalibrationProvenance,
  options: CalibrationOptions = DEFAULT_CALIBRATION_OPTIONS,
): DemandCalibration {
  const set = buildDemandEvents(trips, options);
  const events = set.events;
  const bins = 1440 / options.binMinutes;
  const positions = options.interiorBins + 2;
  const effects = fitMainEffects(events, bins, positions, options.minStopEvents);
  const intensity = effects.position;
  const factors = effects.stops;
  const pos = ratioBy(events, (e) => e.positionBin, () => 0);

  const day = (dayType: DayType): DayProfile => dayProfile(events, dayType, bins, effects.rates, options.maxWaitMinutes);
  const positionEvents = Array.from({ length: positions }, (_, k) => pos.get(k)?.n ?? 0);
  const totalBoardings = events.reduce((n, e) => n + e.boardings, 0);
  const alight = new Map<number, { a: number; on: number }>();
  for (const e of events) {
    let acc = alight.get(e.positionBin);
    if (!acc) alight.set(e.positionBin, (acc = { a: 0, on: 0 }));
    acc.a += e.alightings;
    acc.on += e.onBoard;
  }

  const calibration: DemandCalibration = {
    format: CALIBRATION_FORMAT,
    methodVersion: CALIBRATION_METHOD_VERSION,
    provenance: {
      ...provenance,
      timeZone: options.timeZone,
      rowsUsed: events.length,
      tripsUsed: set.tripsUsed,
      tripsSkippedTooShort: set.tripsSkippedTooShort,
      tripsBalanceFixed: set.tripsBalanceFixed,
      notes: [...provenance.notes, `main effects fitted in ${effects.iterations} IPF iterations (last change of a shape value ${effects.change.toExponential(1)})`],
    },
    serviceDayStartHour: options.serviceDayStartHour,
    timeOfDay: { binMinutes: options.binMinutes, weekday: day('weekday'), weekend: day('weekend') },
    exposure: { maxWaitMinutes: options.maxWaitMinutes, missingTramFactor: options.missingTramFactor },
    position: {
      interiorBins: options.interiorBins,
      boardingIntensity: intensity.map((v) => round(v, 4)),
      boardingShare: Array.from({ length: positions }, (_, k) => round((pos.get(k)?.obs ?? 0) / Math.max(1, totalBoardings), 5)),
      alightingProbability: Array.from({ length: positions }, (_, k) => {
        if (k === positions - 1) return 1;
        const acc = alight.get(k);
        return acc && acc.on > 0 ? round(Math.min(1, acc.a / acc.on), 4) : 0;
      }),
      events: positionEvents,
    },
    stops: {
      minEvents: options.minStopEvents,
      factorQuantiles: quantileTable([...factors.values()]),
      lognormalSigma: round(sdOfLog([...factors.values()]), 4),
      factors: Object.fromEntries([...factors].sort((a, b) => a[0].localeCompare(b[0])).map(([id, f]) => [id, round(f, 4)])),
    },
    dispersion: { intercept: 1, slope: 0, classes: [] },
    groups: { method: 'quiet-events-panjer', sizeTable: [1], meanSize: 1, clusterIndex: 1, events: 0, quietBelow: QUIET_BELOW, bursts: { maxMeanGroups: 1, scale: 1 }, rateNoiseCv2: 0 },
  };

  // 5. Overdispersion within comparable cells (one stop, line, direction, day type and hour; the
  // expectation there is the cell's rate times the event's exposure), on events with a headway;
  // group sizes from the quiet ones, the remaining excess on bursts and a per-visit multiplier.
  const used = events.filter((e) => e.exposureObserved && e.positionBin !== positions - 1);
  const cells = withinCellExpectations(
    used.map(dispersionCell),
    used.map((e) => e.exposureMinutes),
    used.map((e) => e.boardings),
  );
  const fit = fitDispersion(cells.expected, cells.observed, 200, cells.correction);
  // Quiet by the main-effects model, not by the cell's own mean: that one is estimated from the
  // same counts, and choosing cells whose counts came out low would favour lone passengers.
  const quiet = used.filter((e) => expectedBoardings(calibration, e) < QUIET_BELOW).map((e) => e.boardings);
  const groups = fitGroupSizes(quiet, options.maxGroupSize);
  const table = groups.table.map((p) => round(p, 5));
  table[0] = round(1 - table.slice(1).reduce((a, b) => a + b, 0), 5);
  const moments = tableMoments(table);
  const clusterIndex = moments.meanSquare / moments.mean;
  const bursts = fitBurstsAndNoise(fit.classes, table);
  calibration.dispersion = {
    intercept: round(fit.intercept, 4),
    slope: round(fit.slope, 5),
    classes: fit.classes.map((c) => ({
      meanExpected: round(c.meanExpected, 3),
      meanObserved: round(c.meanObserved, 3),
      varianceToMean: round(c.varianceToMean, 3),
      events: c.events,
    })),
  };
  calibration.groups = {
    method: 'quiet-events-panjer',
    sizeTable: table,
    meanSize: round(moments.mean, 4),
    clusterIndex: round(clusterIndex, 4),
    events: groups.events,
    quietBelow: QUIET_BELOW,
    bursts: { maxMeanGroups: round(bursts.maxMeanGroups, 4), scale: round(bursts.scale, 4) },
    rateNoiseCv2: round(bursts.rateNoiseCv2, 5),
  };
  return calibration;
}

export interface MainEffects {
  rates: Map<string, { obs: number; exp: number; n: number }>;
  position: number[];
  stops: Map<string, number>;
  iterations: number;
  /** Largest change of a (mean-normalised) log rate or position intensity in the last iteration. */
  change: number;
}

/**
 * Iterative proportional fitting of rate × position × stop on the events with a headway. Stops
 * with fewer than `minStopEvents` events keep factor 1. Where a trip starts, no stop factor is
 * applied or learnt: a terminus is nearly always a first stop, so stop and position could not be
 * told apart there, and the first-stop intensity is meant to carry what a trip's start pulls in
 * (everyone bound anywhere along the line), relative to an ordinary stop. At the end, stop factors
 * have mean 1 over stops, position intensities an event-weighted mean of 1, and the rates absorb
 * the scale, so the expected boardings of each time bin equal the observed ones.
 */
/**
 * Pseudo-passengers added to a stop's observed and expected boardings: shrinks a factor towards 1
 * where position and stop can hardly be told apart (a stop that is nearly always the next-to-last),
 * which otherwise drifts for thousands of iterations.
 */
const STOP_PRIOR = 20;

/**
 * IPF stops when the published shapes move by less than 0.1% in an iteration. A stop that almost
 * always sits at the same place along its trips (Cornavin on line 15) trades off against the
 * position bins and its own factor ever more slowly: a ridge of the likelihood.
 */
const TOLERANCE = 1e-3;
const MAX_ITERATIONS = 2000;

/** Stop events expected to see fewer boardings than this are "quiet": mostly zero or one group. */
const QUIET_BELOW = 0.25;

export function fitMainEffects(events: readonly DemandEvent[], bins: number, positions: number, minStopEvents: number): MainEffects {
  const used = events.filter((e) => e.exposureObserved);
  const last = positions - 1;
  const stopEvents = new Map<string, number>();
  for (const e of used) if (e.positionBin !== 0 && e.positionBin !== last) stopEvents.set(e.stopId, (stopEvents.get(e.stopId) ?? 0) + 1);
  const stopIds = [...stopEvents].filter(([, n]) => n >= minStopEvents).map(([id]) => id).sort();
  const stopIndex = new Map(stopIds.map((id, i) => [id, i]));
  const n = used.length;
  const rIdx = new Int32Array(n);
  const pIdx = new Int32Array(n);
  const sIdx = new Int32Array(n);
  const obs = new Float64Array(n);
  const expo = new Float64Array(n);
  used.forEach((e, i) => {
    rIdx[i] = (e.dayType === 'weekday' ? 0 : bins) + e.timeBin;
    pIdx[i] = e.positionBin;
    sIdx[i] = e.positionBin === 0 || e.positionBin === last ? -1 : (stopIndex.get(e.stopId) ?? -1);
    obs[i] = e.boardings;
    expo[i] = e.exposureMinutes;
  });
  const rate = new Float64Array(2 * bins).fill(1);
  const pos = new Float64Array(positions).fill(1);
  const stop = new Float64Array(stopIds.length).fill(1);
  const sf = (i: number): number => (sIdx[i]! >= 0 ? stop[sIdx[i]!]! : 1);
  const update = (target: Float64Array, idx: Int32Array, base: (i: number) => number, prior = 0): void => {
    const o = new Float64Array(target.length);
    const x = new Float64Array(target.length);
    for (let i = 0; i < n; i++) {
      const k = idx[i]!;
      if (k < 0) continue;
      o[k]! += obs[i]!;
      x[k]! += base(i);
    }
    for (let k = 0; k < target.length; k++) {
      if (x[k]! > 0) target[k] = Math.max((o[k]! + prior) / (x[k]! + prior), 1e-6);
    }
  };
  let iterations = 0;
  // Convergence is judged on the shapes that are published (position intensities and rates, each
  // relative to its own mean): along the ridge described above they settle long before the
  // factors of the stops on it do.
  const binEvents = new Float64Array(positions);
  for (let i = 0; i < n; i++) binEvents[pIdx[i]!]!++;
  const shapes = (): number[] => {
    let pm = 0;
    for (let k = 0; k < positions; k++) pm += binEvents[k]! * pos[k]!;
    pm /= n || 1;
    const rm = rate.reduce((a, b) => a + b, 0) / rate.length;
    return [...[...pos].map((v) => v / pm), ...[...rate].map((v) => v / rm)];
  };
  let change = Infinity;
  let previous = shapes();
  for (; iterations < MAX_ITERATIONS && change > TOLERANCE; iterations++) {
    update(rate, rIdx, (i) => expo[i]! * pos[pIdx[i]!]! * sf(i));
    update(pos, pIdx, (i) => expo[i]! * rate[rIdx[i]!]! * sf(i));
    update(stop, sIdx, (i) => expo[i]! * rate[rIdx[i]!]! * pos[pIdx[i]!]!, STOP_PRIOR);
    const next = shapes();
    change = 0;
    next.forEach((v, k) => {
      if (v > 0 && previous[k]! > 0) change = Math.max(change, Math.abs(Math.log(v / previous[k]!)));
    });
    previous = next;
  }
  const stopMean = stop.length > 0 ? stop.reduce((a, b) => a + b, 0) / stop.length : 1;
  for (let k = 0; k < stop.length; k++) stop[k]! /= stopMean;
  // Keep predictions: the bins that carry stop factors take the scale the factors gave up.
  for (let k = 1; k < last; k++) pos[k]! *= stopMean;
  let posMean = 0;
  for (const e of events) posMean += pos[e.positionBin]!;
  posMean /= Math.max(1, events.length);
  for (let k = 0; k < positions; k++) pos[k]! /= posMean;
  const stops = new Map(stopIds.map((id, i) => [id, stop[i]!]));
  const position = [...pos];
  // The last rate pass: on the usable events, and on all events of bins that have none (the first
  // trams of the morning, whose previous tram ran the night before).
  const base = (e: DemandEvent): number => e.exposureMinutes * position[e.positionBin]! * (e.positionBin === 0 ? 1 : (stops.get(e.stopId) ?? 1));
  const rates = ratioBy(used, (e) => `${e.dayType}|${e.timeBin}`, base);
  for (const [k, acc] of ratioBy(events, (e) => `${e.dayType}|${e.timeBin}`, base)) if (!rates.has(k)) rates.set(k, acc);
  return { rates, position, stops, iterations, change };
}

/** The comparable cell of an event for the dispersion measure. */
export function dispersionCell(e: DemandEvent): string {
  return `${e.stopId}|${e.line}|${e.direction}|${e.dayType}|${e.hour}`;
}

function dayProfile(
  events: readonly DemandEvent[],
  dayType: DayType,
  bins: number,
  rates: Map<string, { obs: number; exp: number; n: number }>,
  maxWaitMinutes: number,
): DayProfile {
  const boardings = new Array<number>(bins).fill(0);
  const count = new Array<number>(bins).fill(0);
  const gaps: number[][] = Array.from({ length: bins }, () => []);
  const hourly = Array.from({ length: 24 }, () => ({ b: 0, n: 0 }));
  for (const e of events) {
    if (e.dayType !== dayType) continue;
    boardings[e.timeBin]! += e.boardings;
    count[e.timeBin]!++;
    if (e.gapMs !== undefined && e.gapMs <= maxWaitMinutes * 60_000) gaps[e.timeBin]!.push(e.gapMs / 60_000);
    hourly[e.hour]!.b += e.boardings;
    hourly[e.hour]!.n++;
  }
  const ratePerMinute = Array.from({ length: bins }, (_, b) => {
    const acc = rates.get(`${dayType}|${b}`);
    return acc && acc.exp > 0 ? acc.obs / acc.exp : 0;
  });
  const served = (values: number[]): number[] => values.filter((_, b) => count[b]! > 0);
  const meanRate = mean(served(ratePerMinute)) || 1;
  const meanBoardings = mean(served(boardings)) || 1;
  return {
    ratePerMinute: ratePerMinute.map((v) => round(v, 5)),
    profile: ratePerMinute.map((v) => round(v / meanRate, 4)),
    boardingsProfile: boardings.map((v) => round(v / meanBoardings, 4)),
    events: count,
    eventsWithHeadway: gaps.map((g) => g.length),
    medianHeadwayMinutes: gaps.map((g) => (g.length > 0 ? round(quantile(g, 0.5), 2) : null)),
    meanBoardingsPerEvent: hourly.map((h) => (h.n > 0 ? round(h.b / h.n, 3) : null)),
  };
}

function quantileTable(values: readonly number[]): number[] {
  if (values.length === 0) return new Array<number>(21).fill(1);
  return Array.from({ length: 21 }, (_, i) => round(Math.max(1e-4, quantile(values, i / 20)), 4));
}

function sdOfLog(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const logs = values.map(Math.log);
  const m = mean(logs);
  return Math.sqrt(logs.reduce((s, v) => s + (v - m) ** 2, 0) / (logs.length - 1));
}
