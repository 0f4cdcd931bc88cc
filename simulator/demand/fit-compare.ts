/**
 * Runs the calibrated demand model on the source data's own trips (same stops, times and headways)
 * and compares what it draws with what was counted: time-of-day profile, shape along the trip,
 * variance/mean, daily totals. Pure apart from the Rng: no I/O, so tests can run it on small sets.
 */
import { Rng } from '../../common/random.js';
import { correlation, mean } from '../../common/stats.js';
import { dispersionCell, expectedBoardings, sourceStopWeight } from './calibration.js';
import type { DemandCalibration } from './calibration-schema.js';
import { CalibratedDemand, type CalibratedDemandOptions } from './demand-model.js';
import { fitDispersion, withinCellExpectations } from './dispersion.js';
import type { DayType } from '../../common/time.js';
import type { ReplayTrip } from './replay-trip.js';
import { buildDemandEvents, DEFAULT_EVENT_OPTIONS, type DemandEvent } from './stop-events.js';

export interface FitOptions {
  seed: number;
  /** Vehicle capacity in the replay (Geneva's trams: about 250 in all). */
  capacity: number;
  /**
   * 'source': each stop keeps its calibrated factor (as stopWeight), no drawn factor: the model on
   * the very network it was fitted on. 'drawn': every stop weight 1 and factors drawn from the
   * spread, as the model runs on a network it does not know.
   */
  stops: 'source' | 'drawn';
}

export interface SeriesPair {
  data: number[];
  model: number[];
}

export interface FitReport {
  options: FitOptions;
  events: number;
  /** Total boardings per time bin, normalised to mean 1 over bins with service. */
  profile: Record<DayType, SeriesPair & { correlation: number; relativeRmse: number }>;
  binMinutes: number;
  /** Share of boardings and of alightings per position bin. */
  boardingShare: SeriesPair;
  alightingShare: SeriesPair;
  /** var/mean within comparable cells, in classes of equal expected mean (the calibration's measure). */
  dispersion: { meanExpected: number[]; data: number[]; model: number[]; events: number[] };
  /** var/mean within cells of one stop, line, direction, day type and hour (events-weighted mean). */
  cellVarianceToMean: { data: number; model: number; cells: number };
  daily: { date: string; data: number; model: number; errorPct: number }[];
  total: { data: number; model: number; errorPct: number };
  meanBoardingsPerEvent: { data: number; model: number };
  /**
   * Boardings against the gap since the previous tram, relative to the typical gap: per class of
   * gap/typical, boardings divided by what the model expects for a typical gap. The model grows
   * linearly with the gap up to its cap; the counts show how boardings really grow.
   */
  byGap: { ratio: string[]; data: number[]; model: number[]; events: number[] };
  /** Visits where somebody could not board, and passengers who gave up. */
  capacityLimitedVisits: number;
  gaveUp: number;
}

export function compareFit(calibration: DemandCalibration, trips: readonly ReplayTrip[], options: FitOptions): FitReport {
  const eventOptions = {
    ...DEFAULT_EVENT_OPTIONS,
    timeZone: calibration.provenance.timeZone,
    serviceDayStartHour: calibration.serviceDayStartHour,
    binMinutes: calibration.timeOfDay.binMinutes,
    interiorBins: calibration.position.interiorBins,
    maxWaitMinutes: calibration.exposure.maxWaitMinutes,
    missingTramFactor: calibration.exposure.missingTramFactor,
  };
  const { events } = buildDemandEvents(trips, eventOptions);
  const modelOptions: CalibratedDemandOptions = {
    timeZone: calibration.provenance.timeZone,
    stopFactorSpread: options.stops === 'source' ? 0 : 1,
  };
  const model = new CalibratedDemand(calibration, modelOptions);
  const rng = new Rng(options.seed);
  const simB = new Array<number>(events.length).fill(0);
  const simA = new Array<number>(events.length).fill(0);
  let capacityLimitedVisits = 0;
  let onBoard = 0;
  events.forEach((e, i) => {
    if (e.stopIndex === 0) onBoard = 0;
    const demand = model.visit(
      {
        time: e.time,
        lineId: e.line,
        direction: e.direction,
        stopIndex: e.stopIndex,
        stopCount: e.stopCount,
        stopWeight: options.stops === 'source' ? sourceStopWeight(calibration, e) : 1,
        stopId: e.stopId,
        sinceLastDepartureMs: e.exposureMinutes * 60_000,
        onBoard,
        capacity: options.capacity,
        isTerminus: e.stopIndex === e.stopCount - 1,
      },
      rng,
    );
    const boarded = demand.boardingGroups.reduce((a, b) => a + b, 0);
    if (demand.leftBehind > 0) capacityLimitedVisits++;
    simB[i] = boarded;
    simA[i] = demand.alightings;
    onBoard += boarded - demand.alightings;
  });

  const bins = 1440 / calibration.timeOfDay.binMinutes;
  const profile = (day: DayType): FitReport['profile'][DayType] => {
    const data = new Array<number>(bins).fill(0);
    const sim = new Array<number>(bins).fill(0);
    const served = new Array<boolean>(bins).fill(false);
    events.forEach((e, i) => {
      if (e.dayType !== day) return;
      data[e.timeBin]! += e.boardings;
      sim[e.timeBin]! += simB[i]!;
      served[e.timeBin] = true;
    });
    const norm = (v: number[]): number[] => {
      const m = mean(v.filter((_, b) => served[b])) || 1;
      return v.map((x) => x / m);
    };
    const d = norm(data);
    const s = norm(sim);
    const idx = d.map((_, b) => b).filter((b) => served[b]);
    return {
      data: d,
      model: s,
      correlation: correlation(idx.map((b) => d[b]!), idx.map((b) => s[b]!)),
      relativeRmse: Math.sqrt(mean(idx.map((b) => (d[b]! - s[b]!) ** 2))),
    };
  };

  const positions = calibration.position.interiorBins + 2;
  const share = (values: (e: DemandEvent, i: number) => number): number[] => {
    const out = new Array<number>(positions).fill(0);
    events.forEach((e, i) => (out[e.positionBin]! += values(e, i)));
    const total = out.reduce((a, b) => a + b, 0) || 1;
    return out.map((v) => v / total);
  };

  // var/mean within comparable cells, measured the same way on the counts and on the draws.
  const used = events.map((e, i) => [e, i] as const).filter(([e]) => e.exposureObserved && e.positionBin !== positions - 1);
  const cellKeys = used.map(([e]) => dispersionCell(e));
  const exposure = used.map(([e]) => e.exposureMinutes);
  const dataCells = withinCellExpectations(cellKeys, exposure, used.map(([e]) => e.boardings));
  const simCells = withinCellExpectations(cellKeys, exposure, used.map(([, i]) => simB[i]!));
  const dataDisp = fitDispersion(dataCells.expected, dataCells.observed, 200, dataCells.correction);
  const simDisp = fitDispersion(simCells.expected, simCells.observed, 200, simCells.correction);
  const classes = dataDisp.classes.map((c) => {
    const m = simDisp.classes.find((s) => Math.abs(Math.log(s.meanExpected / c.meanExpected)) < 0.35);
    return { meanExpected: c.meanExpected, data: c.varianceToMean, model: m ? m.varianceToMean : NaN, events: c.events };
  });

  const gapEdges = [0, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, Infinity];
  const gapAcc = gapEdges.slice(1).map(() => ({ data: 0, model: 0, base: 0, n: 0 }));
  events.forEach((e, i) => {
    if (e.gapMs === undefined || !e.exposureObserved || e.positionBin === positions - 1 || !(e.typicalGapMinutes > 0)) return;
    const r = e.gapMs / 60_000 / e.typicalGapMinutes;
    const k = gapEdges.findIndex((edge, j) => j > 0 && r < edge) - 1;
    const acc = gapAcc[k]!;
    acc.data += e.boardings;
    acc.model += simB[i]!;
    acc.base += expectedBoardings(calibration, { ...e, exposureMinutes: e.typicalGapMinutes });
    acc.n++;
  });

  const dates = [...new Set(events.map((e) => trips[e.tripIndex]!.date))].sort();
  const daily = dates.map((date) => {
    let data = 0;
    let sim = 0;
    events.forEach((e, i) => {
      if (trips[e.tripIndex]!.date !== date) return;
      data += e.boardings;
      sim += simB[i]!;
    });
    return { date, data, model: sim, errorPct: pct(sim, data) };
  });
  const totalData = daily.reduce((n, d) => n + d.data, 0);
  const totalSim = daily.reduce((n, d) => n + d.model, 0);
  return {
    options,
    events: events.length,
    profile: { weekday: profile('weekday'), weekend: profile('weekend') },
    binMinutes: calibration.timeOfDay.binMinutes,
    boardingShare: { data: share((e) => e.boardings), model: share((_, i) => simB[i]!) },
    alightingShare: { data: share((e) => e.alightings), model: share((_, i) => simA[i]!) },
    dispersion: {
      meanExpected: classes.map((c) => c.meanExpected),
      data: classes.map((c) => c.data),
      model: classes.map((c) => c.model),
      events: classes.map((c) => c.events),
    },
    cellVarianceToMean: cellDispersion(events, simB),
    byGap: {
      ratio: gapAcc.map((_, k) => `${gapEdges[k]}-${gapEdges[k + 1] === Infinity ? '' : gapEdges[k + 1]}`),
      data: gapAcc.map((a) => (a.base > 0 ? a.data / a.base : NaN)),
      model: gapAcc.map((a) => (a.base > 0 ? a.model / a.base : NaN)),
      events: gapAcc.map((a) => a.n),
    },
    daily,
    total: { data: totalData, model: totalSim, errorPct: pct(totalSim, totalData) },
    meanBoardingsPerEvent: { data: totalData / Math.max(1, events.length), model: totalSim / Math.max(1, events.length) },
    capacityLimitedVisits,
    gaveUp: model.stats().gaveUp,
  };
}

function pct(model: number, data: number): number {
  return data > 0 ? (100 * (model - data)) / data : 0;
}

/** var/mean of boardings within cells (stop, line, direction, day type, hour) of >= 5 events. */
function cellDispersion(events: readonly DemandEvent[], sim: readonly number[]): FitReport['cellVarianceToMean'] {
  const cells = new Map<string, number[]>();
  events.forEach((e, i) => {
    if (e.stopIndex === e.stopCount - 1) return;
    const key = `${e.stopId}|${e.line}|${e.direction}|${e.dayType}|${e.hour}`;
    let list = cells.get(key);
    if (!list) cells.set(key, (list = []));
    list.push(i);
  });
  let wData = 0;
  let wSim = 0;
  let n = 0;
  let count = 0;
  for (const idx of cells.values()) {
    if (idx.length < 5) continue;
    const d = vmr(idx.map((i) => events[i]!.boardings));
    const s = vmr(idx.map((i) => sim[i]!));
    if (!Number.isFinite(d) || !Number.isFinite(s)) continue;
    wData += d * idx.length;
    wSim += s * idx.length;
    n += idx.length;
    count++;
  }
  return { data: wData / Math.max(1, n), model: wSim / Math.max(1, n), cells: count };
}

function vmr(values: readonly number[]): number {
  const m = mean(values);
  if (!(m > 0)) return NaN;
  const v = values.reduce((s, x) => s + (x - m) ** 2, 0) / (values.length - 1);
  return v / m;
}
