/**
 * The day's service for one line: trips from each terminus at the headway of the time of day, and
 * vehicle blocks that chain those trips (a tram arriving at a terminus takes the next departure from
 * there after its layover; a new tram enters service only when none is free).
 */
import { parseClock } from '../../common/time.js';
import type { VehicleTypeData } from '../../contracts/vehicle-types.js';
import type { LineData } from './network-data.js';

export interface PlannedStop {
  /** Index of the stop in the line file. */
  lineStopIndex: number;
  /** Stop number along this direction, from 1 (IBIS DS010). */
  ibisStop: number;
  id: string;
  name: string;
  weight: number;
  hub: boolean;
  /** Planned run time from the previous stop of the trip (ms). */
  runMs: number;
  /** Replay: the counted boardings and alightings here, which replace simulated demand. */
  recorded?: { boardings: number; alightings: number };
}

export interface PlannedTrip {
  lineId: string;
  line: number;
  direction: 0 | 1;
  destinationId: number;
  destinationName: string;
  /** Planned departure from the first stop (ms since epoch). */
  departure: number;
  /** Planned arrival at the last stop. */
  arrival: number;
  stops: PlannedStop[];
}

export interface VehicleBlock {
  vehicleId: string;
  vehicleType: VehicleTypeData;
  lineId: string;
  course: number;
  trips: PlannedTrip[];
}

export function tripStops(line: LineData, direction: 0 | 1): PlannedStop[] {
  const order = line.stops.map((_, i) => i);
  if (direction === 1) order.reverse();
  return order.map((lineStopIndex, k) => {
    const stop = line.stops[lineStopIndex]!;
    // Run time from the previous stop in travel order: outbound it is this stop's runMinutes,
    // inbound the runMinutes of the stop we came from.
    const runMinutes = k === 0 ? 0 : direction === 0 ? stop.runMinutes : line.stops[lineStopIndex + 1]!.runMinutes;
    return { lineStopIndex, ibisStop: k + 1, id: stop.id, name: stop.name, weight: stop.weight, hub: stop.hub, runMs: runMinutes * 60_000 };
  });
}

function plannedDuration(line: LineData, stops: PlannedStop[]): number {
  const dwell = line.service.dwellSeconds;
  return stops.reduce((t, s, k) => t + s.runMs + (k > 0 && k < stops.length - 1 ? (s.hub ? dwell.hub : dwell.min) * 1000 : 0), 0);
}

/** Trips departing between `fromMs` and `toMs` (epoch), both directions, by the line's headways. */
export function planTrips(line: LineData, serviceDayStart: number, fromMs: number, toMs: number, headwayScale = 1): PlannedTrip[] {
  const trips: PlannedTrip[] = [];
  for (const dir of line.directions) {
    const stops = tripStops(line, dir.id);
    const duration = plannedDuration(line, stops);
    for (const band of line.service.headways) {
      const bandFrom = serviceDayStart + parseClock(band.from) * 60_000;
      const bandTo = serviceDayStart + parseClock(band.to) * 60_000;
      const step = band.minutes * headwayScale * 60_000;
      // Inbound trips are offset by half a headway so the two directions do not mirror each other.
      for (let t = bandFrom + (dir.id === 1 ? step / 2 : 0); t < bandTo; t += step) {
        if (t < fromMs || t >= toMs) continue;
        trips.push({ lineId: line.id, line: line.line, direction: dir.id, destinationId: dir.destinationId, destinationName: dir.destinationName, departure: t, arrival: t + duration, stops });
      }
    }
  }
  return trips.sort((a, b) => a.departure - b.departure || a.direction - b.direction);
}

/** Chains trips into vehicle blocks. `nextVehicleId` hands out fleet numbers. */
export function buildBlocks(
  line: LineData,
  vehicleType: VehicleTypeData,
  trips: PlannedTrip[],
  nextVehicleId: () => string,
  maxVehicles = Infinity,
): VehicleBlock[] {
  const layover = line.service.layoverMinutes * 60_000;
  const blocks: Array<VehicleBlock & { at: 'first' | 'last'; freeAt: number }> = [];
  for (const trip of trips) {
    const origin = trip.direction === 0 ? 'first' : 'last';
    const free = blocks
      .filter((b) => b.at === origin && b.freeAt <= trip.departure)
      .sort((a, b) => a.freeAt - b.freeAt)[0];
    let block = free;
    if (!block) {
      if (blocks.length >= maxVehicles) continue;
      block = { vehicleId: nextVehicleId(), vehicleType, lineId: line.id, course: blocks.length + 1, trips: [], at: origin, freeAt: 0 };
      blocks.push(block);
    }
    block.trips.push(trip);
    block.at = trip.direction === 0 ? 'last' : 'first';
    block.freeAt = trip.arrival + layover;
  }
  return blocks.map(({ vehicleId, vehicleType: vt, lineId, course, trips: t }) => ({ vehicleId, vehicleType: vt, lineId, course, trips: t }));
}
