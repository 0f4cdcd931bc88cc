/** Random but plausible stop reports for property tests of the frame codecs (ascending seq and time). */
import fc from 'fast-check';
import type { StopReport } from '../../proto/frames.js';

const T0 = Date.UTC(2026, 10, 23, 6, 0, 0);

export const stopReportsArb: fc.Arbitrary<StopReport[]> = fc
  .record({
    firstSeq: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 100_000, max: 2 ** 31 })),
    items: fc.array(
      fc.record({
        gap: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 3 })),
        dt: fc.integer({ min: 0, max: 900_000 }),
        stopJump: fc.boolean(),
        stop: fc.integer({ min: 1, max: 60 }),
        newTrip: fc.boolean(),
        line: fc.integer({ min: 0, max: 16 }),
        course: fc.integer({ min: 0, max: 99 }),
        destination: fc.integer({ min: 0, max: 999 }),
        boardings: fc.integer({ min: 0, max: 200 }),
        alightings: fc.integer({ min: 0, max: 200 }),
        loadDrift: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -20, max: 20 })),
        flags: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 31 })),
      }),
      { minLength: 1, maxLength: 40 },
    ),
  })
  .map(({ firstSeq, items }) => {
    const reports: StopReport[] = [];
    let seq = firstSeq - 1;
    let t = T0;
    let stop = 1;
    let load = 0;
    let trip = { line: 5, course: 3, destination: 51 };
    for (const it of items) {
      seq += 1 + (reports.length ? it.gap : 0);
      t += it.dt;
      stop = it.stopJump ? it.stop : stop + 1;
      if (it.newTrip) trip = { line: it.line, course: it.course, destination: it.destination };
      load = Math.max(0, load + it.boardings - it.alightings + it.loadDrift);
      reports.push({ seq, departure: t, stop, ...trip, boardings: it.boardings, alightings: it.alightings, load, flags: it.flags });
    }
    return reports;
  });
