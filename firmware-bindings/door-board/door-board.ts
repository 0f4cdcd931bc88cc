/**
 * The door board as a source: opens the board's serial line (through an injected opener), drives
 * it with johnny-five (firmata-link.ts), sets the mapped pins to inputs and hands their levels to the
 * door logic, which turns them into DoorStateEvents, PassageEvents and door sensor faults.
 *
 * It supervises the board on the Clock: a handshake that does not finish, a heartbeat (the ports'
 * levels asked for again, which also heals a level a corrupted message left, and a pin-state query)
 * that gets no answer, a board that reboots or a stream that ends are a
 * 'door-board' SensorFaultEvent; the board is then reopened on its own with a doubling back-off, and
 * the fault ends once it is ready again.
 *
 * Must never: open a port itself (the opener does: transport/serial-port.ts on a vehicle, the
 * emulator in the simulator), let johnny-five's types out, or guess door states while the board is away.
 */
import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import type { EventSink } from '../../contracts/source-events.js';
import type { DoorBoardMapping } from '../../contracts/door-board-mapping.js';
import { DEFAULT_DOOR_BOARD_TIMING, type DoorBoardTiming } from './door-board-config.js';
import { DoorBoardLogic, type DoorLogicCounters } from './door-board-logic.js';
import type { FirmataFrameCounters } from './firmata-frame-filter.js';
import { JohnnyFiveLink, type BoardInfo } from './firmata-link.js';
import { PIN_MODE } from './firmata-protocol.js';

const log = moduleLogger('door-board');

export const DOOR_BOARD_GONE_REASON = 'board disconnected';
export const DOOR_BOARD_SILENT_REASON = 'board not answering';
export const DOOR_BOARD_RESET_REASON = 'board reset';
export const DOOR_BOARD_MAPPING_REASON = 'pin mapping does not fit the board';

export type DoorBoardState = 'idle' | 'connecting' | 'ready' | 'waiting' | 'closed';

export interface DoorBoardSourceOptions {
  clock: Clock;
  sink: EventSink;
  mapping: DoorBoardMapping;
  timing?: Partial<DoorBoardTiming>;
  /** Opens the board's serial line; throws (or rejects) when there is no board. */
  open: () => Duplex | Promise<Duplex>;
}

export interface DoorBoardCounters {
  /** Times the board became ready. */
  connects: number;
  /** Attempts or connections that ended in a fault. */
  failures: number;
}

export class DoorBoardSource {
  private readonly clock: Clock;
  private readonly timing: DoorBoardTiming;
  private readonly logic: DoorBoardLogic;
  private link: JohnnyFiveLink | undefined;
  private stateNow: DoorBoardState = 'idle';
  private faultReason: string | undefined;
  private timer: TimerHandle | undefined;
  private heartbeat: TimerHandle | undefined;
  private backoffMs: number;
  private readonly finishedFraming = { messages: 0, dropped: 0 };
  private readonly readyWaiters: Array<() => void> = [];
  private lastInfo: BoardInfo | undefined;
  readonly counters: DoorBoardCounters = { connects: 0, failures: 0 };

  constructor(private readonly options: DoorBoardSourceOptions) {
    this.clock = options.clock;
    this.timing = { ...DEFAULT_DOOR_BOARD_TIMING, ...options.timing };
    this.logic = new DoorBoardLogic(options.clock, options.sink, options.mapping, this.timing);
    this.backoffMs = this.timing.reconnectMinMs;
  }

  get state(): DoorBoardState {
    return this.stateNow;
  }

  get boardInfo(): BoardInfo | undefined {
    return this.lastInfo;
  }

  get doorCounters(): Readonly<DoorLogicCounters> {
    return this.logic.counters;
  }

  /** Framing counters of the current connection plus all earlier ones. */
  get framing(): { messages: number; dropped: number; current?: Readonly<FirmataFrameCounters> } {
    const f = this.link?.filter;
    return {
      messages: this.finishedFraming.messages + (f?.counters.messages ?? 0),
      dropped: this.finishedFraming.dropped + (f?.droppedTotal ?? 0),
      ...(f ? { current: f.counters } : {}),
    };
  }

  start(): void {
    if (this.stateNow !== 'idle') return;
    this.attempt();
  }

  /** Resolves when the board is (next) ready. */
  whenReady(): Promise<void> {
    if (this.stateNow === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  close(): void {
    if (this.stateNow === 'closed') return;
    this.stateNow = 'closed';
    this.clearTimers();
    this.dropLink();
    this.logic.close();
  }

  /** One connection attempt; whatever goes wrong in it is a board fault, never an unhandled error. */
  private attempt(): void {
    this.connect().catch((error: unknown) => {
      log.error({ err: (error as Error).message }, 'door board connection failed');
      this.fail(DOOR_BOARD_GONE_REASON);
    });
  }

  private async connect(): Promise<void> {
    if (this.stateNow === 'closed') return;
    this.stateNow = 'connecting';
    let stream: Duplex;
    try {
      stream = await this.options.open();
    } catch (error) {
      log.debug({ err: (error as Error).message }, 'cannot open the door board');
      return this.fail(DOOR_BOARD_GONE_REASON);
    }
    if (this.stateNow !== 'connecting') {
      stream.destroy();
      return;
    }
    const link = new JohnnyFiveLink(stream);
    this.link = link;
    link.onGone((why) => {
      if (this.link !== link) return;
      log.debug({ why }, 'door board stream gone');
      this.fail(DOOR_BOARD_GONE_REASON);
    });
    link.onReset(() => {
      if (this.link === link) this.fail(DOOR_BOARD_RESET_REASON);
    });
    link.onReady((info) => {
      if (this.link !== link) return;
      // Called from inside the stream's data handler: an error here must not escape into it.
      try {
        this.boardReady(link, info);
      } catch (error) {
        log.error({ err: (error as Error).message }, 'door board setup failed');
        this.fail(DOOR_BOARD_RESET_REASON);
      }
    });
    // A board that resets when the port opens announces itself; one that does not is asked half-way.
    const half = Math.max(1, Math.floor(this.timing.handshakeTimeoutMs / 2));
    this.timer = this.clock.setTimeout(() => {
      if (this.link !== link) return;
      link.requestVersion();
      this.timer = this.clock.setTimeout(() => {
        if (this.link === link) this.fail(DOOR_BOARD_SILENT_REASON);
      }, this.timing.handshakeTimeoutMs - half);
    }, half);
  }

  private boardReady(link: JohnnyFiveLink, info: BoardInfo): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const pullup = this.options.mapping.pullup;
    const missing = this.logic.pins.filter((p) => !link.supportsInput(p, pullup));
    if (missing.length > 0) {
      log.error({ pins: missing, board: info.boardType, pinCount: info.pinCount }, 'the door board cannot read these pins as inputs');
      return this.fail(DOOR_BOARD_MAPPING_REASON);
    }
    this.lastInfo = info;
    this.logic.resume();
    link.watch(this.logic.pins, pullup, (pin, high) => this.logic.pin(pin, high));
    this.stateNow = 'ready';
    this.counters.connects++;
    this.backoffMs = this.timing.reconnectMinMs;
    log.info({ firmware: info.firmware, version: info.firmwareVersion, board: info.boardType }, 'door board ready');
    this.setFault(undefined);
    this.armHeartbeat(link);
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  private armHeartbeat(link: JohnnyFiveLink): void {
    const pin = this.logic.pins[0]!;
    const expected = this.options.mapping.pullup ? PIN_MODE.PULLUP : PIN_MODE.INPUT;
    this.heartbeat = this.clock.setTimeout(() => {
      if (this.link !== link) return;
      const answer = this.clock.setTimeout(() => {
        if (this.link === link) this.fail(DOOR_BOARD_SILENT_REASON);
      }, this.timing.answerTimeoutMs);
      this.heartbeat = answer;
      link.refreshPorts();
      link.queryPin(pin, (mode) => {
        if (this.link !== link) return;
        this.clock.clearTimeout(answer);
        // A board that lost its pin modes rebooted without saying so.
        if (mode !== expected) return this.fail(DOOR_BOARD_RESET_REASON);
        this.armHeartbeat(link);
      });
    }, this.timing.heartbeatSeconds * 1000);
  }

  private fail(reason: string): void {
    if (this.stateNow === 'closed') return;
    this.counters.failures++;
    this.clearTimers();
    this.dropLink();
    this.logic.suspend();
    this.stateNow = 'waiting';
    this.setFault(reason);
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.timing.reconnectMaxMs);
    log.debug({ reason, retryInMs: wait }, 'door board will be reopened');
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.attempt();
    }, wait);
  }

  private dropLink(): void {
    const link = this.link;
    if (!link) return;
    this.link = undefined;
    this.finishedFraming.messages += link.filter.counters.messages;
    this.finishedFraming.dropped += link.filter.droppedTotal;
    link.close();
  }

  private clearTimers(): void {
    this.clock.clearTimeout(this.timer);
    this.clock.clearTimeout(this.heartbeat);
    this.timer = undefined;
    this.heartbeat = undefined;
  }

  /** One board fault at a time: a new reason ends the old one first. */
  private setFault(reason: string | undefined): void {
    if (reason === this.faultReason) return;
    const at = this.clock.now();
    if (this.faultReason !== undefined) {
      log.warn({ reason: this.faultReason }, 'door board fault ended');
      this.options.sink.handle({ type: 'fault', at, sensor: 'door-board', active: false, reason: this.faultReason });
    }
    this.faultReason = reason;
    if (reason !== undefined) {
      log.warn({ reason }, 'door board fault');
      this.options.sink.handle({ type: 'fault', at, sensor: 'door-board', active: true, reason });
    }
  }
}
