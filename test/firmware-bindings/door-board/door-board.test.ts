import assert from 'node:assert/strict';
import { VirtualClock } from '../../../common/clock.js';
import { DoorBoardMappingSchema, type DoorBoardMapping } from '../../../contracts/door-board-mapping.js';
import {
  DOOR_BOARD_GONE_REASON,
  DOOR_BOARD_MAPPING_REASON,
  DOOR_BOARD_RESET_REASON,
  DOOR_BOARD_SILENT_REASON,
  DoorBoardSource,
} from '../../../firmware-bindings/door-board/door-board.js';
import type { SourceEvent } from '../../../contracts/source-events.js';
import { ARDUINO_MEGA, FirmataBoardEmulator } from '../../../simulator/devices/firmata-board.js';
import { boardsHeld } from '../../../firmware-bindings/door-board/firmata-link.js';

const MAPPING: DoorBoardMapping = DoorBoardMappingSchema.parse({
  doors: [
    { door: 1, contact: 2, outer: 3, inner: 4 },
    { door: 2, contact: 5, outer: 6, inner: 7 },
  ],
});
// Defaults: contact open = low, beam broken = high, pull-ups on.
const OPEN = false;
const CLOSED = true;

describe('DoorBoardSource (johnny-five over the emulated StandardFirmata)', () => {
  let clock: VirtualClock;
  let board: FirmataBoardEmulator;
  let source: DoorBoardSource;
  let events: SourceEvent[];

  function setUp(options: { mapping?: DoorBoardMapping; maxChunk?: number; emulator?: ConstructorParameters<typeof FirmataBoardEmulator>[1] } = {}): void {
    clock = new VirtualClock(1_000_000);
    board = new FirmataBoardEmulator(clock, options.emulator);
    // Doors closed, beams clear at power-up.
    for (const d of (options.mapping ?? MAPPING).doors) if (d.contact < board.pinCount) board.setPin(d.contact, CLOSED);
    events = [];
    source = new DoorBoardSource({
      clock,
      sink: { handle: (e) => events.push(e) },
      mapping: options.mapping ?? MAPPING,
      timing: { beamBlockedSeconds: 10 },
      open: () => board.openHostPort({ maxChunk: options.maxChunk ?? 5 }),
    });
  }
  afterEach(() => {
    source?.close();
    board?.close();
  });

  async function walk(door: { outer: number; inner: number }, direction: 'in' | 'out'): Promise<void> {
    const [first, second] = direction === 'in' ? [door.outer, door.inner] : [door.inner, door.outer];
    board.setPin(first, true);
    await clock.advance(200);
    board.setPin(second, true);
    await clock.advance(100);
    board.setPin(first, false);
    await clock.advance(150);
    board.setPin(second, false);
    await clock.advance(100);
  }

  it('handshakes, sets the mapped pins to pull-up inputs and reports door cycles and passages', async () => {
    setUp();
    source.start();
    await clock.advance(100);
    assert.equal(source.state, 'ready');
    assert.deepEqual(source.boardInfo, { firmware: 'StandardFirmata.ino', firmwareVersion: '2.5', protocolVersion: '2.5', boardType: 'UNO', pinCount: 20 });
    for (const p of [2, 3, 4, 5, 6, 7]) assert.equal(board.pinMode(p), 0x0b, `pin ${p} in PULLUP mode`);
    assert.deepEqual(events, [], 'closed doors at start are not news');

    const t0 = clock.now();
    board.setPin(2, OPEN);
    await clock.advance(1000);
    await walk({ outer: 3, inner: 4 }, 'in');
    await walk({ outer: 3, inner: 4 }, 'out');
    board.setPin(2, CLOSED);
    await clock.advance(1000);
    assert.deepEqual(events, [
      { type: 'door', at: t0, door: 1, open: true },
      { type: 'passage', at: t0 + 1000, door: 1, direction: 'in' },
      { type: 'passage', at: t0 + 1550, door: 1, direction: 'out' },
      { type: 'door', at: t0 + 2100, door: 1, open: false },
    ]);
    assert.equal(source.framing.dropped, 0);
    assert.ok(source.framing.messages > 8);
  });

  it('does not count a passage through a closed door', async () => {
    setUp();
    source.start();
    await clock.advance(100);
    await walk({ outer: 6, inner: 7 }, 'in');
    assert.deepEqual(events, []);
    assert.equal(source.doorCounters.passagesWhileClosed, 1);
  });

  it('reads a Mega mapping on a Mega, and refuses pins the board does not have', async () => {
    const mega = DoorBoardMappingSchema.parse({ board: 'mega', doors: [{ door: 7, contact: 50, outer: 51, inner: 52 }] });
    setUp({ mapping: mega, emulator: { profile: ARDUINO_MEGA } });
    source.start();
    await clock.advance(100);
    assert.equal(source.boardInfo?.boardType, 'MEGA');
    board.setPin(50, OPEN);
    await clock.advance(100);
    assert.deepEqual(events.map((e) => e.type === 'door' && e.door), [7]);
    source.close();
    board.close();

    setUp({ mapping: mega });
    source.start();
    await clock.advance(100);
    assert.equal(source.state, 'waiting');
    assert.deepEqual(events.map((e) => e.type === 'fault' && [e.sensor, e.active, e.reason]), [['door-board', true, DOOR_BOARD_MAPPING_REASON]]);
  });

  it('unplugged: a door-board fault, reopening with back-off, the fault ends when the board is back', async () => {
    setUp();
    source.start();
    await clock.advance(100);
    board.setPin(2, OPEN);
    await clock.advance(500);
    board.disconnect('unplug');
    await clock.advance(100);
    assert.equal(source.state, 'waiting');
    const faults = () => events.filter((e) => e.type === 'fault');
    assert.deepEqual(faults().map((e) => e.type === 'fault' && [e.sensor, e.active, e.reason]), [['door-board', true, DOOR_BOARD_GONE_REASON]]);
    // While it is away the door closes: nothing is guessed.
    board.setPin(2, CLOSED);
    await clock.advance(20_000);
    assert.ok(source.counters.failures >= 4, `retried with back-off (${source.counters.failures} failures)`);
    assert.equal(events.filter((e) => e.type === 'door').length, 1);
    board.reconnect();
    await clock.advance(40_000);
    assert.equal(source.state, 'ready');
    const fault = faults();
    assert.deepEqual(fault.map((e) => e.type === 'fault' && e.active), [true, false]);
    // The board reports the closed door when it is back.
    assert.deepEqual(
      events.filter((e) => e.type === 'door').map((e) => e.type === 'door' && e.open),
      [true, false],
    );
    const closedAt = events.find((e) => e.type === 'door' && !e.open)!.at;
    assert.ok(closedAt >= fault[1]!.at, 'the close is dated when the board said so, not guessed earlier');
    // Reconnecting leaves nothing behind in johnny-five: one board held while connected, none after.
    const held = boardsHeld();
    for (let i = 0; i < 5; i++) {
      board.disconnect('unplug');
      await clock.advance(100);
      board.reconnect();
      await clock.advance(70_000);
      assert.equal(source.state, 'ready');
    }
    assert.equal(boardsHeld(), held, 'no board left behind per reconnection');
    source.close();
    assert.equal(boardsHeld(), held - 1);
  });

  it('a hung board: no heartbeat answer is a fault; it ends after the board reboots', async () => {
    setUp();
    source.start();
    await clock.advance(100);
    board.disconnect('silent');
    await clock.advance(7000);
    assert.deepEqual(events.map((e) => e.type === 'fault' && [e.active, e.reason]), [[true, DOOR_BOARD_SILENT_REASON]]);
    board.reconnect();
    await clock.advance(30_000);
    assert.equal(source.state, 'ready');
    assert.deepEqual(events.map((e) => e.type === 'fault' && e.active), [true, false]);
  });

  it('a board that reboots under the gateway is a fault until it is set up again', async () => {
    setUp();
    source.start();
    await clock.advance(100);
    board.disconnect('silent');
    board.reconnect(); // reboots on the same stream: announces its version again
    await clock.advance(100);
    assert.deepEqual(events.map((e) => e.type === 'fault' && [e.active, e.reason]), [[true, DOOR_BOARD_RESET_REASON]]);
    await clock.advance(5000);
    assert.equal(source.state, 'ready');
    assert.equal(board.pinMode(2), 0x0b);
  });
});
