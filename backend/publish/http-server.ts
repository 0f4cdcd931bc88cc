/**
 * The backend's public face over HTTP: GTFS-Realtime vehicle positions with occupancy (protobuf and
 * JSON), the same as open-data JSON, and a small live board page for people. Serves only what the
 * OccupancyBoard holds (anonymised levels); nothing of the planning data.
 */
import { createServer, type Server } from 'node:http';
import type { Clock } from '../../common/clock.js';
import { gtfsOccupancyStatus, LEVEL_NAMES } from '../../contracts/occupancy-levels.js';
import type { Level } from '../../proto/frames.js';
import { vehiclePositionsFeed } from './gtfs-rt.js';
import type { OccupancyBoard } from './occupancy-board.js';

function page(board: ReturnType<OccupancyBoard['current']>, now: number): string {
  const colours = ['#bbb', '#4daf4a', '#ffb000', '#d7301f'];
  const rows = board
    .sort((a, b) => a.line - b.line || a.vehicle.localeCompare(b.vehicle, 'en', { numeric: true }))
    .map((v) => `<tr><td>${v.line}</td><td>${v.vehicle}</td><td>${v.stop}</td><td><span style="background:${colours[v.level] ?? '#bbb'}">&nbsp;&nbsp;&nbsp;</span> ${LEVEL_NAMES[v.level as Level] ?? '?'}</td><td>${v.occupancyTenths * 10} %</td><td>${Math.round((now - v.receivedAt) / 1000)} s</td></tr>`)
    .join('\n');
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30"><title>Besetzung der Straßenbahnen</title>
<style>body{font-family:system-ui,sans-serif;margin:24px}td,th{padding:4px 10px;text-align:left}</style></head><body>
<h1>Besetzung jetzt</h1><table><tr><th>Linie</th><th>Wagen</th><th>Halt</th><th>Besetzung</th><th>Anteil</th><th>vor</th></tr>
${rows || '<tr><td colspan="6">keine aktuellen Daten</td></tr>'}</table>
<p>Levels are anonymised on the vehicle; no counts per stop are published. GTFS-RT: <a href="/gtfs-rt/vehicle-positions.pb">vehicle-positions.pb</a>, open data: <a href="/api/occupancy.json">occupancy.json</a></p>
</body></html>`;
}

export function startPublicServer(board: OccupancyBoard, clock: Clock, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const now = clock.now();
    const current = board.current(now);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    switch (url.pathname) {
      case '/gtfs-rt/vehicle-positions.pb':
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(vehiclePositionsFeed(current, now)));
        return;
      case '/api/occupancy.json':
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(
          JSON.stringify({
            generatedAt: new Date(now).toISOString(),
            vehicles: current.map((v) => ({
              vehicle: v.vehicle,
              line: v.line,
              stop: v.stop,
              level: LEVEL_NAMES[v.level as Level] ?? 'unbekannt',
              gtfsOccupancyStatus: gtfsOccupancyStatus(v.level, v.occupancyTenths),
              occupancyPercentage: v.occupancyTenths * 10,
              updatedAt: new Date(v.receivedAt).toISOString(),
            })),
          }),
        );
        return;
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(current, now));
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
