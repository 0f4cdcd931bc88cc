/**
 * Drives one simulated tram through its block on the clock: arrives at each stop, opens its doors,
 * lets the true passengers alight and board door by door, closes, departs, travels. What the
 * sensors make of it (door contacts, beam counts, camera heads, the vehicle bus) goes to the sink
 * as source events at their times; what really happened goes to the ground-truth log.
 */
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/random.js';
import type { EventSink, SourceEvent } from '../../contracts/source-events.js';
import type { CameraModel } from '../sensors/camera-model.js';
import type { DoorCounterModel, TruePassage } from '../sensors/door-counter-model.js';
import type { DemandModel, StopVisitContext } from '../demand/index.js';
import type { RawSighting, PhoneCrowd } from './phones.js';
import type { PlannedStop, PlannedTrip, VehicleBlock } from './service-plan.js';

export interface TruthStop {
  vehicleId: string;
  lineId: string;
  direction: 0 | 1;
  tripIndex: number;
  ibisStop: number;
  stopId: string;
  stopName: string;
  arrival: number;
  /** When the last door closed: the key the gateway's stop event carries as `departure`. */
  doorsClosed: number;
  boardings: number;
  alightings: number;
  loadAfter: number;
  terminus: boolean;
  /** Raw door counts the sensors produced (ins and outs), for VDV 457-style errors. */
  countedIn: number;
  countedOut: number;
}

export interface RunnerDeps {
  clock: Clock;
  rng: Rng;
  sink: EventSink;
  demand: DemandModel;
  doors: DoorCounterModel;
  camera: CameraModel;
  /** Last departure per line/direction/stop, shared by the line's vehicles (headway effect). */
  lastDeparture: Map<string, number>;
  onTruth: (truth: TruthStop) => void;
  /** Where source events go besides the sink (e.g. device-depth emulators); optional. */
  tap?: (event: SourceEvent) => void;
  /** Sensor faults of this vehicle, as the scenario says. */
  faults?: readonly FaultWindow[];
  /** Splits a counted number of boardings into groups (replay), as the calibration says groups come. */
  splitGroups?: (boardings: number, rng: Rng) => number[];
  /** Phones on board and around stops, and where the radio scanner's raw sightings go. */
  phones?: PhoneCrowd;
  radio?: (sighting: RawSighting) => void;
}

/** A sensor fault that comes and goes: a blocked beam pair, the camera offline, the board unplugged. */
export interface FaultWindow {
  sensor: 'beam' | 'camera' | 'door-board';
  /** For beam faults: the door. */
  door?: number;
  from: number;
  to: number;
}

const DOOR_OPEN_DELAY_MS = 2000;
const ALIGHT_GAP_MS = 1300;
const GROUP_GAP_MS = 750;
const BETWEEN_GROUPS_MS = 2200;
const CLOSE_AFTER_LAST_MS = 2500;

export class VehicleRunner {
  private onBoard = 0;
  private readonly doorCount: number;
  finished = false;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly block: VehicleBlock,
  ) {
    this.doorCount = block.vehicleType.doors;
  }

  private faultActive(sensor: FaultWindow['sensor'], t: number, door?: number): boolean {
    return (this.deps.faults ?? []).some((f) => f.sensor === sensor && t >= f.from && t < f.to && (door === undefined || f.door === undefined || f.door === door));
  }

  /** What the sensors let through: nothing from an unplugged board or an offline camera. */
  private sensed(event: SourceEvent): boolean {
    if (event.type === 'door' || event.type === 'passage') return !this.faultActive('door-board', event.at);
    if (event.type === 'camera') return !this.faultActive('camera', event.at);
    return true;
  }

  start(): void {
    for (const f of this.deps.faults ?? []) {
      const sensor = f.sensor;
      const reason = sensor === 'beam' ? 'beam blocked' : sensor === 'camera' ? 'no lines from the camera' : 'board not answering';
      this.emit({ type: 'fault', at: f.from, sensor, ...(f.door !== undefined ? { door: f.door } : {}), active: true, reason });
      this.emit({ type: 'fault', at: f.to, sensor, ...(f.door !== undefined ? { door: f.door } : {}), active: false, reason });
    }
    const first = this.block.trips[0];
    if (!first) {
      this.finished = true;
      return;
    }
    this.at(first.departure - 90_000, () => this.serve(0, 0));
  }

  private at(t: number, fn: () => void): void {
    this.deps.clock.setTimeout(fn, Math.max(0, t - this.deps.clock.now()));
  }

  private emit(event: SourceEvent): void {
    if (!this.sensed(event)) return;
    this.at(event.at, () => {
      this.deps.sink.handle(event);
      this.deps.tap?.(event);
    });
  }

  /** Serves stop `k` of trip `tripIndex`; the last stop of a trip is also the first of the next. */
  private serve(tripIndex: number, k: number): void {
    const { clock, rng } = this.deps;
    const trip = this.block.trips[tripIndex]!;
    const stop = trip.stops[k]!;
    const isLast = k === trip.stops.length - 1;
    const next = isLast ? this.block.trips[tripIndex + 1] : undefined;
    const t0 = clock.now();
    const capacity = this.block.vehicleType.capacity;

    this.emit({ type: 'trip', at: t0, stop: stop.ibisStop, ...(tripIndex === 0 && k === 0 ? this.tripFields(trip) : {}) });
    this.emit({ type: 'camera', at: t0 + 1000, zone: 1, ...this.deps.camera.count(this.onBoard, capacity, t0 + 1000) });

    const openAt = Array.from({ length: this.doorCount }, () => t0 + DOOR_OPEN_DELAY_MS + rng.int(0, 1500));
    const cursor = [...openAt];
    const passages: TruePassage[] = [];
    const ctx = (t: PlannedTrip, s: PlannedStop, index: number, terminus: boolean) => ({
      time: t0,
      lineId: t.lineId,
      direction: t.direction,
      stopIndex: index,
      stopCount: t.stops.length,
      stopWeight: s.weight,
      stopId: s.id,
      sinceLastDepartureMs: t0 - (this.deps.lastDeparture.get(`${t.lineId}/${t.direction}/${s.id}`) ?? t0 - 15 * 60_000),
      onBoard: this.onBoard,
      capacity,
      isTerminus: terminus,
    });

    // One demand draw per stop; at a terminus a second one for the new trip's first stop.
    const here = this.demandAt(stop, isLast, () => ctx(trip, stop, k, isLast));
    const alighting = Math.min(this.onBoard, isLast ? this.onBoard : here.alightings);
    for (let i = 0; i < alighting; i++) {
      const door = rng.int(0, this.doorCount - 1);
      cursor[door] = cursor[door]! + rng.uniform(0.6, 1.4) * ALIGHT_GAP_MS;
      passages.push({ at: Math.round(cursor[door]!), door: door + 1, direction: 'out' });
    }
    this.onBoard -= alighting;
    this.deps.phones?.alight(alighting);

    // At a terminus the driver sets the next trip on the vehicle bus once the saloon is empty.
    let boardTrip = trip;
    let boardStop = stop;
    let terminus = false;
    let boarding = here.boardingGroups;
    if (isLast) {
      if (!next) return this.finish(t0, trip, stop, tripIndex, alighting, passages, openAt, cursor);
      terminus = true;
      boardTrip = next;
      boardStop = next.stops[0]!;
      const changeAt = Math.max(...cursor) + 5000;
      this.emit({ type: 'trip', at: changeAt, ...this.tripFields(next), stop: boardStop.ibisStop });
      for (let d = 0; d < cursor.length; d++) cursor[d] = Math.max(cursor[d]!, changeAt);
      boarding = this.demandAt(boardStop, false, () => ({ ...ctx(boardTrip, boardStop, 0, false), onBoard: this.onBoard })).boardingGroups;
    }
    let boarded = 0;
    for (const size of boarding) {
      const door = rng.int(0, this.doorCount - 1);
      cursor[door] = cursor[door]! + rng.uniform(0.7, 1.3) * BETWEEN_GROUPS_MS;
      for (let m = 0; m < size; m++) {
        if (m > 0) cursor[door] = cursor[door]! + rng.uniform(0.8, 1.2) * GROUP_GAP_MS;
        passages.push({ at: Math.round(cursor[door]!), door: door + 1, direction: 'in' });
      }
      boarded += size;
    }
    this.onBoard += boarded;
    this.deps.phones?.board(boarded, t0);

    const minDwell = (stop.hub ? 35 : 12) * 1000;
    const mustWaitUntil = terminus || (tripIndex === 0 && k === 0) ? boardTrip.departure - 3000 : 0;
    const closeAt = cursor.map((c, d) => Math.max(openAt[d]! + minDwell, c + CLOSE_AFTER_LAST_MS, mustWaitUntil) + rng.int(0, 800));
    const { countedIn, countedOut } = this.emitDoorCycle(openAt, closeAt, passages);
    const doorsClosed = Math.max(...closeAt);
    const departAt = doorsClosed + 3000;
    this.emit({ type: 'camera', at: departAt + 4000, zone: 1, ...this.deps.camera.count(this.onBoard, capacity, departAt + 4000) });

    this.deps.lastDeparture.set(`${boardTrip.lineId}/${boardTrip.direction}/${boardStop.id}`, departAt);
    this.deps.onTruth({
      vehicleId: this.block.vehicleId,
      lineId: boardTrip.lineId,
      direction: boardTrip.direction,
      tripIndex: terminus ? tripIndex + 1 : tripIndex,
      ibisStop: stop.ibisStop,
      stopId: stop.id,
      stopName: stop.name,
      arrival: t0,
      doorsClosed,
      boardings: boarded,
      alightings: alighting,
      loadAfter: this.onBoard,
      terminus,
      countedIn,
      countedOut,
    });

    const nextTripIndex = terminus ? tripIndex + 1 : tripIndex;
    const nextK = terminus ? 1 : k + 1;
    const nextTrip = this.block.trips[nextTripIndex]!;
    const run = nextTrip.stops[nextK]!.runMs * Math.max(0.6, rng.normal(1, 0.08));
    this.hearPhones(doorsClosed - 1000, true);
    this.hearPhones(departAt + run / 2, false);
    this.at(departAt + run, () => this.serve(nextTripIndex, nextK));
  }

  /** One window of the radio scanner: the phones heard then go to the radio source at that time. */
  private hearPhones(at: number, atStop: boolean): void {
    const { phones, radio } = this.deps;
    if (!phones || !radio) return;
    this.at(at, () => {
      for (const s of phones.hear(at, atStop)) radio(s);
    });
  }

  /** Counted passengers when replaying, simulated demand otherwise. */
  private demandAt(stop: PlannedStop, isLast: boolean, context: () => StopVisitContext): { alightings: number; boardingGroups: number[] } {
    if (stop.recorded) {
      const split = this.deps.splitGroups ?? ((n: number) => Array.from({ length: n }, () => 1));
      return { alightings: stop.recorded.alightings, boardingGroups: isLast ? [] : split(stop.recorded.boardings, this.deps.rng) };
    }
    return this.deps.demand.visit(context(), this.deps.rng);
  }

  private tripFields(trip: PlannedTrip): { line: number; course: number; destination: number } {
    return { line: trip.line, course: this.block.course, destination: trip.destinationId };
  }

  /** Door contacts and beam counts for one stop; returns what the beams counted. */
  private emitDoorCycle(openAt: number[], closeAt: number[], passages: TruePassage[]): { countedIn: number; countedOut: number } {
    let countedIn = 0;
    let countedOut = 0;
    openAt.forEach((t, d) => this.emit({ type: 'door', at: t, door: d + 1, open: true }));
    passages.sort((a, b) => a.at - b.at);
    for (const p of passages) {
      const blind = this.faultActive('beam', p.at, p.door) || this.faultActive('door-board', p.at);
      const seen = blind ? 0 : this.deps.doors.observe(p);
      for (let i = 0; i < seen; i++) this.emit({ type: 'passage', at: p.at + i * 150, door: p.door, direction: p.direction });
      if (p.direction === 'in') countedIn += seen;
      else countedOut += seen;
    }
    closeAt.forEach((t, d) => this.emit({ type: 'door', at: t, door: d + 1, open: false }));
    return { countedIn, countedOut };
  }

  private finish(t0: number, trip: PlannedTrip, stop: PlannedStop, tripIndex: number, alighting: number, passages: TruePassage[], openAt: number[], cursor: number[]): void {
    const closeAt = cursor.map((c, d) => Math.max(openAt[d]! + 12_000, c + CLOSE_AFTER_LAST_MS));
    const { countedIn, countedOut } = this.emitDoorCycle(openAt, closeAt, passages);
    const doorsClosed = Math.max(...closeAt);
    this.deps.onTruth({
      vehicleId: this.block.vehicleId,
      lineId: trip.lineId,
      direction: trip.direction,
      tripIndex,
      ibisStop: stop.ibisStop,
      stopId: stop.id,
      stopName: stop.name,
      arrival: t0,
      doorsClosed,
      boardings: 0,
      alightings: alighting,
      loadAfter: this.onBoard,
      terminus: false,
      countedIn,
      countedOut,
    });
    this.at(doorsClosed + 1, () => (this.finished = true));
  }
}
