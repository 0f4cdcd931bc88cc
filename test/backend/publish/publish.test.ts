import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VirtualClock } from '../../../common/clock.js';
import { GtfsOccupancyStatus } from '../../../contracts/occupancy-levels.js';
import { decodeFeed } from '../../../backend/publish/gtfs-rt.js';
import { startPublicServer } from '../../../backend/publish/http-server.js';
import { OccupancyBoard } from '../../../backend/publish/occupancy-board.js';
import { Level } from '../../../proto/frames.js';

const T0 = Date.UTC(2026, 10, 23, 7, 0, 0);

describe('publishing occupancy', () => {
  describe('over HTTP', () => {
    let server: Server;
    let base: string;
    const clock = new VirtualClock(T0);
    const board = new OccupancyBoard((dev) => ({ '70b3d57ed0010295': '661', '70b3d57ed0010296': '662' })[dev]);

    before(async () => {
      board.live('70b3d57ed0010295', { seq: 10, stop: 4, level: Level.LEVEL_MEDIUM, occupancyTenths: 4, line: 5 }, T0 - 60_000);
      board.live('70b3d57ed0010296', { seq: 3, stop: 9, level: Level.LEVEL_HIGH, occupancyTenths: 9, line: 2 }, T0 - 30 * 60_000);
      // Not in the fleet inventory: never published, however fresh.
      board.live('00000000deadbeef', { seq: 1, stop: 2, level: Level.LEVEL_HIGH, occupancyTenths: 9, line: 5 }, T0 - 1000);
      server = await startPublicServer(board, clock, 0);
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    it('serves a GTFS-RT feed of current fleet vehicles only (stale levels and unknown devices left out)', async () => {
      const res = await fetch(`${base}/gtfs-rt/vehicle-positions.pb`);
      assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
      const feed = decodeFeed(new Uint8Array(await res.arrayBuffer()));
      assert.equal(feed.entity.length, 1);
      const v = feed.entity[0]!.vehicle;
      assert.equal(v.vehicle.id, '661');
      assert.equal(v.vehicle.label, '661');
      assert.equal(board.counters.unpublished, 1);
      assert.equal(v.trip.routeId, '5');
      assert.equal(v.occupancyStatus, GtfsOccupancyStatus.FEW_SEATS_AVAILABLE);
      assert.equal(v.occupancyPercentage, 40);
    });

    it('publishes open data and a board with levels, never counts', async () => {
      const json = (await (await fetch(`${base}/api/occupancy.json`)).json()) as { vehicles: Array<Record<string, unknown>> };
      assert.deepEqual(Object.keys(json.vehicles[0]!).sort(), ['gtfsOccupancyStatus', 'level', 'line', 'occupancyPercentage', 'stop', 'updatedAt', 'vehicle']);
      assert.equal(json.vehicles[0]!['level'], 'mittel');
      const html = await (await fetch(`${base}/`)).text();
      assert.match(html, /mittel/);
      assert.equal((await fetch(`${base}/nope`)).status, 404);
    });
  });
});
