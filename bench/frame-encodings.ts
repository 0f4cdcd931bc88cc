/**
 * What the bench compares our stop batch frames with: the same reports as compact JSON, as a
 * Cayenne-LPP-style encoding (channel, type, value per datum, as LPP devices send), and the
 * bit-packed floor of our own column model (every present column at the fewest bits its largest
 * value needs, with its width and length in 13 bits: about what no byte-aligned encoding of these
 * columns can beat).
 * For figures only; nothing here goes on air.
 */
import type { StopReport } from '../proto/frames.js';
import { toStopBatch } from '../proto/stop-batch.js';

export function jsonBytes(reports: readonly StopReport[]): number {
  return Buffer.byteLength(JSON.stringify(reports.map((r) => ({ ...r, departure: Math.floor(r.departure / 1000) }))));
}

/** Cayenne LPP data types used (IPSO ids minus 3200) and their value sizes in bytes. */
const LPP = { digitalInput: [0, 1], unsigned16: [101, 2], generic32: [100, 4], unixTime: [133, 4] } as const;

/** One report as LPP channels: seq, departure, stop, line, course, destination, boardings, alightings, load, flags. */
export function cayenneLppBytes(reports: readonly StopReport[]): Uint8Array {
  const out: number[] = [];
  let channel = 0;
  const put = ([type, size]: readonly [number, number], value: number): void => {
    out.push(channel++ & 0xff, type);
    for (let k = size - 1; k >= 0; k--) out.push(Math.floor(value / 256 ** k) & 0xff);
  };
  for (const r of reports) {
    put(LPP.generic32, r.seq);
    put(LPP.unixTime, Math.floor(r.departure / 1000));
    put(LPP.unsigned16, r.stop);
    put(LPP.digitalInput, r.line);
    put(LPP.digitalInput, r.course);
    put(LPP.unsigned16, r.destination);
    put(LPP.digitalInput, Math.min(255, r.boardings));
    put(LPP.digitalInput, Math.min(255, r.alightings));
    put(LPP.unsigned16, r.load);
    put(LPP.digitalInput, r.flags);
  }
  return Uint8Array.from(out);
}

function bits(value: number): number {
  return value <= 0 ? 0 : Math.floor(Math.log2(value)) + 1;
}

const zigzag = (v: number) => (v >= 0 ? 2 * v : -2 * v - 1);

/** The floor in bytes: the batch's columns (proto/stop-batch.ts), each packed at the bits of its largest value. */
export function bitPackedFloorBytes(reports: readonly StopReport[], sentAt: number): number {
  const b = toStopBatch(reports, sentAt);
  const scalar = [b.firstSeq, b.age, b.firstStop, b.firstLoadBase].reduce((s, v) => s + 5 + bits(v), 0);
  const columns = [b.columns, b.stopAt, b.loadFix.map(zigzag), b.trips, b.flagsAt, b.seqGapAt, b.loadFixAt.map(zigzag)];
  // Each column: one bit for present; when present its width (5 bits), its length (8 bits), the values.
  const packed = columns.reduce((s, c) => s + 1 + (c.length > 0 ? 5 + 8 + c.length * bits(Math.max(...c)) : 0), 0);
  return Math.ceil((scalar + packed) / 8);
}
