/**
 * Assembles stop events from source events: a stop begins when the first door opens and ends when
 * all doors have stayed closed for the departure grace time (a door that re-opens within it belongs
 * to the same stop). Passages count only while their door is open. A change of trip on the vehicle
 * bus (destination or course) marks a terminus: alightings belong to the old trip, boardings to the
 * new one, and the load is known there.
 *
 * Must never estimate or correct counts: that is estimation's job; this reports what was sensed.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import type { SensorName, SourceEvent, TripContextEvent } from '../../contracts/source-events.js';
import type { DoorCount, StopEvent, TripContext } from './stop-event.js';

const log = moduleLogger('counting.assembler');

/** A camera count older than this at arrival or departure is not used. */
const CAMERA_STALE_MS = 120_000;

export interface AssemblerOptions {
  /** All doors closed this long means departure. */
  departureGraceMs: number;
}

export interface AssemblerCounters {
  passagesWhileClosed: number;
  stopEvents: number;
}

interface OpenStop {
  arrival: number;
  stop: number;
  doors: Map<number, DoorCount>;
  faults: Set<SensorName>;
  cameraBefore: number | undefined;
  confidence: number | undefined;
  tripChanged: boolean;
}

export class StopEventAssembler {
  private readonly openDoors = new Set<number>();
  private current: OpenStop | undefined;
  private departureTimer: TimerHandle | undefined;
  private lastDoorClose = 0;
  private trip: TripContext = { line: 0, course: 0, destination: 0 };
  private stop = 0;
  private tripChangedSinceDeparture = false;
  private readonly activeFaults = new Map<string, SensorName>();
  private readonly cameraZones = new Map<number, { heads: number; confidence: number; at: number }>();
  private readonly listeners: Array<(event: StopEvent) => void> = [];
  readonly counters: AssemblerCounters = { passagesWhileClosed: 0, stopEvents: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly options: AssemblerOptions,
  ) {}

  onStopEvent(listener: (event: StopEvent) => void): void {
    this.listeners.push(listener);
  }

  get tripContext(): Readonly<TripContext> {
    return this.trip;
  }

  handle(event: SourceEvent): void {
    switch (event.type) {
      case 'door':
        return event.open ? this.doorOpened(event.door, event.at) : this.doorClosed(event.door, event.at);
      case 'passage': {
        if (!this.current || !this.openDoors.has(event.door)) {
          this.counters.passagesWhileClosed++;
          return;
        }
        const count = this.doorCount(event.door);
        if (event.direction === 'in') count.boardings++;
        else count.alightings++;
        return;
      }
      case 'trip':
        return this.tripUpdate(event);
      case 'camera':
        this.cameraZones.set(event.zone, { heads: event.heads, confidence: event.confidence, at: event.at });
        return;
      case 'fault': {
        const key = `${event.sensor}/${event.door ?? ''}`;
        if (event.active) {
          this.activeFaults.set(key, event.sensor);
          this.current?.faults.add(event.sensor);
        } else this.activeFaults.delete(key);
        return;
      }
      case 'radio':
        return;
    }
  }

  private doorCount(door: number): DoorCount {
    const doors = this.current!.doors;
    let count = doors.get(door);
    if (!count) {
      count = { door, boardings: 0, alightings: 0 };
      doors.set(door, count);
    }
    return count;
  }

  /** The camera's latest count, if every zone reported recently (a stale count is no count). */
  private camera(): { heads: number | undefined; confidence: number | undefined } {
    const now = this.clock.now();
    if (this.cameraZones.size === 0) return { heads: undefined, confidence: undefined };
    let heads = 0;
    let confidence = 1;
    for (const z of this.cameraZones.values()) {
      if (now - z.at > CAMERA_STALE_MS) return { heads: undefined, confidence: undefined };
      heads += z.heads;
      confidence = Math.min(confidence, z.confidence);
    }
    return { heads, confidence };
  }

  private doorOpened(door: number, at: number): void {
    this.openDoors.add(door);
    this.clock.clearTimeout(this.departureTimer);
    this.departureTimer = undefined;
    if (this.current) return;
    const cam = this.camera();
    this.current = {
      arrival: at,
      stop: this.stop,
      doors: new Map(),
      faults: new Set(this.activeFaults.values()),
      cameraBefore: cam.heads,
      confidence: cam.confidence,
      tripChanged: this.tripChangedSinceDeparture,
    };
  }

  private doorClosed(door: number, at: number): void {
    this.openDoors.delete(door);
    if (!this.current || this.openDoors.size > 0) return;
    this.lastDoorClose = at;
    this.clock.clearTimeout(this.departureTimer);
    this.departureTimer = this.clock.setTimeout(() => this.depart(), this.options.departureGraceMs);
  }

  private tripUpdate(event: TripContextEvent): void {
    const next: TripContext = {
      line: event.line ?? this.trip.line,
      course: event.course ?? this.trip.course,
      destination: event.destination ?? this.trip.destination,
    };
    // A field that was known and now says something else marks a new trip; a field heard for the
    // first time does not (the vehicle bus sends line, course and destination one telegram at a time).
    const changed = (k: keyof TripContext) => this.trip[k] !== 0 && next[k] !== this.trip[k];
    if (changed('line') || changed('course') || changed('destination')) {
      if (this.current) this.current.tripChanged = true;
      else this.tripChangedSinceDeparture = true;
    }
    this.trip = next;
    if (event.stop !== undefined) {
      this.stop = event.stop;
      // The on-board computer may announce the stop only after the doors opened.
      if (this.current && this.current.stop === 0) this.current.stop = event.stop;
    }
  }

  private depart(): void {
    const open = this.current;
    this.departureTimer = undefined;
    if (!open) return;
    this.current = undefined;
    this.tripChangedSinceDeparture = false;
    const doors = [...open.doors.values()].sort((a, b) => a.door - b.door);
    const cam = this.camera();
    const event: StopEvent = {
      stop: open.stop,
      trip: { ...this.trip },
      arrival: open.arrival,
      departure: this.lastDoorClose,
      doors,
      boardings: doors.reduce((s, d) => s + d.boardings, 0),
      alightings: doors.reduce((s, d) => s + d.alightings, 0),
      terminus: open.tripChanged,
      faults: [...open.faults].sort(),
    };
    if (open.cameraBefore !== undefined || cam.heads !== undefined) {
      event.camera = { before: open.cameraBefore, after: cam.heads, confidence: Math.min(open.confidence ?? 1, cam.confidence ?? 1) };
    }
    this.counters.stopEvents++;
    log.debug({ stop: event.stop, boardings: event.boardings, alightings: event.alightings }, 'stop event');
    for (const listener of this.listeners) listener(event);
  }
}
