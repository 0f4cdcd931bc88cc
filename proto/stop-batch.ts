/**
 * The column rules of the StopBatch message (occupancy.proto explains them): stop reports to the
 * message's columns and back, choosing the shortest form for each column (absent when all zero,
 * sparse or dense corrections). Pure functions on plain objects; the wire format is frames.ts's.
 * The standalone TS013 codec (proto/ts013-runtime.js) implements the same rules in ES5 and a
 * test holds the two together. Must never accept a batch it cannot expand exactly.
 */
import { ProtocolError } from '../common/errors.js';
import { ReportFlag, type StopBatch } from './generated/types.js';

/** Departure times travel in units of this many milliseconds. */
export const TIME_UNIT_MS = 5000;

/** Most reports one batch may claim (222 bytes cannot carry more in any useful form). */
export const MAX_BATCH_REPORTS = 256;

const MAX_U32 = 0xffffffff;

/** One stop report as the gateway keeps it and the backend receives it. */
export interface StopReport {
  seq: number;
  /** Departure time, ms since the epoch (5 s resolution on the wire). */
  departure: number;
  stop: number;
  line: number;
  course: number;
  destination: number;
  boardings: number;
  alightings: number;
  /** Estimated load on departure. */
  load: number;
  /** Bits of ReportFlag. */
  flags: number;
}

function quantise(ms: number): number {
  return Math.floor(ms / TIME_UNIT_MS);
}

function checkCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new RangeError(`${name} must be an unsigned 32-bit integer, got ${value}`);
  }
  return value;
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value >>> 0; v >= 0x80; v >>>= 7) size++;
  return size;
}

function zigzag(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

/** A new trip entry after the first report means a terminus (that is how counting defines one). */
function impliedFlags(i: number, tripStarts: boolean): number {
  return i >= 1 && tripStarts ? ReportFlag.REPORT_FLAG_TERMINUS : 0;
}

/** The stop a report is expected at after `previous`: the next one, or 2 after a terminus (stop 1 of the new trip). */
function predictedStop(previous: { stop: number; flags: number }): number {
  return previous.flags & ReportFlag.REPORT_FLAG_TERMINUS ? 2 : previous.stop + 1;
}

/** What the load of a report would be without the estimator's correction. */
function runningSum(i: number, flags: number, firstLoadBase: number, previousLoad: number, boardings: number, alightings: number): number {
  // At a terminus the vehicle was emptied: its alightings belong to the old trip.
  if (flags & ReportFlag.REPORT_FLAG_TERMINUS) return boardings;
  return (i === 0 ? firstLoadBase : previousLoad) + boardings - alightings;
}

/**
 * Reports (ascending seq, departures not decreasing) as one StopBatch message. `sentAt` is when the
 * payload is handed to the modem: times travel as an age relative to it, so the gateway's clock
 * needs no absolute agreement with the backend's.
 */
export function toStopBatch(reports: readonly StopReport[], sentAt: number, outboxEpoch = 0): StopBatch {
  const n = reports.length;
  if (n === 0) throw new RangeError('a stop batch needs at least one report');
  if (n > MAX_BATCH_REPORTS) throw new RangeError(`a stop batch carries at most ${MAX_BATCH_REPORTS} reports`);
  const first = reports[0]!;
  const last = reports[n - 1]!;
  const firstLoadBase = Math.max(0, first.load - first.boardings + first.alightings);
  const batch: StopBatch = {
    firstSeq: checkCount('seq', first.seq),
    age: Math.max(0, quantise(sentAt) - quantise(last.departure)),
    columns: [],
    firstStop: checkCount('stop', first.stop),
    stopAt: [],
    loadFix: [],
    firstLoadBase,
    trips: [],
    flagsAt: [],
    seqGapAt: [],
    loadFixAt: [],
    outboxEpoch: checkCount('outbox epoch', outboxEpoch),
  };
  const dt: number[] = [];
  const fixes: number[] = [];
  let previous: StopReport | undefined;
  let trip: [number, number, number] = [0, 0, 0];
  reports.forEach((r, i) => {
    for (const key of ['boardings', 'alightings', 'load', 'line', 'course', 'destination', 'flags', 'stop'] as const) checkCount(key, r[key]);
    if (previous) {
      if (r.seq <= previous.seq) throw new RangeError(`reports must be in ascending seq order (${previous.seq} then ${r.seq})`);
      const gap = quantise(r.departure) - quantise(previous.departure);
      if (gap < 0) throw new RangeError(`departures must not go back in time (seq ${r.seq})`);
      dt.push(gap);
      if (r.stop !== predictedStop(previous)) batch.stopAt.push(i, r.stop);
      if (r.seq !== previous.seq + 1) batch.seqGapAt.push(i, r.seq - previous.seq - 1);
    }
    let tripStarts = false;
    if (r.line !== trip[0] || r.course !== trip[1] || r.destination !== trip[2]) {
      trip = [r.line, r.course, r.destination];
      batch.trips.push(i, ...trip);
      tripStarts = true;
    }
    const flagBits = r.flags ^ impliedFlags(i, tripStarts);
    if (flagBits) batch.flagsAt.push(i, flagBits);
    const fix = r.load - runningSum(i, r.flags, firstLoadBase, previous?.load ?? 0, r.boardings, r.alightings);
    if (fix < -0x80000000 || fix > 0x7fffffff) throw new RangeError(`load of seq ${r.seq} is out of range`);
    fixes.push(fix);
    previous = r;
  });
  batch.columns = [...dt, ...reports.map((r) => r.boardings), ...reports.map((r) => r.alightings)];
  const dense = fixes.reduce((s, f) => s + varintSize(zigzag(f)), 0);
  const sparsePairs = fixes.flatMap((f, i) => (f !== 0 ? [i, f] : []));
  const sparse = sparsePairs.reduce((s, v) => s + varintSize(zigzag(v)), 0);
  if (sparsePairs.length > 0) {
    if (sparse < dense) batch.loadFixAt = sparsePairs;
    else batch.loadFix = fixes;
  }
  return batch;
}

function bad(fPort: number, what: string): ProtocolError {
  return new ProtocolError(`fPort ${fPort}: ${what}`, 'bad-batch');
}

/** Pairs (index, value) of a sparse column; indices below `minIndex` or past the batch are refused. */
function pairs(values: readonly number[], n: number, minIndex: number, what: string, fPort: number): Map<number, number> {
  if (values.length % 2 !== 0) throw bad(fPort, `${what} has an odd length`);
  const map = new Map<number, number>();
  for (let k = 0; k < values.length; k += 2) {
    const index = values[k]!;
    if (index < minIndex || index >= n) throw bad(fPort, `${what} points outside the batch`);
    if (map.has(index)) throw bad(fPort, `${what} names report ${index} twice`);
    map.set(index, values[k + 1]!);
  }
  return map;
}

/** Expands a StopBatch message into its reports; a ProtocolError ('bad-batch') when the columns disagree. */
export function fromStopBatch(b: StopBatch, recvTime: number, fPort: number): StopReport[] {
  if (b.columns.length === 0) throw bad(fPort, 'no reports');
  if ((b.columns.length + 1) % 3 !== 0) throw bad(fPort, `columns has ${b.columns.length} entries, not 3n - 1`);
  const n = (b.columns.length + 1) / 3;
  if (n > MAX_BATCH_REPORTS) throw bad(fPort, `claims ${n} reports, more than ${MAX_BATCH_REPORTS}`);
  const dt = (i: number) => b.columns[i]!;
  const boardings = (i: number) => b.columns[n - 1 + i]!;
  const alightings = (i: number) => b.columns[2 * n - 1 + i]!;
  if (b.loadFix.length > 0 && b.loadFixAt.length > 0) throw bad(fPort, 'carries load_fix both dense and sparse');
  if (b.loadFix.length > 0 && b.loadFix.length !== n) throw bad(fPort, `load_fix has ${b.loadFix.length} entries, not ${n}`);
  const sparseFix = pairs(b.loadFixAt, n, 0, 'load_fix_at', fPort);
  const stopAt = pairs(b.stopAt, n, 1, 'stop_at', fPort);
  const flagsAt = pairs(b.flagsAt, n, 0, 'flags_at', fPort);
  const gapAt = pairs(b.seqGapAt, n, 1, 'seq_gap_at', fPort);
  if (b.trips.length % 4 !== 0) throw bad(fPort, 'trips is not a list of quadruples');
  const trips: number[][] = [];
  for (let k = 0; k < b.trips.length; k += 4) {
    const from = b.trips[k]!;
    if (from >= n || (trips.length > 0 && from <= trips[trips.length - 1]![0]!)) throw bad(fPort, 'trips out of order');
    trips.push(b.trips.slice(k, k + 4));
  }
  // Departures: the last one from the age, the others backwards through dt.
  const departures: number[] = new Array<number>(n);
  let unit = quantise(recvTime) - b.age;
  for (let i = n - 1; i >= 0; i--) {
    if (i < n - 1) unit -= dt(i);
    departures[i] = unit * TIME_UNIT_MS;
  }
  if (departures[0]! < 0) throw bad(fPort, 'departs before 1970');
  const reports: StopReport[] = [];
  let seq = b.firstSeq;
  let stop = b.firstStop;
  let flags = 0;
  let load = 0;
  let trip = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      seq += 1 + (gapAt.get(i) ?? 0);
      stop = stopAt.get(i) ?? predictedStop({ stop, flags });
    }
    const tripStarts = trip < trips.length && trips[trip]![0]! === i;
    if (tripStarts) trip++;
    const t = trip > 0 ? trips[trip - 1]! : [0, 0, 0, 0];
    flags = (flagsAt.get(i) ?? 0) ^ impliedFlags(i, tripStarts);
    const fix = (b.loadFix.length > 0 ? b.loadFix[i]! : 0) + (sparseFix.get(i) ?? 0);
    load = runningSum(i, flags, b.firstLoadBase, load, boardings(i), alightings(i)) + fix;
    if (load < 0 || load > MAX_U32 || seq > MAX_U32 || stop > MAX_U32) throw bad(fPort, 'decodes to an impossible report');
    reports.push({
      seq,
      departure: departures[i]!,
      stop,
      line: t[1]!,
      course: t[2]!,
      destination: t[3]!,
      boardings: boardings(i),
      alightings: alightings(i),
      load,
      flags,
    });
  }
  return reports;
}
