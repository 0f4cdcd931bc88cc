/**
 * Frame codecs: pure functions between domain records and the bytes of one LoRaWAN payload.
 * The gateway encodes with them, the backend decodes with them. A malformed payload is a
 * ProtocolError with a code, never a crash. Must never log or throw with payload contents that
 * could carry anything but counts.
 */
import type protobuf from 'protobufjs';
import { ProtocolError } from '../common/errors.js';
import { messageType } from './schema.js';
import type { Ack, ConfigChange, Health, Live, StopBatch } from './generated/types.js';
import { fromStopBatch, toStopBatch, type StopReport } from './stop-batch.js';

export * from './generated/types.js';
export { MAX_BATCH_REPORTS, TIME_UNIT_MS, type StopReport } from './stop-batch.js';

export const FPORT = {
  live: 1,
  stopBatch: 2,
  health: 3,
  ack: 10,
  config: 11,
} as const;

export type Uplink =
  | { kind: 'live'; fPort: 1; message: Live }
  | { kind: 'stopBatch'; fPort: 2; reports: StopReport[]; /** 0: the sender has no epoch (as before). */ epoch: number }
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

/** Health fields added with the self-calibration (issue 12): a sender that has none leaves them out (zero, "not said"). */
export type EstimatorHealthField =
  | 'estimatorMode'
  | 'calibrationTrips'
  | 'inOutPermilleOff'
  | 'cameraScalePermilleOff'
  | 'worstDoor'
  | 'worstDoorPermilleOff'
  | 'guardModelErrorTenths'
  | 'guardSumErrorTenths';
export type HealthReport = Omit<Health, EstimatorHealthField> & Partial<Pick<Health, EstimatorHealthField>>;

export function encodeHealth(health: HealthReport): Uint8Array {
  return encode(types.health, health);
}

export function encodeAck(ack: Ack): Uint8Array {
  return encode(types.ack, ack);
}

export function encodeConfigChange(change: ConfigChange): Uint8Array {
  return encode(types.config, change);
}

/**
 * Encodes reports (ascending seq) as one StopBatch payload. `sentAt` is when the payload is handed
 * to the modem: times travel as an age relative to it.
 */
export function encodeStopBatch(reports: readonly StopReport[], sentAt: number, outboxEpoch = 0): Uint8Array {
  return encode(types.stopBatch, toStopBatch(reports, sentAt, outboxEpoch));
}

export function decodeStopBatch(bytes: Uint8Array, recvTime: number, fPort: number = FPORT.stopBatch): StopReport[] {
  return fromStopBatch(decode<StopBatch>(types.stopBatch, bytes, fPort), recvTime, fPort);
}

export function decodeUplink(fPort: number, bytes: Uint8Array, recvTime: number): Uplink {
  switch (fPort) {
    case FPORT.live:
      return { kind: 'live', fPort, message: decode<Live>(types.live, bytes, fPort) };
    case FPORT.stopBatch: {
      const batch = decode<StopBatch>(types.stopBatch, bytes, fPort);
      return { kind: 'stopBatch', fPort, reports: fromStopBatch(batch, recvTime, fPort), epoch: batch.outboxEpoch };
    }
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
