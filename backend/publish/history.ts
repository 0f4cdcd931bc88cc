/**
 * Read queries over the stored stop reports, for the history API, the heatmap and the open-data
 * export: the backend's own store file opened a second time (SQLite WAL lets readers run beside the
 * writer). It adds one index (reports by departure) and never writes a report. The aggregation
 * below turns reports into load per line, direction, stop and hour of the service day.
 */
import Database from 'better-sqlite3';
import { localClock } from '../../common/time.js';
import type { StopReport } from '../../proto/frames.js';
import type { StaticGtfs } from './static-gtfs.js';

/** A stored stop report as history reads it: the report as decoded, with its device and arrival. */
export type HistoryReport = StopReport & { devEui: string; receivedAt: number };

export interface ReportHistory {
  /** Reports departing in [from, to), in departure order; optionally of one line, or only those received before `receivedBefore`. */
  between(from: number, to: number, line?: number, receivedBefore?: number): Iterable<HistoryReport>;
  /** One device's reports departing in [from, to), in departure order. */
  ofDevice(devEui: string, from: number, to: number): HistoryReport[];
  /** Departures of the first and the last report stored, undefined when there is none. */
  span(): { first: number; last: number } | undefined;
  close(): void;
}

const COLUMNS = 'dev_eui AS devEui, seq, departure, stop, line, course, destination, boardings, alightings, load, flags, received_at AS receivedAt';

export class SqliteReportHistory implements ReportHistory {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(path: string) {
    this.db = new Database(path, { fileMustExist: true });
    this.db.exec('CREATE INDEX IF NOT EXISTS reports_by_departure ON reports (departure)');
    this.stmts = {
      between: this.db.prepare<[number, number], HistoryReport>(`SELECT ${COLUMNS} FROM reports WHERE departure >= ? AND departure < ? ORDER BY departure`),
      betweenLine: this.db.prepare<[number, number, number], HistoryReport>(`SELECT ${COLUMNS} FROM reports WHERE departure >= ? AND departure < ? AND line = ? ORDER BY departure`),
      betweenReceived: this.db.prepare<[number, number, number], HistoryReport>(`SELECT ${COLUMNS} FROM reports WHERE departure >= ? AND departure < ? AND received_at < ? ORDER BY departure`),
      span: this.db.prepare<[], { first: number | null; last: number | null }>('SELECT MIN(departure) AS first, MAX(departure) AS last FROM reports'),
      ofDevice: this.db.prepare<[string, number, number], HistoryReport>(`SELECT ${COLUMNS} FROM reports WHERE dev_eui = ? AND departure >= ? AND departure < ? ORDER BY departure`),
    };
  }

  between(from: number, to: number, line?: number, receivedBefore?: number): Iterable<HistoryReport> {
    if (receivedBefore !== undefined) {
      const rows = this.stmts.betweenReceived.iterate(from, to, receivedBefore);
      return line === undefined ? rows : [...rows].filter((r) => r.line === line);
    }
    return line === undefined ? this.stmts.between.iterate(from, to) : this.stmts.betweenLine.iterate(from, to, line);
  }

  ofDevice(devEui: string, from: number, to: number): HistoryReport[] {
    return this.stmts.ofDevice.all(devEui.toLowerCase(), from, to);
  }

  span(): { first: number; last: number } | undefined {
    const row = this.stmts.span.get();
    return row && row.first !== null && row.last !== null ? { first: row.first, last: row.last } : undefined;
  }

  close(): void {
    this.db.close();
  }
}

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
  const sums = new Map<string, Sum>();
  const patterns = new Map<string, string[]>();
  // Zone offsets are multiples of 15 minutes and change on quarter hours: one lookup per quarter.
  const quarters = new Map<number, ServiceTime>();
  for (const r of reports) {
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
  return [...sums.values()]
    .map((s) => ({ ...s.cell, trips: s.n, meanLoad: s.load / s.n, maxLoad: s.max, meanBoardings: s.boardings / s.n, meanAlightings: s.alightings / s.n }))
    .sort((a, b) => a.line - b.line || (a.direction ?? a.destination ?? 0) - (b.direction ?? b.destination ?? 0) || a.ibisStop - b.ibisStop || a.dayType.localeCompare(b.dayType) || a.hour - b.hour);
}
