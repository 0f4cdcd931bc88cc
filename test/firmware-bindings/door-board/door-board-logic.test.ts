import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from '../../../common/clock.js';
import { DoorBoardMappingSchema } from '../../../contracts/door-board-mapping.js';
import { DEFAULT_DOOR_BOARD_TIMING, type DoorBoardTiming } from '../../../firmware-bindings/door-board/door-board-config.js';
import {
  BEAM_BLOCKED_REASON,
  CONTACT_STUCK_REASON,
  DOOR_OPEN_TOO_LONG_REASON,
  DoorBoardLogic,
} from '../../../firmware-bindings/door-board/door-board-logic.js';
import { PassageDetector } from '../../../firmware-bindings/door-board/door-signals.js';
import type { SourceEvent } from '../../../contracts/source-events.js';

// Door 1: contact 2, outer 3, inner 4; door 2: contact 5, outer 6, inner 7. Contact open = low,
// beam broken = high (the schema's defaults).
const MAPPING = DoorBoardMappingSchema.parse({
  doors: [
    { door: 1, contact: 2, outer: 3, inner: 4 },
    { door: 2, contact: 5, outer: 6, inner: 7 },
  ],
});
const D1 = { contact: 2, outer: 3, inner: 4 };
const D2 = { contact: 5, outer: 6, inner: 7 };

describe('door board logic (pins → events, on the clock)', () => {
  let clock: VirtualClock;
  let logic: DoorBoardLogic;
  let events: SourceEvent[];

  async function setUp(timing: Partial<DoorBoardTiming> = {}, mapping = MAPPING): Promise<void> {
    clock = new VirtualClock(0);
    events = [];
    logic = new DoorBoardLogic(clock, { handle: (e) => events.push(e) }, mapping, { ...DEFAULT_DOOR_BOARD_TIMING, ...timing });
    // Power-up reports: doors closed (high), beams clear (low).
    for (const p of [2, 5]) logic.pin(p, true);
    for (const p of [3, 4, 6, 7]) logic.pin(p, false);
    await clock.advance(1000);
  }
  afterEach(() => logic?.close());

  /** Sets pin levels at the given offsets (ms from now), then lets the debounce settle. */
  async function levels(steps: Array<[offsetMs: number, pin: number, high: boolean]>): Promise<void> {
    const t0 = clock.now();
    for (const [offset, pin, high] of [...steps].sort((a, b) => a[0] - b[0])) {
      await clock.runUntil(t0 + offset);
      logic.pin(pin, high);
    }
    await clock.advance(200);
  }

  const walk = (d: typeof D1, direction: 'in' | 'out', at = 0): Array<[number, number, boolean]> => {
    const [a, b] = direction === 'in' ? [d.outer, d.inner] : [d.inner, d.outer];
    return [
      [at, a, true],
      [at + 200, b, true],
      [at + 300, a, false],
      [at + 450, b, false],
    ];
  };

  it('says nothing of doors first seen closed, then reports opens and closes', async () => {
    await setUp();
    assert.deepEqual(events, []);
    const t0 = clock.now();
    await levels([[0, 2, false]]);
    await levels([[0, 2, true]]);
    assert.deepEqual(events, [
      { type: 'door', at: t0, door: 1, open: true },
      { type: 'door', at: t0 + 200, door: 1, open: false },
    ]);
  });

  it('reports a door first seen open', async () => {
    clock = new VirtualClock(0);
    events = [];
    logic = new DoorBoardLogic(clock, { handle: (e) => events.push(e) }, MAPPING, DEFAULT_DOOR_BOARD_TIMING);
    logic.pin(2, false);
    await clock.advance(100);
    assert.deepEqual(events, [{ type: 'door', at: 0, door: 1, open: true }]);
  });

  it('reads the direction from the beam that breaks first, dated when the first beam broke', async () => {
    await setUp();
    await levels([[0, 2, false]]);
    const t0 = clock.now();
    await levels([...walk(D1, 'in'), ...walk(D1, 'out', 1000)]);
    assert.deepEqual(events.slice(1), [
      { type: 'passage', at: t0, door: 1, direction: 'in' },
      { type: 'passage', at: t0 + 1000, door: 1, direction: 'out' },
    ]);
    assert.equal(logic.counters.passagesIn, 1);
    assert.equal(logic.counters.passagesOut, 1);
  });

  it('does not count a person who turns back in the doorway', async () => {
    await setUp();
    await levels([[0, 2, false]]);
    events.length = 0;
    // Outer only, then away.
    await levels([
      [0, 3, true],
      [300, 3, false],
    ]);
    // Outer, inner, then back out the way they came.
    await levels([
      [0, 3, true],
      [200, 4, true],
      [400, 4, false],
      [600, 3, false],
    ]);
    // Leaving, reconsidering at the step: inner, outer, outer clears, inner clears.
    await levels([
      [0, 4, true],
      [200, 3, true],
      [350, 3, false],
      [500, 4, false],
    ]);
    assert.deepEqual(events, []);
    assert.equal(logic.counters.turnedBack, 3);
  });

  it('debounces: a bouncing contact is one change dated at its first edge; beam glitches are nothing', async () => {
    await setUp();
    const t0 = clock.now();
    await levels([
      [0, 2, false],
      [3, 2, true],
      [7, 2, false],
      [12, 2, true],
      [15, 2, false],
    ]);
    assert.deepEqual(events, [{ type: 'door', at: t0, door: 1, open: true }]);
    // 5 ms glitches on both beams, one after the other: shorter than the beam debounce (15 ms).
    await levels([
      [0, 3, true],
      [5, 3, false],
      [40, 4, true],
      [45, 4, false],
    ]);
    assert.equal(events.length, 1);
    assert.deepEqual(logic.counters, { passagesIn: 0, passagesOut: 0, turnedBack: 0, unreadable: 0, passagesWhileClosed: 0, stops: 1 });
  });

  it('counts only while the door is open', async () => {
    await setUp();
    await levels(walk(D2, 'in'));
    assert.deepEqual(events, []);
    assert.equal(logic.counters.passagesWhileClosed, 1);
  });

  it('a beam blocked for long is a beam fault of that door; what happened meanwhile is not counted', async () => {
    await setUp({ beamBlockedSeconds: 10 });
    await levels([[0, 5, false]]);
    events.length = 0;
    const t0 = clock.now();
    logic.pin(6, true);
    await clock.advance(9_000);
    assert.equal(events.length, 0);
    await clock.advance(2_000);
    assert.deepEqual(events, [{ type: 'fault', at: t0 + 10_000, sensor: 'beam', door: 2, active: true, reason: BEAM_BLOCKED_REASON }]);
    // Someone passes the inner beam while the outer is blocked, then the block clears.
    await levels([
      [0, 7, true],
      [300, 7, false],
      [5_000, 6, false],
    ]);
    assert.deepEqual(events.slice(1).map((e) => e.type === 'fault' && [e.sensor, e.door, e.active]), [['beam', 2, false]]);
    assert.equal(logic.counters.unreadable, 1);
    // Counting resumes.
    await levels(walk(D2, 'in'));
    assert.equal(events.at(-1)?.type, 'passage');
  });

  it('a contact that never changes across many stops is a door-contact fault, ended by the next change', async () => {
    await setUp({ contactStuckStops: 3 });
    for (let stop = 0; stop < 3; stop++) {
      await levels([[0, 2, false]]);
      await levels([[0, 2, true]]);
    }
    const faults = () => events.filter((e) => e.type === 'fault');
    assert.deepEqual(faults().map((e) => e.type === 'fault' && [e.sensor, e.door, e.active, e.reason]), [['door-contact', 2, true, CONTACT_STUCK_REASON]]);
    assert.equal(logic.counters.stops, 3);
    await levels([[0, 5, false]]);
    assert.deepEqual(faults().map((e) => e.type === 'fault' && e.active), [true, false]);
  });

  it('a door open too long is a door-contact fault until it closes', async () => {
    await setUp({ doorOpenMaxMinutes: 1 });
    await levels([[0, 2, false]]);
    await clock.advance(61_000);
    await levels([[0, 2, true]]);
    assert.deepEqual(
      events.filter((e) => e.type === 'fault').map((e) => e.type === 'fault' && [e.active, e.reason]),
      [
        [true, DOOR_OPEN_TOO_LONG_REASON],
        [false, DOOR_OPEN_TOO_LONG_REASON],
      ],
    );
  });

  it('while the board is away nothing is guessed: an episode under way is not counted', async () => {
    await setUp();
    await levels([[0, 2, false]]);
    events.length = 0;
    await levels([
      [0, 3, true],
      [200, 4, true],
    ]);
    logic.suspend();
    await clock.advance(5000);
    logic.resume();
    await levels([
      [0, 3, false],
      [100, 4, false],
    ]);
    assert.deepEqual(events, []);
    assert.equal(logic.counters.unreadable, 1);
  });

  it('takes the active levels from the mapping (contact open = high, beam broken = low, here)', async () => {
    const inverted = DoorBoardMappingSchema.parse({ ...MAPPING, contactOpenLevel: 'high', beamBrokenLevel: 'low' });
    clock = new VirtualClock(0);
    events = [];
    logic = new DoorBoardLogic(clock, { handle: (e) => events.push(e) }, inverted, DEFAULT_DOOR_BOARD_TIMING);
    for (const p of [2, 5]) logic.pin(p, false);
    for (const p of [3, 4, 6, 7]) logic.pin(p, true);
    await clock.advance(1000);
    const t0 = clock.now();
    await levels([[0, 2, true]]);
    await levels([
      [0, 4, false],
      [200, 3, false],
      [300, 4, true],
      [450, 3, true],
    ]);
    assert.deepEqual(events, [
      { type: 'door', at: t0, door: 1, open: true },
      { type: 'passage', at: t0 + 200, door: 1, direction: 'out' },
    ]);
  });

  describe('property: random people through one door', () => {
    type Person = { kind: 'in' | 'out' | 'back-outer' | 'back-inner'; second: number; overlap: number; last: number; gap: number; glitch: boolean };
    const person = fc.record({
      kind: fc.constantFrom('in', 'out', 'back-outer', 'back-inner') as fc.Arbitrary<Person['kind']>,
      // Beam edges at least 20 ms apart (more than the 15 ms debounce): the only timing the rule needs.
      second: fc.integer({ min: 20, max: 400 }),
      overlap: fc.integer({ min: 20, max: 300 }),
      last: fc.integer({ min: 20, max: 300 }),
      gap: fc.integer({ min: 40, max: 2000 }),
      glitch: fc.boolean(),
    });

    it('counts exactly the people who went through, in order, with their direction', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(person, { maxLength: 25 }), async (people) => {
          await setUp();
          await levels([[0, 2, false]]);
          events.length = 0;
          const steps: Array<[number, number, boolean]> = [];
          const expected: Array<'in' | 'out'> = [];
          let t = 0;
          for (const p of people) {
            const [a, b] = p.kind === 'in' || p.kind === 'back-outer' ? [D1.outer, D1.inner] : [D1.inner, D1.outer];
            steps.push([t, a, true], [t + p.second, b, true]);
            if (p.kind === 'in' || p.kind === 'out') {
              steps.push([t + p.second + p.overlap, a, false], [t + p.second + p.overlap + p.last, b, false]);
              expected.push(p.kind);
            } else {
              // Turns back: the second beam clears first, then the one they came through.
              steps.push([t + p.second + p.overlap, b, false], [t + p.second + p.overlap + p.last, a, false]);
            }
            t += p.second + p.overlap + p.last + p.gap;
            // A 5 ms flicker of the outer beam while the doorway is empty: never a person.
            if (p.glitch) steps.push([t - p.gap + 20, D1.outer, true], [t - p.gap + 25, D1.outer, false]);
          }
          await levels(steps);
          const got = events.filter((e) => e.type === 'passage').map((e) => e.type === 'passage' && e.direction);
          assert.deepEqual(got, expected);
          assert.equal(logic.counters.turnedBack, people.length - expected.length);
          logic.close();
        }),
        { numRuns: 60 },
      );
    });
  });

  describe('PassageDetector', () => {
    it('does not read an episode that began before both beams were known', () => {
      const d = new PassageDetector();
      assert.equal(d.edge('outer', true, 0), undefined);
      assert.equal(d.edge('inner', true, 10), undefined);
      assert.equal(d.edge('outer', false, 20), undefined);
      assert.deepEqual(d.edge('inner', false, 30), { kind: 'unreadable', startedAt: 10 });
      // Then an ordinary passage reads.
      d.edge('inner', true, 100);
      d.edge('outer', true, 200);
      d.edge('inner', false, 300);
      assert.deepEqual(d.edge('outer', false, 400), { kind: 'out', startedAt: 100 });
    });
  });
});
