import assert from 'node:assert/strict';
import { VirtualClock } from '../../../common/clock.js';
import { Rng } from '../../../common/random.js';
import { DoorBoardMappingSchema } from '../../../contracts/door-board-mapping.js';
import { DoorBoardDriver } from '../../../simulator/devices/door-board-driver.js';
import { FirmataBoardEmulator } from '../../../simulator/devices/firmata-board.js';

const MAPPING = DoorBoardMappingSchema.parse({
  doors: [
    { door: 1, contact: 2, outer: 3, inner: 4 },
    { door: 2, contact: 5, outer: 6, inner: 7 },
  ],
});

describe('DoorBoardDriver (world events → pin levels)', () => {
  let clock: VirtualClock;
  let board: FirmataBoardEmulator;
  let driver: DoorBoardDriver;
  let changes: Array<[at: number, pin: number, high: boolean]>;

  beforeEach(() => {
    clock = new VirtualClock(0);
    board = new FirmataBoardEmulator(clock);
    driver = new DoorBoardDriver(clock, new Rng(3), board, MAPPING);
    driver.initialise();
    changes = [];
    const set = board.setPin.bind(board);
    board.setPin = (pin: number, high: boolean) => {
      if (board.getPin(pin) !== high) changes.push([clock.now(), pin, high]);
      set(pin, high);
    };
  });
  afterEach(() => board.close());

  it('powers up with doors closed and beams clear, at the mapping’s levels', () => {
    // Contact open = low, so closed = high; beam broken = high, so clear = low.
    assert.deepEqual([2, 3, 4, 5, 6, 7].map((p) => board.getPin(p)), [true, false, false, true, false, false]);
  });

  it('a passage in: outer breaks, inner 150–300 ms later, outer clears, then inner', async () => {
    driver.handle({ type: 'passage', at: 0, door: 1, direction: 'in' });
    await clock.advance(2000);
    assert.deepEqual(changes.map(([, pin, high]) => [pin, high]), [
      [3, true],
      [4, true],
      [3, false],
      [4, false],
    ]);
    const [a, b, c, d] = changes.map(([at]) => at);
    assert.equal(a, 0);
    assert.ok(b! - a! >= 150 && b! - a! <= 300, `second beam after ${b! - a!} ms`);
    assert.ok(c! > b! && d! > c!);
  });

  it('queues people through one door; both beams stay clear between them', async () => {
    for (let i = 0; i < 3; i++) driver.handle({ type: 'passage', at: 0, door: 2, direction: i === 1 ? 'out' : 'in' });
    await clock.advance(5000);
    assert.equal(changes.length, 12);
    // The doorway is clear at least 60 ms between people.
    for (let k = 4; k < 12; k += 4) assert.ok(changes[k]![0] - changes[k - 1]![0] >= 60);
    assert.deepEqual(changes.slice(4, 6).map(([, pin]) => pin), [7, 6], 'the second person leaves: inner first');
    assert.ok(driver.counters.maxQueueMs > 0);
  });

  it('a door contact bounces but ends on its new level within a few ms', async () => {
    for (let i = 0; i < 6; i++) {
      driver.handle({ type: 'door', at: clock.now(), door: 1, open: i % 2 === 0 });
      await clock.advance(1000);
    }
    const contact = changes.filter(([, pin]) => pin === 2);
    assert.ok(contact.length > 6, 'some bounces');
    for (let i = 0; i < 6; i++) {
      const within = contact.filter(([at]) => at >= i * 1000 && at < (i + 1) * 1000);
      assert.ok(within.at(-1)![0] - within[0]![0] <= 20);
      assert.equal(within.at(-1)![2], i % 2 !== 0, 'ends on the new level (open = low)');
    }
  });

  it('a beam fault blocks the outer beam; a board fault unplugs the board', async () => {
    driver.handle({ type: 'fault', at: 0, sensor: 'beam', door: 2, active: true, reason: 'beam blocked' });
    assert.equal(board.getPin(6), true);
    driver.handle({ type: 'fault', at: 0, sensor: 'beam', door: 2, active: false, reason: 'beam blocked' });
    assert.equal(board.getPin(6), false);
    driver.handle({ type: 'fault', at: 0, sensor: 'door-board', active: true, reason: 'board not answering' });
    assert.equal(board.isPlugged, false);
    driver.handle({ type: 'fault', at: 0, sensor: 'door-board', active: false, reason: 'board not answering' });
    assert.equal(board.isPlugged, true);
  });
});
