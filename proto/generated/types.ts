// Generated from proto/occupancy.proto by proto/generate.ts: do not edit; run `npm run proto`.
/* eslint-disable */

/**
 * Occupancy levels as Halle shows them to passengers (INSA, "Mein HALLE Unterwegs").
 */
export enum Level {
  LEVEL_UNKNOWN = 0,
  LEVEL_LOW = 1,
  LEVEL_MEDIUM = 2,
  LEVEL_HIGH = 3,
}

export enum ReportFlag {
  REPORT_FLAG_NONE = 0,
  REPORT_FLAG_TERMINUS = 1,
  REPORT_FLAG_DOOR_FAULT = 2,
  REPORT_FLAG_CAMERA_FAULT = 4,
  REPORT_FLAG_MODEL_FALLBACK = 8,
  REPORT_FLAG_LOW_CONFIDENCE = 16,
}

export enum SensorFault {
  SENSOR_FAULT_NONE = 0,
  SENSOR_FAULT_DOOR_BOARD = 1,
  SENSOR_FAULT_BEAM_BLOCKED = 2,
  SENSOR_FAULT_DOOR_CONTACT = 4,
  SENSOR_FAULT_CAMERA = 8,
  SENSOR_FAULT_VEHICLE_BUS = 16,
  SENSOR_FAULT_RADIO = 32,
}

/**
 * Sent right after each departure. Aim: at most 12 bytes.
 */
export interface Live {
  /**
   * Sequence number of the stop report of this departure (links the two; used for de-duplication).
   */
  seq: number;
  /**
   * Stop number along the line (IBIS DS010, x####).
   */
  stop: number;
  /**
   * Public level, anonymised at source with probabilistic boundaries.
   */
  level: Level;
  /**
   * Load as a share of design capacity, in steps of 10 % (0..30 = 0..300 %), from the anonymised level band.
   */
  occupancyTenths: number;
  /**
   * Line number (IBIS DS001).
   */
  line: number;
}

/**
 * Context shared by the stop reports of one trip.
 */
export interface Trip {
  /**
   * Index, within the batch, of the first report that belongs to this trip.
   */
  fromIndex: number;
  /**
   * IBIS DS001
   */
  line: number;
  /**
   * IBIS DS002 (Kurs)
   */
  course: number;
  /**
   * IBIS DS003 destination id
   */
  destination: number;
}

/**
 * Stop reports in columns. Report i has sequence number first_seq + i + (sum of seq_gap[0..i]),
 * departure time recv_time - age*5 s for i = 0, and dt[i-1]*5 s after report i-1.
 * Loads are sent as the estimator's correction on top of the running sum inside the batch.
 */
export interface StopBatch {
  firstSeq: number;
  /**
   * Age of the first report's departure when the batch was handed to the modem, in 5 s units.
   */
  age: number;
  /**
   * Departure time of report i minus that of report i-1, in 5 s units (n-1 entries).
   */
  dt: number[];
  /**
   * Stop number along the line of the first report; the next ones follow one by one
   * unless stop_at says otherwise.
   */
  firstStop: number;
  /**
   * Sparse: for report i (i >= 1) whose stop is not previous + 1: pairs (i, stop).
   */
  stopAt: number[];
  boardings: number[];
  alightings: number[];
  /**
   * load[i] = load[i-1] + boardings[i] - alightings[i] + load_fix[i]; load[-1] = first_load_base.
   */
  loadFix: number[];
  firstLoadBase: number;
  trips: Trip[];
  /**
   * Sparse flags: pairs (i, bits); bits from ReportFlag.
   */
  flagsAt: number[];
  /**
   * Sparse sequence gaps: pairs (i, gap) where report i's seq is previous + 1 + gap.
   */
  seqGapAt: number[];
}

export interface Health {
  uptimeMin: number;
  outboxDepth: number;
  oldestPendingSeq: number;
  /**
   * bits from SensorFault
   */
  sensorFaults: number;
  airtimeTodayMs: number;
  modelVersion: number;
  /**
   * major*10000 + minor*100 + patch
   */
  softwareVersion: number;
  restarts: number;
  /**
   * reports given up because the outbox was full (should stay 0)
   */
  outboxDropped: number;
}

/**
 * Cumulative acknowledgement: every seq <= through arrived; beyond it, `runs` lists alternating
 * lengths of missing and received seqs (missing first), so gaps can be resent.
 */
export interface Ack {
  through: number;
  runs: number[];
}

/**
 * Only fields that are present change; absent fields keep their value.
 */
export interface ConfigChange {
  dailyAirtimeMs?: number;
  healthIntervalMin?: number;
  liveEnabled?: boolean;
  maxBatch?: number;
}
