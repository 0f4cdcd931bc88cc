/**
 * GTFS-Realtime VehiclePositions with occupancy, from the public board (anonymised levels only).
 * The gtfs-realtime-bindings types stay in this module.
 */
import gtfsRealtime from 'gtfs-realtime-bindings';
import { gtfsOccupancyStatus } from '../../contracts/occupancy-levels.js';
import type { VehicleLevel } from './occupancy-board.js';

const { FeedMessage } = gtfsRealtime.transit_realtime;

const IN_TRANSIT_TO = 2;
const STOPPED_AT = 1;

/**
 * One entity per vehicle: the fleet number as id and label, the scheduled trip (trip_id, route_id,
 * direction_id, start date and time) and stop when the board matched one in the static GTFS, else
 * the route alone; the level as OccupancyStatus and the coarse percentage. A Live frame follows a
 * departure, so the vehicle is in transit to the trip's next stop (stopped at the last one).
 */
export function vehiclePositionsFeed(levels: readonly VehicleLevel[], now: number, routeOf?: (line: number) => string | undefined): Uint8Array {
  const message = FeedMessage.fromObject({
    header: { gtfsRealtimeVersion: '2.0', incrementality: 0, timestamp: Math.floor(now / 1000) },
    entity: levels.map((v) => {
      const t = v.trip;
      const position = t
        ? {
            trip: { tripId: t.tripId, routeId: t.routeId, startDate: t.startDate, startTime: t.startTime, scheduleRelationship: 0, ...(t.directionId !== undefined ? { directionId: t.directionId } : {}) },
            ...(t.next
              ? { stopId: t.next.stopId, currentStopSequence: t.next.stopSequence, currentStatus: IN_TRANSIT_TO }
              : { stopId: t.stopId, currentStopSequence: t.stopSequence, currentStatus: STOPPED_AT }),
          }
        : { trip: { routeId: routeOf?.(v.line) ?? String(v.line) } };
      return {
        id: `vehicle-${v.vehicle}`,
        vehicle: {
          vehicle: { id: v.vehicle, label: v.vehicle },
          ...position,
          timestamp: Math.floor(v.receivedAt / 1000),
          occupancyStatus: gtfsOccupancyStatus(v.level, v.occupancyTenths),
          occupancyPercentage: v.occupancyTenths * 10,
        },
      };
    }),
  });
  return FeedMessage.encode(message).finish();
}

export interface DecodedVehiclePosition {
  vehicle: { id: string; label: string };
  trip: { tripId: string; routeId: string; directionId: number; startDate: string; startTime: string; scheduleRelationship: number };
  stopId: string;
  currentStopSequence: number;
  currentStatus: number;
  timestamp: number;
  occupancyStatus: number;
  occupancyPercentage: number;
}

/** Decodes a feed (for tests and tools) into plain objects. */
export function decodeFeed(bytes: Uint8Array): { header: { timestamp: number }; entity: Array<{ id: string; vehicle: DecodedVehiclePosition }> } {
  return FeedMessage.toObject(FeedMessage.decode(bytes), { enums: Number, longs: Number, defaults: true }) as ReturnType<typeof decodeFeed>;
}
