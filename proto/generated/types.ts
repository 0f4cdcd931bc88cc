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

export enum EstimatorMode {
  ESTIMATOR_MODE_UNKNOWN = 0,
  ESTIMATOR_MODE_MODEL = 1,
  ESTIMATOR_MODE_GUARD_FALLBACK = 2,
  ESTIMATOR_MODE_RUNNING_SUM = 3,
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
 * Sent right after a departure. At most 12 bytes while seq < 2^21 and stop, line < 128.
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
 * Stop reports of one gateway, n of them, as columns of packed varints. The three dense columns
 * travel one after the other in `columns`; sparse columns hold pairs (index, value) for the few
 * reports that differ from what the rules below predict.
 *
 * Report i (0-based):
 * seq        first_seq + i + (sum of the gaps in seq_gap_at up to i)
 * departure  report n-1 departed `age` 5-s units before the batch was handed to the modem;
 * report i departed dt[i] units before report i+1
 * stop       first_stop for i = 0, then previous + 1 (2 after a terminus: stop 1 of the new
 * trip), unless stop_at says otherwise
 * trip       the last entry of `trips` whose from_index <= i (none yet: all zero, unknown)
 * flags      TERMINUS where a trips entry begins at i >= 1 (counting marks a terminus where the
 * trip changes); flags_at holds the bits that differ from that: flags XOR implied
 * load       a running sum: load[i] = base + boardings[i] - alightings[i] + fix[i], where base is
 * first_load_base for i = 0 and load[i-1] after; at a report flagged TERMINUS the
 * vehicle was empty (alightings belong to the old trip), so load[i] = boardings[i] +
 * fix[i]; fix[i] is the estimator's correction from load_fix or load_fix_at (zero
 * when both are absent)
 */
export interface StopBatch {
  firstSeq: number;
  /**
   * Age of the LAST report's departure when the batch was handed to the modem, in 5 s units.
   */
  age: number;
  /**
   * The dense columns one after the other: dt (n - 1 entries: departure of report i+1 minus that
   * of report i, in 5 s units), boardings (n), alightings (n). So n = (length + 1) / 3.
   */
  columns: number[];
  firstStop: number;
  /**
   * Sparse: pairs (i, stop) for each report i >= 1 whose stop is not the predicted one.
   */
  stopAt: number[];
  /**
   * The estimator's correction on top of the running sum, dense (n entries) or absent.
   */
  loadFix: number[];
  firstLoadBase: number;
  /**
   * Trip context where it changes: quadruples (from_index, line, course, destination), from_index
   * ascending; line is IBIS DS001, course DS002 (Kurs), destination DS003.
   */
  trips: number[];
  /**
   * Sparse: pairs (i, bits): the ReportFlag bits of report i XOR the implied ones (see above).
   */
  flagsAt: number[];
  /**
   * Sparse: pairs (i, gap) for each report i >= 1 whose seq is the previous one + 1 + gap.
   */
  seqGapAt: number[];
  /**
   * The estimator's correction, sparse: pairs (i, fix), both sint32. At most one of load_fix and
   * load_fix_at is present; the encoder picks the shorter.
   */
  loadFixAt: number[];
  /**
   * The outbox epoch the seqs belong to: random (1..16383), new with a fresh outbox or one whose
   * seq went back (a damaged WAL). The backend de-duplicates by (device, epoch, seq); 0: none (as before).
   */
  outboxEpoch: number;
}

/**
 * Sent every health interval (config healthIntervalMin), once after each start, and as a poll when
 * reports wait for an ack and nothing else went for a while (a Class A device hears downlinks only
 * after its own uplinks).
 */
export interface Health {
  uptimeMin: number;
  /**
   * Reports in the outbox not yet acknowledged.
   */
  outboxDepth: number;
  oldestPendingSeq: number;
  /**
   * bits from SensorFault, active now
   */
  sensorFaults: number;
  airtimeTodayMs: number;
  modelVersion: number;
  /**
   * major*10000 + minor*100 + patch
   */
  softwareVersion: number;
  /**
   * Starts of the gateway since the outbox was created (power cuts, crashes, updates).
   */
  restarts: number;
  /**
   * Reports given up because the outbox was full (should stay 0; docs/delivery.md).
   */
  outboxDropped: number;
  /**
   * Live frames not sent since the start because the airtime budget had no room in time.
   */
  liveSkipped: number;
  /**
   * Highest sequence number given so far: the backend acks what it lacks up to here.
   */
  newestSeq: number;
  /**
   * The outbox epoch newest_seq and oldest_pending_seq belong to (StopBatch.outbox_epoch).
   */
  outboxEpoch: number;
  /**
   * Reports whose append the outbox file refused at first (disk full, I/O error, damaged page),
   * since the outbox was made. They wait in memory and are written again; those given up in the
   * end count in outbox_dropped and leave a seq gap.
   */
  appendFailures: number;
  /**
   * Reports waiting in memory now for the outbox to take them.
   */
  reportsHeld: number;
  /**
   * Which estimate the reports carry (zero: not said, as before this field).
   */
  estimatorMode: EstimatorMode;
  /**
   * The vehicle's self-calibration of its own counters, learned online (gateway/estimation/
   * self-calibration.ts): whole trips learned from (at most 127); counted outs per counted in over
   * recent trips, and camera heads per balanced door count at quiet moments, each as
   * (ratio - 1) x 1000 (0: no correction).
   */
  calibrationTrips: number;
  inOutPermilleOff: number;
  cameraScalePermilleOff: number;
  /**
   * The door whose outs per in are furthest from 1 (0: none known) and its (ratio - 1) x 1000.
   */
  worstDoorPermilleOff: number;
  worstDoor: number;
  /**
   * The guard (gateway/estimation/model-guard.ts): mean absolute error of the model and of the
   * running sum at recent trip ends, in tenths of a passenger, at most 127.
   */
  guardModelErrorTenths: number;
  guardSumErrorTenths: number;
}

/**
 * Cumulative acknowledgement: every seq <= through arrived; beyond it, `runs` lists alternating
 * lengths of missing and received seqs (missing first), so gaps can be resent. An odd number of
 * runs ends with a missing run: reports the gateway said it has (Health.newest_seq) that the
 * backend has not seen.
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
