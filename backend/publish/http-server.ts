/**
 * The backend's face over HTTP. Public: GTFS-Realtime vehicle positions with occupancy (matched to
 * the static GTFS's trips and stops when one is loaded), the same as JSON, the live board and the
 * open-data export (closed months, k-anonymous cells). For the operator's staff only, when started
 * with `internal` (bind it to an internal address): the load heatmap, the fleet's health and the
 * history API, which hold exact counts and device ids. Endpoints: docs/backend-publishing.md.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Clock } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import { localToEpochMs, parseServiceDate } from '../../common/time.js';
import { gtfsOccupancyStatus, LEVEL_NAMES } from '../../contracts/occupancy-levels.js';
import type { Level } from '../../proto/frames.js';
import { fleetPage, heatmapPage, livePage, openDataIndex } from './dashboard-pages.js';
import { sensorFaultNames, type FleetHealth } from './fleet-health.js';
import { vehiclePositionsFeed } from './gtfs-rt.js';
import { aggregateLoadFrom, SERVICE_DAY_START_HOUR, serviceTime, type ReportHistory } from './history.js';
import type { OccupancyBoard } from './occupancy-board.js';
import { DEFAULT_MIN_TRIPS, exportMonth, monthRange, openDataCsv, PUBLISH_AFTER_MS, type ExportResult } from './open-data.js';
import type { StaticGtfs } from './static-gtfs.js';

export interface PublishOptions {
  gtfs?: StaticGtfs | undefined;
  history?: ReportHistory | undefined;
  fleet?: FleetHealth | undefined;
  /** The DevEUI of a fleet number (for the vehicle-day API). */
  devEuiOf?: ((vehicle: string) => string | undefined) | undefined;
  /** Serve the staff pages and the history API too. */
  internal?: boolean;
  timeZone?: string;
  /** Open data: least stop events per published cell. */
  minTrips?: number;
  /** Which months are over, for open data (default: the feeds' clock). */
  wallClock?: Clock;
}

const log = moduleLogger('backend.http');

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const HTML_TYPE = { 'content-type': 'text/html; charset=utf-8' };

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(status, headers).end(body);
}

function notFound(res: ServerResponse, text = 'not found'): void {
  send(res, 404, { 'content-type': 'text/plain; charset=utf-8' }, `${text}\n`);
}

/** [start, end) of the service day `date` (YYYY-MM-DD): 03:00 to 03:00 the next day. */
function serviceDayRange(date: string, timeZone: string): { from: number; to: number } | undefined {
  const d = parseServiceDate(date);
  if (!d || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const from = localToEpochMs(d.year, d.month, d.day, SERVICE_DAY_START_HOUR * 3600, timeZone);
  return { from, to: localToEpochMs(d.year, d.month, d.day, (24 + SERVICE_DAY_START_HOUR) * 3600, timeZone) };
}

export function startPublicServer(board: OccupancyBoard, clock: Clock, port: number, host = '127.0.0.1', options: PublishOptions = {}): Promise<Server> {
  const { gtfs, history, fleet } = options;
  const internal = options.internal ?? false;
  const timeZone = options.timeZone ?? gtfs?.timeZone ?? 'Europe/Berlin';
  const minTrips = options.minTrips ?? DEFAULT_MIN_TRIPS;
  const wallClock = options.wallClock ?? clock;

  const closedMonths = async (): Promise<string[]> => {
    const span = await history?.span();
    if (!span) return [];
    const months: string[] = [];
    const first = serviceTime(span.first, timeZone).date.slice(0, 7);
    const last = serviceTime(span.last, timeZone).date.slice(0, 7);
    for (let m = first; m <= last; ) {
      if (monthRange(m, timeZone)!.to + PUBLISH_AFTER_MS <= wallClock.now()) months.push(m);
      const [y, mo] = m.split('-').map(Number) as [number, number];
      m = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
    }
    return months;
  };

  // A published month never changes (reports received after its cutoff are left out): keep a few.
  // Requests for a month being read share that read.
  const exports = new Map<string, Promise<ExportResult>>();
  const monthExport = (month: string): Promise<ExportResult> => {
    const cached = exports.get(month);
    if (cached) return cached;
    const result = exportMonth(history!, month, wallClock.now(), { timeZone, minTrips, gtfs });
    if (exports.size >= 24) exports.delete(exports.keys().next().value!);
    exports.set(month, result);
    // Refusals (a month not over yet) and failures (the store unreachable) are asked again next time.
    void result.then((r) => !r.ok && exports.delete(month), () => exports.delete(month));
    return result;
  };

  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    void answer(req.url, res);
  });

  const answer = async (reqUrl: string | undefined, res: ServerResponse): Promise<void> => {
    const now = clock.now();
    const url = new URL(reqUrl ?? '/', 'http://localhost');
    const path = url.pathname;
    try {
      if (path === '/') return send(res, 200, HTML_TYPE, livePage(board.current(now), now, gtfs, internal));
      if (path === '/gtfs-rt/vehicle-positions.pb') {
        return send(res, 200, { 'content-type': 'application/x-protobuf' }, Buffer.from(vehiclePositionsFeed(board.current(now), now, (line) => gtfs?.routeOf(line))));
      }
      if (path === '/api/occupancy.json') {
        return send(res, 200, JSON_TYPE, JSON.stringify({
          generatedAt: new Date(now).toISOString(),
          vehicles: board.current(now).map((v) => ({
            vehicle: v.vehicle,
            line: v.line,
            stop: v.stop,
            level: LEVEL_NAMES[v.level as Level] ?? 'unbekannt',
            gtfsOccupancyStatus: gtfsOccupancyStatus(v.level, v.occupancyTenths),
            occupancyPercentage: v.occupancyTenths * 10,
            updatedAt: new Date(v.receivedAt).toISOString(),
            ...(v.trip ? { trip: { tripId: v.trip.tripId, routeId: v.trip.routeId, directionId: v.trip.directionId ?? null, startDate: v.trip.startDate, startTime: v.trip.startTime, stopId: v.trip.stopId, nextStopId: v.trip.next?.stopId ?? null } } : {}),
          })),
        }));
      }
      if (path === '/open-data/' || path === '/open-data') return send(res, 200, HTML_TYPE, openDataIndex(await closedMonths(), minTrips, internal));
      const od = /^\/open-data\/load-(\d{4}-\d{2})\.(csv|json)$/.exec(path);
      if (od) {
        if (!history) return notFound(res, 'no report store');
        const result = await monthExport(od[1]!);
        if (!result.ok) return send(res, result.status, { 'content-type': 'text/plain; charset=utf-8' }, `${result.message}\n`);
        if (od[2] === 'csv') return send(res, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="havag-load-${od[1]}.csv"` }, openDataCsv(result.rows));
        return send(res, 200, JSON_TYPE, JSON.stringify({ month: od[1], minTrips, dictionary: 'docs/open-data.md', rows: result.rows }));
      }
      if (!internal) return notFound(res);

      // Staff only from here.
      if (path === '/dashboard/fleet') return send(res, 200, HTML_TYPE, fleetPage(fleet?.list() ?? [], now));
      if (path === '/api/fleet.json') {
        return send(res, 200, JSON_TYPE, JSON.stringify({
          generatedAt: new Date(now).toISOString(),
          gateways: (fleet?.list() ?? []).map((g) => ({
            vehicle: g.vehicle ?? null,
            devEui: g.devEui,
            lastSeen: new Date(g.lastSeen).toISOString(),
            lastLive: g.lastLive !== undefined ? new Date(g.lastLive).toISOString() : null,
            lastReport: g.lastReport !== undefined ? new Date(g.lastReport).toISOString() : null,
            healthAt: g.healthAt !== undefined ? new Date(g.healthAt).toISOString() : null,
            sensorFaults: g.health ? sensorFaultNames(g.health.sensorFaults) : null,
            health: g.health ?? null,
          })),
        }));
      }
      if (path === '/dashboard/load' || path === '/api/history/load.json') {
        if (!history) return notFound(res, 'no report store');
        const date = url.searchParams.get('date') ?? serviceTime(now, timeZone).date;
        const range = serviceDayRange(date, timeZone);
        if (!range) return send(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, `date must be YYYY-MM-DD, got ${date}\n`);
        const lines = await history.lines(range.from, range.to);
        const lineParam = url.searchParams.get('line');
        const line = lineParam ? Number(lineParam) : lines[0];
        const cells = line !== undefined && Number.isInteger(line) ? await aggregateLoadFrom(history.between(range.from, range.to, line), timeZone, gtfs) : [];
        if (path === '/dashboard/load') return send(res, 200, HTML_TYPE, heatmapPage(cells, { date, line, direction: url.searchParams.get('direction') ?? '', lines }));
        return send(res, 200, JSON_TYPE, JSON.stringify({ date, line: line ?? null, lines, cells }));
      }
      if (path === '/api/history/vehicle-day.json') {
        if (!history) return notFound(res, 'no report store');
        const vehicle = url.searchParams.get('vehicle') ?? '';
        const date = url.searchParams.get('date') ?? serviceTime(now, timeZone).date;
        const range = serviceDayRange(date, timeZone);
        if (!range) return send(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, `date must be YYYY-MM-DD, got ${date}\n`);
        const devEui = options.devEuiOf?.(vehicle);
        if (!devEui) return notFound(res, `vehicle ${vehicle} is not in the fleet inventory`);
        const reports = (await history.ofDevice(devEui, range.from, range.to)).map((r) => ({
          seq: r.seq,
          departure: new Date(r.departure).toISOString(),
          hour: serviceTime(r.departure, timeZone).hour,
          line: r.line,
          course: r.course,
          destination: r.destination,
          direction: gtfs?.directionOf(r.line, r.destination) ?? null,
          stop: r.stop,
          stopId: (() => {
            const dir = gtfs?.directionOf(r.line, r.destination);
            return dir !== undefined ? (gtfs!.stopPattern(r.line, dir)[r.stop - 1] ?? null) : null;
          })(),
          boardings: r.boardings,
          alightings: r.alightings,
          load: r.load,
          flags: r.flags,
        }));
        return send(res, 200, JSON_TYPE, JSON.stringify({ vehicle, date, serviceDayStartsAt: new Date(range.from).toISOString(), reports }));
      }
      return notFound(res);
    } catch (error) {
      log.error({ path, error: (error as Error).message }, 'request failed');
      if (!res.headersSent) send(res, 500, { 'content-type': 'text/plain; charset=utf-8' }, 'internal error\n');
      else res.destroy();
    }
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

