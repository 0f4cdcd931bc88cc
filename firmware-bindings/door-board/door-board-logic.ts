/**
 * What the door board's pins mean, as a clock-driven state machine with no board or library in it:
 * raw pin levels in, typed source events out. Per door a debounced contact (DoorStateEvent on each
 * change), two debounced beams read by the direction rule (PassageEvent, counted only while that
 * door is open), and the fault rules:
 *
 * - 'beam' (per door): a beam broken for `beamBlockedSeconds`; ends when it clears.
 * - 'door-contact' (per door): the contact has not changed across `contactStuckStops` stops of the
 *   vehicle (a stop begins when a door opens while all were closed), or the door has been open
 *   longer than `doorOpenMaxMinutes`; ends with the next change (or the close).
 *
 * While the board is away (`suspend`) nothing is guessed: pending levels are dropped, an episode in
 * a doorway is not counted, and the levels the board reports when it is back (`resume`) are read
 * like any others.
 *
 * Must never: emit a passage for a closed door, count a turned-back person, or invent a door event
 * while the board is away.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import type { EventSink, SensorName } from '../../contracts/source-events.js';
import type { DoorBoardMapping } from '../../contracts/door-board-mapping.js';
import type { DoorBoardTiming } from './door-board-config.js';
import { DebouncedInput, PassageDetector, type Beam, type PassageOutcome } from './door-signals.js';

const log = moduleLogger('door-board.logic');

export const BEAM_BLOCKED_REASON = 'beam blocked';
export const CONTACT_STUCK_REASON = 'contact never changes';
export const DOOR_OPEN_TOO_LONG_REASON = 'door open too long';

export interface DoorLogicCounters {
  passagesIn: number;
  passagesOut: number;
  turnedBack: number;
  /** Episodes that could not be read (began blocked or unknown, or the board went away mid-way). */
  unreadable: number;
  /** Complete passages through a door whose contact said closed: not reported. */
  passagesWhileClosed: number;
  /** Stops of the vehicle as the contacts saw them. */
  stops: number;
}

type Role = 'contact' | Beam;

class DoorChannel {
  readonly contact: DebouncedInput;
  readonly beams: Record<Beam, DebouncedInput>;
  readonly detector = new PassageDetector();
  open: boolean | undefined;
  stopsSinceChange = 0;
  contactFault: string | undefined;
  beamFault = false;
  readonly blocked = new Set<Beam>();
  readonly blockedTimers = new Map<Beam, TimerHandle>();
  openTimer: TimerHandle | undefined;

  constructor(
    readonly door: number,
    logic: DoorBoardLogic,
    clock: Clock,
    timing: DoorBoardTiming,
  ) {
    this.contact = new DebouncedInput(clock, timing.contactDebounceMs, (level, at) => logic.contactChanged(this, level, at));
    this.beams = {
      outer: new DebouncedInput(clock, timing.beamDebounceMs, (level, at) => logic.beamChanged(this, 'outer', level, at)),
      inner: new DebouncedInput(clock, timing.beamDebounceMs, (level, at) => logic.beamChanged(this, 'inner', level, at)),
    };
  }
}

export class DoorBoardLogic {
  private readonly channels: DoorChannel[];
  private readonly byPin = new Map<number, { channel: DoorChannel; role: Role }>();
  private readonly contactOpenHigh: boolean;
  private readonly beamBrokenHigh: boolean;
  readonly counters: DoorLogicCounters = { passagesIn: 0, passagesOut: 0, turnedBack: 0, unreadable: 0, passagesWhileClosed: 0, stops: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly sink: EventSink,
    mapping: DoorBoardMapping,
    private readonly timing: DoorBoardTiming,
  ) {
    this.contactOpenHigh = mapping.contactOpenLevel === 'high';
    this.beamBrokenHigh = mapping.beamBrokenLevel === 'high';
    this.channels = mapping.doors.map((d) => {
      const channel = new DoorChannel(d.door, this, clock, timing);
      this.byPin.set(d.contact, { channel, role: 'contact' });
      this.byPin.set(d.outer, { channel, role: 'outer' });
      this.byPin.set(d.inner, { channel, role: 'inner' });
      return channel;
    });
  }

  /** Every pin the mapping uses, in door order: contact, outer, inner. */
  get pins(): number[] {
    return [...this.byPin.keys()];
  }

  /** Doors the contacts last said are open. */
  get openDoors(): number[] {
    return this.channels.filter((c) => c.open === true).map((c) => c.door);
  }

  /** A raw level read from a pin (true = electrically high). Pins not in the mapping are ignored. */
  pin(pin: number, high: boolean): void {
    const target = this.byPin.get(pin);
    if (!target) return;
    const { channel, role } = target;
    if (role === 'contact') channel.contact.sample(high === this.contactOpenHigh);
    else channel.beams[role].sample(high === this.beamBrokenHigh);
  }

  /** The board went away: drop what was pending, trust no episode under way. */
  suspend(): void {
    for (const c of this.channels) {
      c.contact.suspend();
      c.beams.outer.suspend();
      c.beams.inner.suspend();
      c.detector.taint();
      for (const t of c.blockedTimers.values()) this.clock.clearTimeout(t);
      c.blockedTimers.clear();
      this.clock.clearTimeout(c.openTimer);
      c.openTimer = undefined;
    }
  }

  /** The board is back: the time rules start again from now for what is still broken or open. */
  resume(): void {
    for (const c of this.channels) {
      for (const beam of ['outer', 'inner'] as const) if (c.beams[beam].level === true && !c.blocked.has(beam)) this.armBlocked(c, beam, this.clock.now());
      if (c.open === true && c.openTimer === undefined) this.armOpenTimer(c);
    }
  }

  close(): void {
    this.suspend();
  }

  /** @internal DoorChannel's debounced contact changed. */
  contactChanged(c: DoorChannel, open: boolean, at: number): void {
    const wasKnown = c.open !== undefined;
    const noneOpen = this.channels.every((other) => other.open !== true);
    c.open = open;
    c.stopsSinceChange = 0;
    if (c.contactFault === CONTACT_STUCK_REASON) this.setContactFault(c, undefined);
    if (open) {
      if (noneOpen) this.stopBegan(c);
      this.armOpenTimer(c);
    } else {
      this.clock.clearTimeout(c.openTimer);
      c.openTimer = undefined;
      if (c.contactFault === DOOR_OPEN_TOO_LONG_REASON) this.setContactFault(c, undefined);
    }
    // A door first seen closed was closed all along as far as counting knows: nothing to say.
    if (!wasKnown && !open) return;
    this.sink.handle({ type: 'door', at, door: c.door, open });
  }

  /** @internal DoorChannel's debounced beam changed. */
  beamChanged(c: DoorChannel, beam: Beam, broken: boolean, at: number): void {
    if (broken) this.armBlocked(c, beam, at);
    else {
      this.clock.clearTimeout(c.blockedTimers.get(beam));
      c.blockedTimers.delete(beam);
      if (c.blocked.delete(beam) && c.blocked.size === 0) this.setBeamFault(c, false);
    }
    const outcome = c.detector.edge(beam, broken, at);
    if (outcome) this.passage(c, outcome);
  }

  private passage(c: DoorChannel, outcome: PassageOutcome): void {
    switch (outcome.kind) {
      case 'turned-back':
        this.counters.turnedBack++;
        return;
      case 'unreadable':
        this.counters.unreadable++;
        return;
      case 'in':
      case 'out':
        if (c.open !== true) {
          this.counters.passagesWhileClosed++;
          return;
        }
        if (outcome.kind === 'in') this.counters.passagesIn++;
        else this.counters.passagesOut++;
        this.sink.handle({ type: 'passage', at: outcome.startedAt, door: c.door, direction: outcome.kind });
    }
  }

  private stopBegan(opener: DoorChannel): void {
    this.counters.stops++;
    for (const c of this.channels) {
      if (c === opener || c.open === undefined) continue;
      c.stopsSinceChange++;
      if (c.stopsSinceChange >= this.timing.contactStuckStops && c.contactFault === undefined) this.setContactFault(c, CONTACT_STUCK_REASON);
    }
  }

  /** The fault rule runs from when the beam broke (`since`), not from when the debounce settled. */
  private armBlocked(c: DoorChannel, beam: Beam, since: number): void {
    this.clock.clearTimeout(c.blockedTimers.get(beam));
    const delay = Math.max(0, this.timing.beamBlockedSeconds * 1000 - (this.clock.now() - since));
    c.blockedTimers.set(
      beam,
      this.clock.setTimeout(() => {
        c.blockedTimers.delete(beam);
        c.blocked.add(beam);
        c.detector.taint();
        this.setBeamFault(c, true);
      }, delay),
    );
  }

  private armOpenTimer(c: DoorChannel): void {
    this.clock.clearTimeout(c.openTimer);
    c.openTimer = this.clock.setTimeout(() => {
      c.openTimer = undefined;
      this.setContactFault(c, DOOR_OPEN_TOO_LONG_REASON);
    }, this.timing.doorOpenMaxMinutes * 60_000);
  }

  private setBeamFault(c: DoorChannel, active: boolean): void {
    if (c.beamFault === active) return;
    c.beamFault = active;
    this.fault('beam', c.door, active, BEAM_BLOCKED_REASON);
  }

  /** One contact fault per door at a time: a new reason ends the old one first. */
  private setContactFault(c: DoorChannel, reason: string | undefined): void {
    if (c.contactFault === reason) return;
    if (c.contactFault !== undefined) this.fault('door-contact', c.door, false, c.contactFault);
    c.contactFault = reason;
    if (reason !== undefined) this.fault('door-contact', c.door, true, reason);
  }

  private fault(sensor: SensorName, door: number, active: boolean, reason: string): void {
    if (active) log.warn({ sensor, door, reason }, 'door sensor fault');
    else log.info({ sensor, door, reason }, 'door sensor fault ended');
    this.sink.handle({ type: 'fault', at: this.clock.now(), sensor, door, active, reason });
  }
}
