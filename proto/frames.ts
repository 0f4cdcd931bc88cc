/**
 * Frame codecs: pure functions between domain records and the bytes of one LoRaWAN payload.
 * The gateway encodes with them, the backend decodes with them. A malformed payload is a
 * ProtocolError with a code, never a crash. Must never log or throw with payload contents that
 * could carry anything but counts.
 */
import type protobuf from 'protobufjs';
import { ProtocolError } from '../common/errors.js';
import { messageType } from './schema.js';
import type { Ack, ConfigChange, Health, Live, StopBatch, Trip } from './generated/types.js';

export * from './generated/types.js';

export const FPORT = {
  live: 1,
  stopBatch: 2,
  health: 3,
  ack: 10,
  config: 11,
} as const;

/** Departure times travel in units of this many milliseconds. */
export const TIME_UNIT_MS = 5000;

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

export type Uplink =
  | { kind: 'live'; fPort: 1; message: Live }
  | { kind: 'stopBatch'; fPort: 2; reports: StopReport[] }
  | { kind: 'health'; fPort: 3; message: Health };

export type Downlink = { kind: 'ack'; fPort: 10; message: Ack } | { kind: 'config'; fPort: 11; message: ConfigChange };

const types = {
  live: messageType('Live'),
  stopBatch: messageType('StopBatch'),
  health: messageType('Health'),
  ack: messageType('Ack'),
  config: messageType('ConfigChange'),
};

const MAX_U32 = 0xffffffff;

function encode(type: protobuf.Type, value: object): Uint8Array {
  return type.encode(type.fromObject(value)).finish();
}

function decode<T>(type: protobuf.Type, bytes: Uint8Array, fPort: number): T {
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (error) {
    throw new ProtocolError(`fPort ${fPort}: not a valid ${type.name}: ${(error as Error).message}`, 'malformed');
  }
  return type.toObject(message, { defaults: true, arrays: true, enums: Number, longs: Number }) as T;
}

function checkCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new RangeError(`${name} must be an unsigned 32-bit integer, got ${value}`);
  }
  return value;
}

export function encodeLive(live: Live): Uint8Array {
  checkCount('seq', live.seq);
  checkCount('stop', live.stop);
  return encode(types.live, live);
}

export function encodeHealth(health: Health): Uint8Array {
  return encode(types.health, health);
}

export function encodeAck(ack: Ack): Uint8Array {
  return encode(types.ack, ack);
}

export function encodeConfigChange(change: ConfigChange): Uint8Array {
  return encode(types.config, change);
}

function quantise(ms: number): number {
  return Math.floor(ms / TIME_UNIT_MS);
}

/**
 * Encodes reports (in ascending seq order) as one StopBatch. `sentAt` is when the payload is handed
 * to the modem: departure times travel as an age relative to it, so the gateway's clock needs no
 * absolute agreement with the backend's.
 */
export function encodeStopBatch(reports: readonly StopReport[], sentAt: number): Uint8Array {
  if (reports.length === 0) throw new RangeError('a stop batch needs at least one report');
  const first = reports[0]!;
  const batch: StopBatch = {
    firstSeq: checkCount('seq', first.seq),
    age: Math.max(0, quantise(sentAt) - quantise(first.departure)),
    dt: [],
    firstStop: checkCount('stop', first.stop),
    stopAt: [],
    boardings: [],
    alightings: [],
    loadFix: [],
    firstLoadBase: Math.max(0, first.load - first.boardings + first.alightings),
    trips: [],
    flagsAt: [],
    seqGapAt: [],
  };
  let prev: StopReport | undefined;
  let prevLoad = batch.firstLoadBase;
  let prevTrip: Trip | undefined;
  reports.forEach((r, i) => {
    checkCount('boardings', r.boardings);
    checkCount('alightings', r.alightings);
    checkCount('load', r.load);
    if (prev) {
      if (r.seq <= prev.seq) throw new RangeError(`reports must be in ascending seq order (${prev.seq} then ${r.seq})`);
      batch.dt.push(Math.max(0, quantise(r.departure) - quantise(prev.departure)));
      if (r.stop !== prev.stop + 1) batch.stopAt.push(i, checkCount('stop', r.stop));
      if (r.seq !== prev.seq + 1) batch.seqGapAt.push(i, r.seq - prev.seq - 1);
    }
    if (!prevTrip || prevTrip.line !== r.line || prevTrip.course !== r.course || prevTrip.destination !== r.destination) {
      prevTrip = { fromIndex: i, line: r.line, course: r.course, destination: r.destination };
      batch.trips.push(prevTrip);
    }
    batch.boardings.push(r.boardings);
    batch.alightings.push(r.alightings);
    batch.loadFix.push(r.load - (prevLoad + r.boardings - r.alightings));
    if (r.flags) batch.flagsAt.push(i, r.flags);
    prevLoad = r.load;
    prev = r;
  });
  return encode(types.stopBatch, batch);
}

function pairs(values: number[], n: number, what: string, fPort: number): Map<number, number> {
  if (values.length % 2 !== 0) throw new ProtocolError(`fPort ${fPort}: ${what} has an odd length`, 'bad-batch');
  const map = new Map<number, number>();
  for (let k = 0; k < values.length; k += 2) {
    const index = values[k]!;
    if (index >= n) throw new ProtocolError(`fPort ${fPort}: ${what} points past the batch`, 'bad-batch');
    map.set(index, values[k + 1]!);
  }
  return map;
}

export function decodeStopBatch(bytes: Uint8Array, recvTime: number, fPort: number = FPORT.stopBatch): StopReport[] {
  const b = decode<StopBatch>(types.stopBatch, bytes, fPort);
  const n = b.boardings.length;
  if (n === 0) throw new ProtocolError(`fPort ${fPort}: empty stop batch`, 'bad-batch');
  if (b.alightings.length !== n || b.loadFix.length !== n || b.dt.length !== n - 1) {
    throw new ProtocolError(`fPort ${fPort}: stop batch columns differ in length`, 'bad-batch');
  }
  const trips = [...b.trips].sort((x, y) => x.fromIndex - y.fromIndex);
  if (trips.length === 0 || trips[0]!.fromIndex !== 0) {
    throw new ProtocolError(`fPort ${fPort}: stop batch without trip context for its first report`, 'bad-batch');
  }
  const stopAt = pairs(b.stopAt, n, 'stop_at', fPort);
  const flagsAt = pairs(b.flagsAt, n, 'flags_at', fPort);
  const gapAt = pairs(b.seqGapAt, n, 'seq_gap_at', fPort);
  const reports: StopReport[] = [];
  let departure = (quantise(recvTime) - b.age) * TIME_UNIT_MS;
  let seq = b.firstSeq;
  let stop = b.firstStop;
  let load = b.firstLoadBase;
  let trip = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      departure += b.dt[i - 1]! * TIME_UNIT_MS;
      seq += 1 + (gapAt.get(i) ?? 0);
      stop = stopAt.get(i) ?? stop + 1;
    }
    while (trip + 1 < trips.length && trips[trip + 1]!.fromIndex <= i) trip++;
    const t = trips[trip]!;
    const boardings = b.boardings[i]!;
    const alightings = b.alightings[i]!;
    load = load + boardings - alightings + b.loadFix[i]!;
    if (load < 0 || seq > MAX_U32) throw new ProtocolError(`fPort ${fPort}: stop batch decodes to an impossible report`, 'bad-batch');
    reports.push({
      seq,
      departure,
      stop,
      line: t.line,
      course: t.course,
      destination: t.destination,
      boardings,
      alightings,
      load,
      flags: flagsAt.get(i) ?? 0,
    });
  }
  return reports;
}

export function decodeUplink(fPort: number, bytes: Uint8Array, recvTime: number): Uplink {
  switch (fPort) {
    case FPORT.live:
      return { kind: 'live', fPort, message: decode<Live>(types.live, bytes, fPort) };
    case FPORT.stopBatch:
      return { kind: 'stopBatch', fPort, reports: decodeStopBatch(bytes, recvTime, fPort) };
    case FPORT.health:
      return { kind: 'health', fPort, message: decode<Health>(types.health, bytes, fPort) };
    default:
      throw new ProtocolError(`fPort ${fPort} carries no uplink message of schema v1`, 'unknown-fport');
  }
}

export function decodeDownlink(fPort: number, bytes: Uint8Array): Downlink {
  switch (fPort) {
    case FPORT.ack:
      return { kind: 'ack', fPort, message: decode<Ack>(types.ack, bytes, fPort) };
    case FPORT.config: {
      const message = types.config.toObject(decodeRaw(types.config, bytes, fPort), { enums: Number, longs: Number });
      return { kind: 'config', fPort, message: message as ConfigChange };
    }
    default:
      throw new ProtocolError(`fPort ${fPort} carries no downlink message of schema v1`, 'unknown-fport');
  }
}

function decodeRaw(type: protobuf.Type, bytes: Uint8Array, fPort: number): protobuf.Message {
  try {
    return type.decode(bytes);
  } catch (error) {
    throw new ProtocolError(`fPort ${fPort}: not a valid ${type.name}: ${(error as Error).message}`, 'malformed');
  }
}
