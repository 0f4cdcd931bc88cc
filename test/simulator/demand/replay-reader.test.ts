import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ConfigError } from '../../../common/errors.js';
import { formatReplaySummary, readReplayTrips } from '../../../simulator/demand/replay-reader.js';
import { runningLoads } from '../../../simulator/demand/trip-balance.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const good = new URL('good.csv', FIXTURES).pathname;
const bad = new URL('bad.csv', FIXTURES).pathname;
const iso = (t: number): string => new Date(t).toISOString();

describe('readReplayTrips', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'replay-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('groups good rows into ordered trips with local arrival instants', async () => {
    const { trips, summary } = await readReplayTrips(good);
    assert.equal(summary.encoding, 'plain');
    assert.equal(summary.rowsRead, 10);
    assert.equal(summary.rowsAccepted, 10);
    assert.equal(summary.rowsRejected, 0);
    assert.deepEqual(
      trips.map((t) => t.tripId),
      ['T1', 'T2', 'T3', 'N1'],
    );
    const t1 = trips[0]!;
    assert.equal(t1.direction, 1);
    assert.deepEqual(
      t1.stops.map((s) => [s.seq, s.stopId, s.stopName, s.boardings, s.alightings, s.reportedLoad]),
      [
        [1, 'AAA00', 'Alpha', 5, 0, 5],
        [2, 'BBB00', 'Beta, Gare', 3, 1, 7],
        [3, 'CCC00', '', 0, 7, 0],
      ],
    );
    assert.equal(iso(t1.stops[0]!.arrival), '2012-10-01T05:00:00.000Z');
    assert.equal(trips[2]!.stops[1]!.stopName, 'Eps "quoted"');
  });

  it('keeps a service day running past midnight on its date', async () => {
    const { trips } = await readReplayTrips(good);
    const t2 = trips.find((t) => t.tripId === 'T2')!;
    assert.deepEqual(
      t2.stops.map((s) => iso(s.arrival)),
      ['2012-10-01T21:58:00.000Z', '2012-10-01T22:01:00.000Z', '2012-10-01T22:03:00.000Z'],
    );
    assert.equal(t2.stops[1]!.arrivalText, '00:01:00');
    // A trip starting at 00:10 is the tail of the evening: the next calendar day.
    assert.equal(iso(trips.find((t) => t.tripId === 'T3')!.stops[0]!.arrival), '2012-10-01T22:10:00.000Z');
    // A night tram at 02:10 is dated by the morning it runs in (Geneva's files).
    assert.equal(iso(trips.find((t) => t.tripId === 'N1')!.stops[0]!.arrival), '2012-10-06T00:10:00.000Z');
    // Unless told otherwise.
    const late = await readReplayTrips(good, { pastMidnightBefore: '03:00' });
    assert.equal(iso(late.trips.find((t) => t.tripId === 'N1')!.stops[0]!.arrival), '2012-10-07T00:10:00.000Z');
  });

  it('reads a gzipped file recognised by its magic bytes, whatever its name', async () => {
    const path = join(dir, 'looks-plain.csv');
    writeFileSync(path, gzipSync(readFileSync(good)));
    const zipped = await readReplayTrips(path);
    const plain = await readReplayTrips(good);
    assert.equal(zipped.summary.encoding, 'gzip');
    assert.deepEqual(zipped.trips, plain.trips);
  });

  it('skips each kind of bad row with its reason and reads every good row', async () => {
    const { trips, summary } = await readReplayTrips(bad);
    assert.equal(summary.rowsRead, 17);
    assert.equal(summary.blankLines, 1);
    assert.equal(summary.rowsAccepted, 3);
    assert.equal(summary.rowsRejected, 14);
    for (const [reason, n] of Object.entries(summary.rejectedByReason)) assert.equal(n, 1, `${reason}: ${n}`);
    assert.deepEqual(summary.firstRejected[0], { line: 3, reason: 'bad-quoting' });
    assert.equal(trips.length, 1);
    assert.deepEqual(
      trips[0]!.stops.map((s) => s.arrivalText),
      ['08:00:00', '08:02:00', '08:05:00'],
    );
    assert.ok(trips[0]!.flags.includes('rows-skipped'));
    assert.match(formatReplaySummary(summary), /rejected by reason: bad-quoting 1, field-count 1/);
  });

  it('selects dates and lines', async () => {
    const { trips, summary } = await readReplayTrips(good, { dates: ['2012-10-01'], lines: ['12'] });
    assert.deepEqual(
      trips.map((t) => t.tripId),
      ['T1', 'T2'],
    );
    assert.equal(summary.rowsFilteredOut, 4);
  });

  it('flags inconsistent trips, counts the fixes they need, and fixes them on request', async () => {
    const raw = await readReplayTrips(good);
    const n1 = raw.trips.find((t) => t.tripId === 'N1')!;
    assert.equal(n1.balance, -1);
    assert.ok(n1.flags.includes('unbalanced') && n1.flags.includes('negative-running-load'));
    assert.equal(raw.summary.fixNeeded.trips, 1);
    assert.equal(raw.summary.fixNeeded.alightingsRemoved, 1);
    assert.equal(raw.summary.tripsFixed, 0);

    const fixed = await readReplayTrips(good, { balance: 'clamp' });
    assert.equal(fixed.summary.tripsFixed, 1);
    for (const trip of fixed.trips) {
      const loads = runningLoads(trip.stops);
      assert.ok(loads.every((l) => l >= 0));
      assert.equal(loads.at(-1), 0);
    }
    assert.ok(fixed.trips.find((t) => t.tripId === 'N1')!.flags.includes('balanced'));
  });

  it('reads another time zone, and refuses an unknown one', async () => {
    const { trips } = await readReplayTrips(good, { timeZone: 'UTC' });
    assert.equal(iso(trips[0]!.stops[0]!.arrival), '2012-10-01T07:00:00.000Z');
    await assert.rejects(readReplayTrips(good, { timeZone: 'Nowhere/Town' }), ConfigError);
  });

  it('gives clear errors for a file that is not in the format', async () => {
    const other = join(dir, 'other.csv');
    writeFileSync(other, 'a,b,c\n1,2,3\n');
    await assert.rejects(readReplayTrips(other), /lacks column\(s\) date, line, trip_id/);
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    await assert.rejects(readReplayTrips(empty), /empty file/);
    const truncated = join(dir, 'truncated.csv.gz');
    const whole = gzipSync(Buffer.from(readFileSync(good, 'utf8').repeat(50)));
    writeFileSync(truncated, whole.subarray(0, whole.length - 40));
    await assert.rejects(readReplayTrips(truncated), /cannot read past line \d+/);
  });
});
