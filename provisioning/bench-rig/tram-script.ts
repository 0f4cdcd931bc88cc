/**
 * What happens on the bench rig's emulated tram, so that frames flow without anyone at the bench:
 * the on-board computer sets a trip along a real line and announces each stop on the IBIS bus; at
 * each stop doors open, people alight and board through the light barriers (as pin levels on the
 * emulated door board), doors close; the camera reports the heads it sees every few seconds; at a terminus
 * everyone alights and the trip turns round. Deterministic for a seed, on any clock.
 *
 * Must never: talk to the gateway except through the emulated devices' bytes.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { Rng } from '../../common/random.js';
import type { SourceEvent } from '../../contracts/source-events.js';
import type { LineData } from '../../simulator/world/network-data.js';

export interface TramDevices {
  /** The door board's driver: door and passage events become pin levels. */
  doors: { handle(event: SourceEvent): void };
  ibis: { setTrip(trip: { line: number; course: number; destination: number; destinationName: string }): void; setStop(stop: number, name: string): void };
  camera: { report(zone: number, heads: number, confidence: number): void };
}

export interface TramScriptOptions {
  clock: Clock;
  rng: Rng;
  line: LineData;
  /** Door numbers of the vehicle (the door board's mapping). */
  doorNumbers: readonly number[];
  devices: TramDevices;
  /** From one stop's arrival to the next (the rig's whole stop cycle). */
  stopEveryMs: number;
  /** Told what happened at each stop (for the rig's console). */
  onStop?: (text: string) => void;
}

/** Time from the arrival announcement to the doors opening, and between people in one door. */
const DOORS_OPEN_AFTER_MS = 1000;
const PASSAGE_GAP_MS = 1200;
const CLOSE_AFTER_LAST_MS = 1500;
const CAMERA_EVERY_MS = 3000;
/**
 * Least time from the doors closing to the next stop's doors opening: the tram must be seen to
 * depart (the rig's gateway config waits 5 s after the doors close), or two stops run into one.
 */
const DEPART_AFTER_CLOSE_MS = 8000;

export class TramScript {
  private readonly timers = new Set<TimerHandle>();
  private direction = 0;
  private stopIndex = 0;
  private course = 1;
  private load = 0;
  private stopped = true;
  /** Stops served so far, people through the doors so far. */
  readonly counters = { stops: 0, boardings: 0, alightings: 0 };

  constructor(private readonly o: TramScriptOptions) {
    if (o.stopEveryMs < 5000) throw new RangeError('stopEveryMs: at least 5000 ms (doors, people and a departure must fit)');
  }

  start(): void {
    this.stopped = false;
    this.setTrip();
    this.later(2000, () => this.arrive());
    this.cameraTick();
  }

  /** The camera counts the heads it sees every few seconds, as the real unit does while anyone is in view. */
  private cameraTick(): void {
    this.o.devices.camera.report(1, this.load, 0.9);
    this.later(CAMERA_EVERY_MS, () => this.cameraTick());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) this.o.clock.clearTimeout(t);
    this.timers.clear();
  }

  private get stops() {
    const stops = this.o.line.stops;
    return this.direction === 0 ? stops : [...stops].reverse();
  }

  private setTrip(): void {
    const dir = this.o.line.directions.find((d) => d.id === this.direction) ?? this.o.line.directions[0]!;
    this.o.devices.ibis.setTrip({ line: this.o.line.line, course: this.course, destination: dir.destinationId, destinationName: dir.destinationName });
  }

  private arrive(): void {
    const stops = this.stops;
    const stop = stops[this.stopIndex]!;
    const first = this.stopIndex === 0;
    const terminus = this.stopIndex === stops.length - 1;
    this.o.devices.ibis.setStop(this.stopIndex + 1, stop.name);
    const rng = this.o.rng;
    const alight = terminus ? this.load : first ? 0 : Math.min(this.load, rng.int(0, 4));
    const board = terminus ? 0 : rng.int(first ? 3 : 0, first ? 8 : 6);
    // People spread over the doors, each door's queue one after the other.
    const perDoor = new Map<number, Array<'in' | 'out'>>();
    const doors = this.o.doorNumbers;
    const used = doors.slice(0, Math.max(1, Math.min(doors.length, rng.int(1, 2))));
    const people: Array<'in' | 'out'> = [...Array<'out'>(alight).fill('out'), ...Array<'in'>(board).fill('in')];
    people.forEach((direction, i) => {
      const door = used[i % used.length]!;
      perDoor.set(door, [...(perDoor.get(door) ?? []), direction]);
    });
    const at = (ms: number, event: Record<string, unknown>) => this.later(ms, () => this.o.devices.doors.handle({ ...event, at: this.o.clock.now() } as SourceEvent));
    let closeAt = DOORS_OPEN_AFTER_MS + CLOSE_AFTER_LAST_MS + 1000;
    for (const door of used) {
      at(DOORS_OPEN_AFTER_MS, { type: 'door', door, open: true });
      const queue = perDoor.get(door) ?? [];
      queue.forEach((direction, k) => at(DOORS_OPEN_AFTER_MS + 500 + k * PASSAGE_GAP_MS, { type: 'passage', door, direction }));
      closeAt = Math.max(closeAt, DOORS_OPEN_AFTER_MS + 500 + queue.length * PASSAGE_GAP_MS + CLOSE_AFTER_LAST_MS);
    }
    for (const door of used) at(closeAt, { type: 'door', door, open: false });
    this.load += board - alight;
    this.counters.stops++;
    this.counters.boardings += board;
    this.counters.alightings += alight;
    this.o.onStop?.(`stop ${this.stopIndex + 1} ${stop.name}: doors ${used.join(', ')}, ${alight} out, ${board} in, ${this.load} on board`);

    if (terminus) {
      this.direction = 1 - this.direction;
      this.stopIndex = 0;
      this.course++;
      this.later(closeAt + 500, () => this.setTrip());
    } else this.stopIndex++;
    this.later(Math.max(this.o.stopEveryMs, closeAt + DEPART_AFTER_CLOSE_MS - DOORS_OPEN_AFTER_MS), () => this.arrive());
  }

  private later(ms: number, fn: () => void): void {
    const handle = this.o.clock.setTimeout(() => {
      this.timers.delete(handle);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(handle);
  }
}
