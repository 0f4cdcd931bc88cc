/**
 * Replay: counted trips (any file in the Geneva APC format) become the day's service. Each trip
 * keeps its stops, its run times and its counted boardings and alightings, which then become
 * ground truth and go through the sensor models like simulated passengers. Trips are chained into
 * vehicles where one ends at the stop where another begins, a few minutes later.
 */
import type { ReplayTrip } from '../demand/index.js';
import type { VehicleTypeData } from '../../contracts/vehicle-types.js';
import type { PlannedStop, PlannedTrip, VehicleBlock } from './service-plan.js';

/** Shortest and longest turn-around at a terminus for two trips to be chained to one tram. */
const MIN_TURN_MS = 2 * 60_000;
const MAX_TURN_MS = 45 * 60_000;
/** Run time of a segment: the recorded arrival gap less a typical dwell, at least this. */
const MIN_RUN_MS = 20_000;
const TYPICAL_DWELL_MS = 20_000;

function lineNumber(line: string): number {
  const n = Number.parseInt(line, 10);
  return Number.isFinite(n) && n > 0 && n < 1000 ? n : 1;
}

export function replayTrip(trip: ReplayTrip): PlannedTrip {
  const stops: PlannedStop[] = trip.stops.map((s, k) => ({
    lineStopIndex: k,
    ibisStop: k + 1,
    id: s.stopId || `S${s.seq}`,
    name: s.stopName || s.stopId || `stop ${s.seq}`,
    weight: 1,
    hub: false,
    runMs: k === 0 ? 0 : Math.max(MIN_RUN_MS, s.arrival - trip.stops[k - 1]!.arrival - TYPICAL_DWELL_MS),
    recorded: { boardings: s.boardings, alightings: s.alightings },
  }));
  const line = lineNumber(trip.line);
  const last = trip.stops[trip.stops.length - 1]!;
  return {
    lineId: `replay-${trip.line}`,
    line,
    direction: trip.direction,
    destinationId: line * 10 + trip.direction + 1,
    destinationName: last.stopName || last.stopId,
    departure: trip.stops[0]!.arrival,
    arrival: last.arrival,
    stops,
  };
}

/** A terminus as a place: the stop code without its platform digits (Geneva's CRGE00 / CRGE01). */
function place(stop: PlannedStop): string {
  return stop.id.replace(/\d+$/, '') || stop.name;
}

/** Chains replayed trips into vehicle blocks, line by line, in time order. */
export function replayBlocks(trips: readonly ReplayTrip[], vehicleType: VehicleTypeData, nextVehicleId: () => string): VehicleBlock[] {
  const planned = trips.filter((t) => t.stops.length >= 2).map(replayTrip).sort((a, b) => a.departure - b.departure);
  const blocks: Array<VehicleBlock & { endStop: string; freeAt: number }> = [];
  const courses = new Map<string, number>();
  for (const trip of planned) {
    const start = place(trip.stops[0]!);
    const candidates = blocks.filter(
      (b) => b.lineId === trip.lineId && b.endStop === start && trip.departure - b.freeAt >= MIN_TURN_MS && trip.departure - b.freeAt <= MAX_TURN_MS,
    );
    let block = candidates.sort((a, b) => a.freeAt - b.freeAt)[0];
    if (!block) {
      const course = (courses.get(trip.lineId) ?? 0) + 1;
      courses.set(trip.lineId, course);
      block = { vehicleId: nextVehicleId(), vehicleType, lineId: trip.lineId, course, trips: [], endStop: start, freeAt: 0 };
      blocks.push(block);
    }
    block.trips.push(trip);
    block.endStop = place(trip.stops[trip.stops.length - 1]!);
    block.freeAt = trip.arrival;
  }
  return blocks.map(({ vehicleId, vehicleType: vt, lineId, course, trips: t }) => ({ vehicleId, vehicleType: vt, lineId, course, trips: t }));
}
