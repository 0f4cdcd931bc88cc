/**
 * The static GTFS feed the realtime feed refers to (`--gtfs dir`): routes, trips, stop times and
 * calendar, read once at start, and the matcher that finds the scheduled trip a vehicle is on from
 * what a tram reports (IBIS line, stop number along the trip, time of departure, and where known the
 * direction). Optional `ibis_destinations.txt` (route_id, direction_id, ibis_destination, headsign)
 * says which direction an IBIS destination code (DS003) means. Reads files only; never writes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../common/errors.js';
import { localClock, localToEpochMs, parseClockTime, parseServiceDate } from '../../common/time.js';

/** Parses RFC 4180 CSV (quotes, doubled quotes, CRLF or LF, a UTF-8 BOM) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

type Records = Array<Record<string, string>>;

function readTable(dir: string, file: string, required: readonly string[], optional = false): Records {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (optional) return [];
    throw new ConfigError(`--gtfs ${file}`, `missing in ${dir}`);
  }
  const [header, ...rows] = parseCsv(readFileSync(path, 'utf8'));
  if (!header) throw new ConfigError(`--gtfs ${file}`, 'empty file');
  const names = header.map((h) => h.trim());
  for (const r of required) if (!names.includes(r)) throw new ConfigError(`--gtfs ${file}`, `no column ${r}`);
  return rows.map((cells) => Object.fromEntries(names.map((n, i) => [n, cells[i]?.trim() ?? ''])));
}

export interface GtfsStopTime {
  stopId: string;
  stopSequence: number;
  /** Seconds after the service day's noon minus 12 h. */
  arrival: number;
  departure: number;
}

export interface GtfsTrip {
  tripId: string;
  routeId: string;
  serviceId: string;
  directionId: 0 | 1 | undefined;
  headsign: string;
  stops: GtfsStopTime[];
}

export interface TripMatch {
  tripId: string;
  routeId: string;
  directionId: 0 | 1 | undefined;
  /** Service date YYYYMMDD and the trip's first departure HH:MM:SS, as GTFS-RT TripDescriptor wants them. */
  startDate: string;
  startTime: string;
  headsign: string;
  /** The stop departed from (the IBIS stop number-th stop of the trip). */
  stopId: string;
  stopSequence: number;
  /** Its position in the trip, from 1 (the IBIS stop number it was matched as). */
  stopIndex: number;
  /** The next stop of the trip, undefined at the last one. */
  next: { stopId: string; stopSequence: number } | undefined;
  /** Reported departure minus scheduled departure, seconds. */
  delaySeconds: number;
}

export interface MatchQuery {
  line: number;
  /** Stop number along the trip, from 1 (IBIS DS010). */
  ibisStop: number;
  /** When the tram departed from it. */
  at: number;
  direction?: 0 | 1 | undefined;
  /** A trip to keep when it still fits (the one the vehicle was on). */
  prefer?: string | undefined;
}

interface Calendar {
  days: boolean[]; // Sunday first, as Date.getUTCDay
  start: string;
  end: string;
}

/** How late (or early) a tram may be and still be matched to a scheduled trip. */
const MAX_LATE_S = 30 * 60;
const MAX_EARLY_S = 10 * 60;

export class StaticGtfs {
  readonly timeZone: string;
  private readonly tripsByRoute = new Map<string, GtfsTrip[]>();
  private readonly routeByLine = new Map<number, string>();
  private readonly routeNames = new Map<string, string>();
  private readonly stopNames = new Map<string, string>();
  private readonly calendars = new Map<string, Calendar>();
  private readonly exceptions = new Map<string, Map<string, boolean>>();
  private readonly destinations = new Map<string, { directionId: 0 | 1; headsign: string }>();
  private readonly noonCache = new Map<string, number>();

  private constructor(dir: string) {
    const agency = readTable(dir, 'agency.txt', ['agency_timezone'], true);
    this.timeZone = agency[0]?.['agency_timezone'] || 'Europe/Berlin';
    for (const s of readTable(dir, 'stops.txt', ['stop_id', 'stop_name'])) this.stopNames.set(s['stop_id']!, s['stop_name']!);
    for (const r of readTable(dir, 'routes.txt', ['route_id', 'route_short_name'])) {
      const line = Number(r['route_short_name']);
      if (Number.isInteger(line) && !this.routeByLine.has(line)) this.routeByLine.set(line, r['route_id']!);
      this.routeNames.set(r['route_id']!, r['route_long_name'] || r['route_short_name']!);
    }
    for (const c of readTable(dir, 'calendar.txt', ['service_id', 'start_date', 'end_date'], true)) {
      const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].map((d) => c[d] === '1');
      this.calendars.set(c['service_id']!, { days, start: c['start_date']!, end: c['end_date']! });
    }
    for (const e of readTable(dir, 'calendar_dates.txt', ['service_id', 'date', 'exception_type'], true)) {
      const m = this.exceptions.get(e['service_id']!) ?? new Map<string, boolean>();
      m.set(e['date']!, e['exception_type'] === '1');
      this.exceptions.set(e['service_id']!, m);
    }
    if (this.calendars.size === 0 && this.exceptions.size === 0) throw new ConfigError('--gtfs calendar.txt', `missing in ${dir} (and no calendar_dates.txt)`);
    const trips = new Map<string, GtfsTrip>();
    for (const t of readTable(dir, 'trips.txt', ['route_id', 'service_id', 'trip_id'])) {
      const dir01 = t['direction_id'] === '0' ? 0 : t['direction_id'] === '1' ? 1 : undefined;
      trips.set(t['trip_id']!, { tripId: t['trip_id']!, routeId: t['route_id']!, serviceId: t['service_id']!, directionId: dir01, headsign: t['trip_headsign'] ?? '', stops: [] });
    }
    for (const st of readTable(dir, 'stop_times.txt', ['trip_id', 'stop_id', 'stop_sequence', 'arrival_time', 'departure_time'])) {
      const trip = trips.get(st['trip_id']!);
      if (!trip) continue;
      const arrival = parseClockTime(st['arrival_time']!);
      const departure = parseClockTime(st['departure_time']!) ?? arrival;
      // Stops without times (interpolated by consumers) cannot be matched against; keep them in order.
      trip.stops.push({ stopId: st['stop_id']!, stopSequence: Number(st['stop_sequence']), arrival: arrival ?? departure ?? NaN, departure: departure ?? NaN });
    }
    for (const trip of trips.values()) {
      if (trip.stops.length === 0) continue;
      trip.stops.sort((a, b) => a.stopSequence - b.stopSequence);
      const list = this.tripsByRoute.get(trip.routeId) ?? [];
      list.push(trip);
      this.tripsByRoute.set(trip.routeId, list);
    }
    for (const d of readTable(dir, 'ibis_destinations.txt', ['route_id', 'direction_id', 'ibis_destination'], true)) {
      this.destinations.set(`${d['route_id']}/${d['ibis_destination']}`, { directionId: d['direction_id'] === '1' ? 1 : 0, headsign: d['headsign'] ?? '' });
    }
  }

  /** Reads a GTFS directory; a missing file or column is a ConfigError naming it. */
  static load(dir: string): StaticGtfs {
    if (!existsSync(dir)) throw new ConfigError('--gtfs', `no such directory: ${dir}`);
    return new StaticGtfs(dir);
  }

  get tripCount(): number {
    let n = 0;
    for (const list of this.tripsByRoute.values()) n += list.length;
    return n;
  }

  routeOf(line: number): string | undefined {
    return this.routeByLine.get(line);
  }

  routeName(routeId: string): string | undefined {
    return this.routeNames.get(routeId);
  }

  stopName(stopId: string): string | undefined {
    return this.stopNames.get(stopId);
  }

  /** The direction an IBIS destination code means on a line (from ibis_destinations.txt). */
  directionOf(line: number, ibisDestination: number): 0 | 1 | undefined {
    const route = this.routeOf(line);
    return route === undefined ? undefined : this.destinations.get(`${route}/${ibisDestination}`)?.directionId;
  }

  /** The stops of a direction of a line in order, from its trip with the most stops. */
  stopPattern(line: number, direction: 0 | 1): string[] {
    const trips = (this.tripsByRoute.get(this.routeOf(line) ?? '') ?? []).filter((t) => t.directionId === direction);
    const longest = trips.reduce<GtfsTrip | undefined>((best, t) => (!best || t.stops.length > best.stops.length ? t : best), undefined);
    return longest?.stops.map((s) => s.stopId) ?? [];
  }

  runsOn(serviceId: string, date: string): boolean {
    const exception = this.exceptions.get(serviceId)?.get(date);
    if (exception !== undefined) return exception;
    const c = this.calendars.get(serviceId);
    if (!c || date < c.start || date > c.end) return false;
    const d = parseServiceDate(date)!;
    return c.days[new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay()] === true;
  }

  /** GTFS times count from noon minus 12 h of the service date (midnight except on DST days). */
  private dayBase(date: string): number {
    let base = this.noonCache.get(date);
    if (base === undefined) {
      const d = parseServiceDate(date)!;
      base = localToEpochMs(d.year, d.month, d.day, 12 * 3600, this.timeZone) - 12 * 3_600_000;
      this.noonCache.set(date, base);
    }
    return base;
  }

  /**
   * The scheduled trip of the line whose `ibisStop`-th stop departs nearest to `at` (within 10 min
   * early and 30 min late), in the given direction if known. A preferred trip that still fits wins.
   */
  match(q: MatchQuery): TripMatch | undefined {
    const route = this.routeOf(q.line);
    if (route === undefined || q.ibisStop < 1) return undefined;
    const today = localClock(q.at, this.timeZone).date;
    const yesterday = localClock(q.at - 86_400_000, this.timeZone).date;
    let best: { trip: GtfsTrip; date: string; delay: number; score: number } | undefined;
    for (const trip of this.tripsByRoute.get(route) ?? []) {
      if (q.direction !== undefined && trip.directionId !== undefined && trip.directionId !== q.direction) continue;
      const st = trip.stops[q.ibisStop - 1];
      if (!st || !Number.isFinite(st.departure)) continue;
      for (const date of [today, yesterday]) {
        if (!this.runsOn(trip.serviceId, date)) continue;
        const delay = (q.at - (this.dayBase(date) + st.departure * 1000)) / 1000;
        if (delay > MAX_LATE_S || delay < -MAX_EARLY_S) continue;
        const score = Math.abs(delay) - (trip.tripId === q.prefer ? MAX_LATE_S : 0);
        if (!best || score < best.score) best = { trip, date, delay, score };
      }
    }
    if (!best) return undefined;
    const { trip, date, delay } = best;
    const k = q.ibisStop - 1;
    const stop = trip.stops[k]!;
    const next = trip.stops[k + 1];
    const first = trip.stops[0]!;
    const h = Math.floor(first.departure / 3600);
    const startTime = `${String(h).padStart(2, '0')}:${String(Math.floor((first.departure % 3600) / 60)).padStart(2, '0')}:${String(first.departure % 60).padStart(2, '0')}`;
    return {
      tripId: trip.tripId,
      routeId: trip.routeId,
      directionId: trip.directionId,
      startDate: date,
      startTime,
      headsign: trip.headsign,
      stopId: stop.stopId,
      stopSequence: stop.stopSequence,
      stopIndex: q.ibisStop,
      next: next ? { stopId: next.stopId, stopSequence: next.stopSequence } : undefined,
      delaySeconds: Math.round(delay),
    };
  }
}
