/**
 * What history, the heatmap and open data make of the stored reports: service days and hours, and
 * the aggregation of reports into load per line, direction, stop and hour of the service day. The
 * reports come from whichever store the backend runs on (backend/store/report-history.ts: SQLite,
 * PostgreSQL, memory), page by page, so a month is aggregated without holding its reports.
 */
import { localClock } from '../../common/time.js';
import type { HistoryReport } from '../store/report-history.js';
import type { StaticGtfs } from './static-gtfs.js';

export type { HistoryReport, ReportHistory } from '../store/report-history.js';

/** Service days start at 03:00: a departure at 00:40 belongs to the evening before, as hour 24. */
export const SERVICE_DAY_START_HOUR = 3;

export type DayType = 'Mo-Fr' | 'Sa' | 'So';

export interface ServiceTime {
  /** Service date YYYY-MM-DD. */
  date: string;
  /** Hour of the service day: 3..26 (24..26 are after midnight). */
  hour: number;
  dayType: DayType;
}

export function serviceTime(t: number, timeZone: string): ServiceTime {
  const local = localClock(t, timeZone);
  const hour = Math.floor(local.secondsOfDay / 3600);
  const shifted = hour < SERVICE_DAY_START_HOUR ? localClock(t - 86_400_000, timeZone) : local;
  const d = shifted.date;
  const dayType: DayType = shifted.weekday === 0 ? 'So' : shifted.weekday === 6 ? 'Sa' : 'Mo-Fr';
  return { date: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`, hour: hour < SERVICE_DAY_START_HOUR ? hour + 24 : hour, dayType };
}

export interface LoadCell {
  line: number;
  /** GTFS direction_id where the static GTFS knows the IBIS destination, else undefined. */
  direction: 0 | 1 | undefined;
  /** The IBIS destination code when the direction is not known (then cells are per destination). */
  destination: number | undefined;
  /** Stop number along the trip (IBIS DS010). */
  ibisStop: number;
  stopId: string | undefined;
  stopName: string | undefined;
  hour: number;
  dayType: DayType;
  /** Stop events in the cell: one per trip that served the stop in that hour. */
  trips: number;
  meanLoad: number;
  maxLoad: number;
  meanBoardings: number;
  meanAlightings: number;
}

interface Sum {
  cell: Omit<LoadCell, 'trips' | 'meanLoad' | 'maxLoad' | 'meanBoardings' | 'meanAlightings'>;
  n: number;
  load: number;
  max: number;
  boardings: number;
  alightings: number;
}

/**
 * Mean load per line, direction, stop, service hour and day type. Directions and stop ids come from
 * the static GTFS (the IBIS destination read through ibis_destinations.txt, the stop as the n-th of
 * the direction's longest pattern); without it cells are keyed by destination code and stop number.
 */
export function aggregateLoad(reports: Iterable<HistoryReport>, timeZone: string, gtfs?: StaticGtfs): LoadCell[] {
  const aggregator = new LoadAggregator(timeZone, gtfs);
  for (const r of reports) aggregator.add(r);
  return aggregator.cells();
}

/** The same from reports read page by page from a store (history.between). */
export async function aggregateLoadFrom(reports: AsyncIterable<HistoryReport>, timeZone: string, gtfs?: StaticGtfs): Promise<LoadCell[]> {
  const aggregator = new LoadAggregator(timeZone, gtfs);
  for await (const r of reports) aggregator.add(r);
  return aggregator.cells();
}

class LoadAggregator {
  private readonly sums = new Map<string, Sum>();
  private readonly patterns = new Map<string, string[]>();
  // Zone offsets are multiples of 15 minutes and change on quarter hours: one lookup per quarter.
  private readonly quarters = new Map<number, ServiceTime>();

  constructor(
    private readonly timeZone: string,
    private readonly gtfs: StaticGtfs | undefined,
  ) {}

  add(r: HistoryReport): void {
    const { sums, patterns, quarters, timeZone, gtfs } = this;
    const direction = gtfs?.directionOf(r.line, r.destination);
    const quarter = Math.floor(r.departure / 900_000);
    let st = quarters.get(quarter);
    if (!st) quarters.set(quarter, (st = serviceTime(quarter * 900_000, timeZone)));
    const { hour, dayType } = st;
    const key = `${r.line}/${direction ?? `d${r.destination}`}/${r.stop}/${dayType}/${hour}`;
    let sum = sums.get(key);
    if (!sum) {
      let stopId: string | undefined;
      if (gtfs && direction !== undefined) {
        const pk = `${r.line}/${direction}`;
        let pattern = patterns.get(pk);
        if (!pattern) patterns.set(pk, (pattern = gtfs.stopPattern(r.line, direction)));
        stopId = pattern[r.stop - 1];
      }
      sum = {
        cell: { line: r.line, direction, destination: direction === undefined ? r.destination : undefined, ibisStop: r.stop, stopId, stopName: stopId ? gtfs?.stopName(stopId) : undefined, hour, dayType },
        n: 0, load: 0, max: 0, boardings: 0, alightings: 0,
      };
      sums.set(key, sum);
    }
    sum.n++;
    sum.load += r.load;
    sum.max = Math.max(sum.max, r.load);
    sum.boardings += r.boardings;
    sum.alightings += r.alightings;
  }

  cells(): LoadCell[] {
    return [...this.sums.values()]
      .map((s) => ({ ...s.cell, trips: s.n, meanLoad: s.load / s.n, maxLoad: s.max, meanBoardings: s.boardings / s.n, meanAlightings: s.alightings / s.n }))
      .sort((a, b) => a.line - b.line || (a.direction ?? a.destination ?? 0) - (b.direction ?? b.destination ?? 0) || a.ibisStop - b.ibisStop || a.dayType.localeCompare(b.dayType) || a.hour - b.hour);
  }
}
