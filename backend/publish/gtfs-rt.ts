/**
 * GTFS-Realtime VehiclePositions with occupancy, from the public board (anonymised levels only).
 * The gtfs-realtime-bindings types stay in this module.
 */
import gtfsRealtime from 'gtfs-realtime-bindings';
import { gtfsOccupancyStatus } from '../../contracts/occupancy-levels.js';
import type { VehicleLevel } from './occupancy-board.js';

const { FeedMessage } = gtfsRealtime.transit_realtime;

export function vehiclePositionsFeed(levels: readonly VehicleLevel[], now: number): Uint8Array {
  const message = FeedMessage.fromObject({
    header: { gtfsRealtimeVersion: '2.0', incrementality: 0, timestamp: Math.floor(now / 1000) },
    entity: levels.map((v) => ({
      id: `vehicle-${v.vehicle}`,
      vehicle: {
        vehicle: { id: v.vehicle, label: v.vehicle },
        trip: { routeId: String(v.line) },
        timestamp: Math.floor(v.receivedAt / 1000),
        occupancyStatus: gtfsOccupancyStatus(v.level, v.occupancyTenths),
        occupancyPercentage: v.occupancyTenths * 10,
      },
    })),
  });
  return FeedMessage.encode(message).finish();
}

/** Decodes a feed (for tests and tools) into plain objects. */
export function decodeFeed(bytes: Uint8Array): { entity: Array<{ id: string; vehicle: { vehicle: { id: string }; occupancyStatus: number; occupancyPercentage: number; trip: { routeId: string } } }> } {
  return FeedMessage.toObject(FeedMessage.decode(bytes), { enums: Number, longs: Number, defaults: true }) as ReturnType<typeof decodeFeed>;
}
