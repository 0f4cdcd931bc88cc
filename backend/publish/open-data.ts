/**
 * The open-data export: load per line, direction, stop, day type and service hour over one closed
 * calendar month, aggregated so that no trip and no vehicle can be re-identified:
 *  - a cell is published only when at least `minTrips` stop events (one per trip serving the stop
 *    in that hour) fall in it; smaller cells are marked suppressed, with no figures;
 *  - only calendar months that are over, a week after their end, and only the reports received by
 *    then (reports held back in an outbox arrive late): two exports of a month are identical, so
 *    one day cannot be read off the difference of two downloads;
 *  - hour buckets of the service day, no times, no vehicles, courses, sequence numbers or flags;
 *  - means only, loads rounded to 5 passengers, boardings and alightings to whole passengers.
 * The data dictionary is docs/open-data.md.
 */
import { localToEpochMs } from '../../common/time.js';
import { aggregateLoadFrom, type LoadCell, type ReportHistory } from './history.js';
import type { StaticGtfs } from './static-gtfs.js';

export const DEFAULT_MIN_TRIPS = 5;
/** A month is published this long after its end, from the reports received until then. */
export const PUBLISH_AFTER_MS = 7 * 86_400_000;

export interface OpenDataRow {
  month: string;
  line: number;
  route_id: string | null;
  direction_id: number | null;
  ibis_destination: number | null;
  stop_id: string | null;
  stop_name: string | null;
  stop_number: number;
  day_type: string;
  hour: number;
  suppressed: boolean;
  trips: number | null;
  mean_load: number | null;
  mean_boardings: number | null;
  mean_alightings: number | null;
}

export const OPEN_DATA_COLUMNS: ReadonlyArray<keyof OpenDataRow> = [
  'month', 'line', 'route_id', 'direction_id', 'ibis_destination', 'stop_id', 'stop_name', 'stop_number', 'day_type', 'hour',
  'suppressed', 'trips', 'mean_load', 'mean_boardings', 'mean_alightings',
];

/** [start, end) of a calendar month 'YYYY-MM' in the time zone, or undefined when it is not one. */
export function monthRange(month: string, timeZone: string): { from: number; to: number } | undefined {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) return undefined;
  // The service day starts at 03:00: the first night's late trips belong to the month before.
  return { from: localToEpochMs(y, mo, 1, 3 * 3600, timeZone), to: localToEpochMs(mo === 12 ? y + 1 : y, mo === 12 ? 1 : mo + 1, 1, 3 * 3600, timeZone) };
}

export const roundTo = (x: number, step: number) => Math.round(x / step) * step;

export function openDataRows(cells: readonly LoadCell[], month: string, minTrips: number, gtfs?: StaticGtfs): OpenDataRow[] {
  return cells.map((c) => {
    const shown = c.trips >= minTrips;
    return {
      month,
      line: c.line,
      route_id: gtfs?.routeOf(c.line) ?? null,
      direction_id: c.direction ?? null,
      ibis_destination: c.direction === undefined ? (c.destination ?? null) : null,
      stop_id: c.stopId ?? null,
      stop_name: c.stopName ?? null,
      stop_number: c.ibisStop,
      day_type: c.dayType,
      hour: c.hour,
      suppressed: !shown,
      trips: shown ? c.trips : null,
      mean_load: shown ? roundTo(c.meanLoad, 5) : null,
      mean_boardings: shown ? Math.round(c.meanBoardings) : null,
      mean_alightings: shown ? Math.round(c.meanAlightings) : null,
    };
  });
}

export type ExportResult = { ok: true; rows: OpenDataRow[] } | { ok: false; status: number; message: string };

/** The export of one month, read from the store page by page; refused (with a reason) for a month that is not over or not a month. */
export async function exportMonth(history: ReportHistory, month: string, now: number, options: { timeZone: string; minTrips: number; gtfs?: StaticGtfs | undefined }): Promise<ExportResult> {
  const range = monthRange(month, options.timeZone);
  if (!range) return { ok: false, status: 400, message: `month must be YYYY-MM, got ${month}` };
  const cutoff = range.to + PUBLISH_AFTER_MS;
  if (cutoff > now) return { ok: false, status: 404, message: `month ${month} is published from ${new Date(cutoff).toISOString().slice(0, 10)}: only closed months, a week after their end` };
  const cells = await aggregateLoadFrom(history.between(range.from, range.to, undefined, cutoff), options.timeZone, options.gtfs);
  return { ok: true, rows: openDataRows(cells, month, options.minTrips, options.gtfs) };
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function openDataCsv(rows: readonly OpenDataRow[]): string {
  return [OPEN_DATA_COLUMNS.join(','), ...rows.map((r) => OPEN_DATA_COLUMNS.map((c) => csvField(r[c])).join(','))].join('\r\n') + '\r\n';
}
