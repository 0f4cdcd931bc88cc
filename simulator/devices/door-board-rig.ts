/**
 * One tram's doors at device depth: the world's door events (its `tap`) drive the emulated board's
 * pins (DoorBoardDriver), the emulated StandardFirmata sends the bytes, and the gateway's own
 * door-board binding (johnny-five over an in-memory serial line) turns them back into source events
 * for the sink. The world's own door events are kept from the sink (`worldSink`), so everything the
 * counting sees about doors has come through the bytes.
 *
 * Must never: pass a door, passage or door-sensor fault event from the world to the sink directly.
 */
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/random.js';
import type { DoorBoardMapping } from '../../contracts/door-board-mapping.js';
import type { DoorBoardTiming } from '../../firmware-bindings/door-board/door-board-config.js';
import { DoorBoardSource } from '../../firmware-bindings/door-board/door-board.js';
import type { EventSink, SourceEvent } from '../../contracts/source-events.js';
import { DoorBoardDriver, type DoorBoardDriverTiming } from './door-board-driver.js';
import { BOARD_PROFILES, FirmataBoardEmulator } from './firmata-board.js';

export interface DoorBoardRigOptions {
  clock: Clock;
  /** The driver's own randomness (beam timing, bounce); never the world's. */
  rng: Rng;
  mapping: DoorBoardMapping;
  /** Where the binding's events and the world's other events go. */
  sink: EventSink;
  timing?: Partial<DoorBoardTiming>;
  driverTiming?: Partial<DoorBoardDriverTiming>;
  /** Bytes per write on the in-memory line (to split Firmata messages); default whole writes. */
  maxChunk?: number;
}

/** Events the door board produces: at device depth only the binding may say these. */
export function isDoorBoardEvent(event: SourceEvent): boolean {
  return (
    event.type === 'door' ||
    event.type === 'passage' ||
    (event.type === 'fault' && (event.sensor === 'beam' || event.sensor === 'door-contact' || event.sensor === 'door-board'))
  );
}

export class DoorBoardRig {
  readonly board: FirmataBoardEmulator;
  readonly driver: DoorBoardDriver;
  readonly source: DoorBoardSource;
  /** Give this to the world as its sink: everything but the door board's events passes. */
  readonly worldSink: EventSink;
  /** Give this to the world as its tap. */
  readonly tap: (event: SourceEvent) => void;

  constructor(options: DoorBoardRigOptions) {
    const { clock, mapping, sink } = options;
    this.board = new FirmataBoardEmulator(clock, { profile: BOARD_PROFILES[mapping.board] });
    this.driver = new DoorBoardDriver(clock, options.rng, this.board, mapping, options.driverTiming);
    this.driver.initialise();
    const maxChunk = options.maxChunk;
    this.source = new DoorBoardSource({
      clock,
      sink,
      mapping,
      ...(options.timing ? { timing: options.timing } : {}),
      open: () => this.board.openHostPort(maxChunk !== undefined ? { maxChunk } : {}),
    });
    this.worldSink = { handle: (e) => (isDoorBoardEvent(e) ? undefined : sink.handle(e)) };
    this.tap = (e) => this.driver.handle(e);
  }

  start(): Promise<void> {
    this.source.start();
    return this.source.whenReady();
  }

  close(): void {
    this.source.close();
    this.board.close();
  }
}
