import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { formatCsvField } from '../../../simulator/demand/csv-line.js';
import { readReplayTrips } from '../../../simulator/demand/replay-reader.js';

const HEADER = 'date,line,trip_id,direction,seq,stop_id,stop_name,arrival,boardings,alightings,load';

interface GoodRow {
  tripId: string;
  seq: number;
  line: string;
}

/** Good trips: unique ids, seq rising from 1, times rising within the morning. */
const goodTrips = fc.array(
  fc.record({
    line: fc.constantFrom('12', '14', '15'),
    direction: fc.constantFrom(0, 1),
    start: fc.integer({ min: 5 * 3600, max: 20 * 3600 }),
    stops: fc.array(
      fc.record({ run: fc.integer({ min: 0, max: 300 }), on: fc.nat(60), off: fc.nat(60), name: fc.string({ maxLength: 12 }) }),
      { minLength: 1, maxLength: 8 },
    ),
  }),
  { minLength: 1, maxLength: 12 },
);

/** Garbage: anything on one line that is neither blank nor, by construction, a valid row. */
const garbage = fc
  .string({ maxLength: 80 })
  .map((s) => s.replace(/[\r\n]/g, ' '))
  .map((s) => (s.trim() === '' ? '#' : `~${s}`));

const clock = (s: number): string =>
  [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((v) => String(v).padStart(2, '0')).join(':');

describe('replay reader fuzz', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'replay-fuzz-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('never crashes on garbage mixed with good rows: bad ones counted, good ones all read', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(goodTrips, fc.array(garbage, { maxLength: 40 }), fc.infiniteStream(fc.nat()), fc.boolean(), async (trips, junk, positions, gzip) => {
        const good: { text: string; row: GoodRow }[] = [];
        trips.forEach((trip, t) => {
          let time = trip.start;
          trip.stops.forEach((s, i) => {
            time += s.run;
            const fields = ['20121002', trip.line, `F${t}`, String(trip.direction), String(i + 1), `S${i}`, s.name, clock(time), String(s.on), String(s.off), '0'];
            good.push({ text: fields.map(formatCsvField).join(','), row: { tripId: `F${t}`, seq: i + 1, line: trip.line } });
          });
        });
        const lines = good.map((g) => g.text);
        const it = positions[Symbol.iterator]();
        for (const j of junk) lines.splice(it.next().value! % (lines.length + 1), 0, j);
        const path = join(dir, `fuzz-${run++}.csv`);
        const text = `${HEADER}\n${lines.join('\n')}\n`;
        writeFileSync(path, gzip ? gzipSync(text) : text);

        const { trips: read, summary } = await readReplayTrips(path);
        assert.equal(summary.rowsRead, good.length + junk.length);
        assert.equal(summary.rowsRejected, junk.length);
        assert.equal(summary.rowsAccepted, good.length);
        const readRows = read.flatMap((t) => t.stops.map((s) => `${t.tripId}/${s.seq}`)).sort();
        assert.deepEqual(readRows, good.map((g) => `${g.row.tripId}/${g.row.seq}`).sort());
      }),
      { numRuns: 60 },
    );
  });
});
