/**
 * Builds a small static GTFS feed from the simulator's line files, with the same trips the bench
 * runs (service-plan.ts: headways, run times, dwell), so the backend's GTFS-RT can be matched
 * against a timetable in tests and demos. Stop positions are schematic (no coordinates in the line
 * files): stops are laid out along a straight line from Halle's Marktplatz and say so in stop_desc.
 * Beside the standard files it writes `ibis_destinations.txt` (route_id, direction_id,
 * ibis_destination, headsign): what the operator's IBIS destination codes (DS003) mean, which the
 * backend uses to tell the direction of a stop report. Never a source of real timetable data.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioRelative, type Scenario } from '../scenario.js';
import { loadLine, type LineData } from '../world/network-data.js';
import { planTrips, tripStops } from '../world/service-plan.js';

export interface StaticGtfsOptions {
  /** First and last day of the calendar, YYYYMMDD. */
  startDate: string;
  endDate: string;
  timeZone?: string;
  /** As the scenario runs the line (scenario `lines[].headwayScale`), by line id. */
  headwayScale?: Readonly<Record<string, number>>;
}

export interface StaticGtfsFiles {
  [file: string]: string;
}

const MARKT = { lat: 51.4825, lon: 11.9697 };

function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function csv(header: string[], rows: Array<Array<string | number>>): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Seconds since service-day start as GTFS HH:MM:SS (hours may pass 24). */
export function gtfsTime(seconds: number): string {
  const s = Math.round(seconds);
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Trip id of a planned departure: line, direction and departure time, e.g. halle-5-0-0730. */
export function tripId(lineId: string, direction: number, departureSeconds: number): string {
  return `${lineId}-${direction}-${gtfsTime(departureSeconds).slice(0, 5).replace(':', '')}`;
}

export function buildStaticGtfs(lines: readonly LineData[], options: StaticGtfsOptions): StaticGtfsFiles {
  const tz = options.timeZone ?? 'Europe/Berlin';
  const stops = new Map<string, { name: string; lat: number; lon: number }>();
  const routes: Array<Array<string | number>> = [];
  const trips: Array<Array<string | number>> = [];
  const stopTimes: Array<Array<string | number>> = [];
  const destinations: Array<Array<string | number>> = [];
  lines.forEach((line, li) => {
    routes.push([line.id, 'havag', String(line.line), line.name.replace(/^\d+\s*/, ''), 0]);
    // Schematic layout: each line a ray from the Marktplatz at its own bearing, 400 m per stop.
    const bearing = (li * 2 * Math.PI) / Math.max(1, lines.length);
    line.stops.forEach((s, k) => {
      if (stops.has(s.id)) return;
      const d = (k - (line.stops.length - 1) / 2) * 0.0036;
      stops.set(s.id, { name: s.name, lat: MARKT.lat + d * Math.cos(bearing), lon: MARKT.lon + (d * Math.sin(bearing)) / 0.62 });
    });
    for (const dir of line.directions) destinations.push([line.id, dir.id, dir.destinationId, dir.destinationName]);
    const dwell = line.service.dwellSeconds;
    // Offsets from the service day's start: plan on a day that starts at 0.
    for (const trip of planTrips(line, 0, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, options.headwayScale?.[line.id] ?? 1)) {
      const dep0 = trip.departure / 1000;
      const id = tripId(line.id, trip.direction, dep0);
      trips.push([line.id, 'daily', id, trip.destinationName, trip.direction]);
      const seq = tripStops(line, trip.direction);
      let t = dep0;
      seq.forEach((s, k) => {
        const arrival = t + s.runMs / 1000;
        const departure = arrival + (k > 0 && k < seq.length - 1 ? (s.hub ? dwell.hub : dwell.min) : 0);
        stopTimes.push([id, gtfsTime(arrival), gtfsTime(departure), s.id, k + 1]);
        t = departure;
      });
    }
  });
  return {
    'agency.txt': csv(['agency_id', 'agency_name', 'agency_url', 'agency_timezone', 'agency_lang'], [['havag', 'HAVAG (simulated)', 'https://havag.com', tz, 'de']]),
    'stops.txt': csv(
      ['stop_id', 'stop_name', 'stop_desc', 'stop_lat', 'stop_lon'],
      [...stops].map(([id, s]) => [id, s.name, 'schematic position (simulator)', s.lat.toFixed(6), s.lon.toFixed(6)]),
    ),
    'routes.txt': csv(['route_id', 'agency_id', 'route_short_name', 'route_long_name', 'route_type'], routes),
    'trips.txt': csv(['route_id', 'service_id', 'trip_id', 'trip_headsign', 'direction_id'], trips),
    'stop_times.txt': csv(['trip_id', 'arrival_time', 'departure_time', 'stop_id', 'stop_sequence'], stopTimes),
    'calendar.txt': csv(
      ['service_id', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'start_date', 'end_date'],
      [['daily', 1, 1, 1, 1, 1, 1, 1, options.startDate, options.endDate]],
    ),
    'ibis_destinations.txt': csv(['route_id', 'direction_id', 'ibis_destination', 'headsign'], destinations),
  };
}

export function writeStaticGtfs(dir: string, files: StaticGtfsFiles): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** The static GTFS of a scenario's lines, with a calendar over the scenario's year. */
export function staticGtfsForScenario(scenario: Scenario): StaticGtfsFiles {
  const lines = scenario.lines.map((l) => ({ data: loadLine(scenarioRelative(scenario, l.file)), headwayScale: l.headwayScale }));
  const year = scenario.date.slice(0, 4);
  return buildStaticGtfs(
    lines.map((l) => l.data),
    { startDate: `${year}0101`, endDate: `${year}1231`, timeZone: scenario.timeZone, headwayScale: Object.fromEntries(lines.map((l) => [l.data.id, l.headwayScale])) },
  );
}
