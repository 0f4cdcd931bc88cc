/**
 * The edge agent's pipeline for one vehicle: source events -> stop events -> load estimate ->
 * stop report (outbox) and live level -> uplink scheduler -> modem; downlinks (acks, config) back.
 * Everything is injected (clock, modem, outbox, estimator), so the simulator and the vehicle run
 * the same code. Must never hold or pass on an identifier of a person.
 */
import type { Clock, TimerHandle } from '../common/clock.js';
import { ProtocolError } from '../common/errors.js';
import { EU868_DEFAULT_CHANNELS_DUTY_CYCLE } from '../contracts/lora-region-eu868.js';
import { moduleLogger } from '../common/log.js';
import type { Downlink, LoraModem } from '../firmware-bindings/lora/modem.js';
import { missingBeyond, receivedBeyond } from '../proto/ack-ranges.js';
import { decodeDownlink, encodeHealth, EstimatorMode, ReportFlag, SensorFault, type ConfigChange, type Health, type HealthReport, type StopReport } from '../proto/frames.js';
import { StopEventAssembler } from './counting/stop-event-assembler.js';
import type { StopEvent } from './counting/stop-event.js';
import type { EstimatorStatus, LoadEstimate, LoadEstimator } from './estimation/estimator.js';
import type { LevelThresholds } from '../contracts/occupancy-levels.js';
import { DEFAULT_SPREAD, PublicLevelPolicy } from './privacy/public-level.js';
import type { EventSink, SensorName, SourceEvent } from '../contracts/source-events.js';
import { AirtimeBudget } from './uplink/airtime-budget.js';
import type { Outbox } from './uplink/outbox.js';
import { UplinkScheduler, type SchedulerOptions } from './uplink/uplink-scheduler.js';

const log = moduleLogger('gateway');

export interface GatewaySettings {
  vehicleId: string;
  capacity: number;
  seats: number;
  levels: LevelThresholds;
  departureGraceMs: number;
  liveEnabled: boolean;
  dailyAirtimeMs: number;
  serviceHours: number;
  dayOf: (t: number) => number;
  scheduler: SchedulerOptions;
  /** An ack's "missing" is ignored for reports sent again within this time (the ack was older). */
  resendGuardMs?: number;
  /**
   * Reports an ack showed missing go again at once and, while no newer ack comes, again after this
   * long (MISSING_RETRIES times): the backend's next ack may be hours away (ten downlinks a day),
   * and a resend can be lost like the first frame was. Default 60 min.
   */
  missingRetryMs?: number;
  softwareVersion?: number;
  /** Health model_version (contracts/model-metadata.ts); default: what the estimator says, else 0 (not reported). */
  modelVersion?: number;
}

export interface GatewayDeps {
  clock: Clock;
  modem: LoraModem;
  outbox: Outbox;
  estimator: LoadEstimator;
  /** The anonymising rule for the level passengers see; one with a fresh random seed if absent. */
  publicLevel?: PublicLevelPolicy;
}

/** What the gateway decided at one departure, for observers (the simulator's scoring, logs). */
export interface DepartureRecord {
  stopEvent: StopEvent;
  estimate: LoadEstimate;
  report: StopReport;
}

const FAULT_BITS: Record<SensorName, number> = {
  'door-board': SensorFault.SENSOR_FAULT_DOOR_BOARD,
  beam: SensorFault.SENSOR_FAULT_BEAM_BLOCKED,
  'door-contact': SensorFault.SENSOR_FAULT_DOOR_CONTACT,
  camera: SensorFault.SENSOR_FAULT_CAMERA,
  'vehicle-bus': SensorFault.SENSOR_FAULT_VEHICLE_BUS,
  radio: SensorFault.SENSOR_FAULT_RADIO,
};

/** While the outbox refuses appends (disk full), held reports are written again this often. */
export const OUTBOX_RETRY_MS = 30_000;
/** How often the reports one ack showed missing are sent again, after the first resend, while no newer ack comes. */
export const MISSING_RETRIES = 1;

/** Bounds on what a ConfigChange may set; anything outside is refused and logged. */
const CONFIG_LIMITS = { dailyAirtimeMs: [1_000, 86_400_000], healthIntervalMin: [0, 7 * 24 * 60], maxBatch: [1, 256] } as const;

const ESTIMATOR_MODE: Record<EstimatorStatus['mode'], EstimatorMode> = {
  model: EstimatorMode.ESTIMATOR_MODE_MODEL,
  'guard-fallback': EstimatorMode.ESTIMATOR_MODE_GUARD_FALLBACK,
  'running-sum': EstimatorMode.ESTIMATOR_MODE_RUNNING_SUM,
};

const permilleOff = (ratio: number) => Math.round((ratio - 1) * 1000);
/** Small fields keep the health frame small: a value that saturates still says "this much or more". */
const tenths = (passengers: number) => Math.min(127, Math.round(passengers * 10));
/** The payload every data rate takes (DR0-DR2). */
const HEALTH_MAX_BYTES = 51;

/** The estimator's mode and the vehicle's self-calibration as health fields, in the order they give way (last first). */
export function estimatorHealth(s: EstimatorStatus | undefined): Array<Partial<Health>> {
  if (!s) return [];
  return [
    { estimatorMode: ESTIMATOR_MODE[s.mode] },
    { calibrationTrips: Math.min(s.calibrationTrips, 127), inOutPermilleOff: permilleOff(s.inOutRatio), cameraScalePermilleOff: permilleOff(s.cameraScale) },
    { worstDoorPermilleOff: permilleOff(s.worstDoorRatio), worstDoor: s.worstDoor },
    { guardModelErrorTenths: tenths(s.guardModelError), guardSumErrorTenths: tenths(s.guardSumError) },
  ];
}

/**
 * Counters that only say "many" past a point: in a frame that would not fit 51 bytes they saturate
 * at the largest two-byte varint (16383), the uptime at the largest three-byte one (about 4 years),
 * so the seqs, the outbox epoch and the storage faults always go whole.
 */
const SATURATING: ReadonlyArray<[keyof HealthReport, number]> = [
  ['liveSkipped', 16_383],
  ['restarts', 16_383],
  ['outboxDropped', 16_383],
  ['appendFailures', 16_383],
  ['reportsHeld', 16_383],
  ['uptimeMin', 2_097_151],
];

/**
 * The health frame with as many of the optional parts as fit 51 bytes, dropping the last first;
 * only when not even the base fits do the counters saturate, and the parts are tried again.
 */
export function fitHealth(base: HealthReport, parts: ReadonlyArray<Partial<Health>>): HealthReport {
  const saturated: HealthReport = { ...base };
  for (const [field, max] of SATURATING) (saturated[field] as number) = Math.min(saturated[field] as number, max);
  for (const b of [base, saturated]) {
    for (let n = parts.length; n >= 0; n--) {
      const health: HealthReport = Object.assign({ ...b }, ...parts.slice(0, n)) as HealthReport;
      if (encodeHealth(health).length <= HEALTH_MAX_BYTES) return health;
    }
  }
  return saturated;
}

/**
 * The optional parts of the health frame in the order they give way (last first): the model
 * version (field 6) goes last of all, then the estimator's fields 15-22 (estimatorHealth).
 */
export function healthParts(modelVersion: number, status: EstimatorStatus | undefined): Array<Partial<Health>> {
  return [...(modelVersion ? [{ modelVersion }] : []), ...estimatorHealth(status)];
}

export class Gateway implements EventSink {
  readonly assembler: StopEventAssembler;
  readonly scheduler: UplinkScheduler;
  private readonly budget: AirtimeBudget;
  private readonly listeners: Array<(record: DepartureRecord) => void> = [];
  private readonly activeFaults = new Map<string, SensorName>();
  private readonly startedAt: number;
  private liveEnabled: boolean;
  /** After a power cut nothing may happen any more (timers of the dead process still fire in a simulation). */
  private halted = false;
  readonly counters = { downlinks: 0, badDownlinks: 0, acks: 0, refusedAcks: 0, missingReported: 0, missingRetried: 0, configChanges: 0, refusedConfig: 0 };

  private readonly publicLevel: PublicLevelPolicy;
  private processing: Promise<void> = Promise.resolve();
  private retryTimer: TimerHandle | undefined;
  /** The reports the last ack showed missing, sent again while no newer ack came (onAck). */
  private missingRetry: { seqs: number[]; rounds: number; timer: TimerHandle } | undefined;

  constructor(
    private readonly deps: GatewayDeps,
    private readonly settings: GatewaySettings,
  ) {
    this.startedAt = deps.clock.now();
    this.publicLevel = deps.publicLevel ?? new PublicLevelPolicy({ thresholds: settings.levels, capacity: settings.capacity, ...DEFAULT_SPREAD });
    this.liveEnabled = settings.liveEnabled;
    this.assembler = new StopEventAssembler(deps.clock, { departureGraceMs: settings.departureGraceMs });
    this.budget = new AirtimeBudget({
      dailyMs: settings.dailyAirtimeMs,
      dutyCycle: EU868_DEFAULT_CHANNELS_DUTY_CYCLE,
      serviceHours: settings.serviceHours,
      burstShare: 0.1,
      reportReserveShare: 0.3,
      dayOf: settings.dayOf,
      store: deps.outbox,
    });
    this.scheduler = new UplinkScheduler(deps.clock, deps.modem, deps.outbox, this.budget, settings.scheduler);
    this.scheduler.healthSource = () => this.health();
    deps.estimator.persistTo?.({ load: () => deps.outbox.loadEstimatorState(), save: (state) => deps.outbox.saveEstimatorState(state) });
    this.applyConfig(deps.outbox.loadSettings(), false);
    this.assembler.onStopEvent((event) => this.onStopEvent(event));
    deps.modem.on('downlink', (downlink) => this.onDownlink(downlink));
  }

  onDeparture(listener: (record: DepartureRecord) => void): void {
    this.listeners.push(listener);
  }

  handle(event: SourceEvent): void {
    if (this.halted) return;
    this.deps.estimator.observe?.(event);
    if (event.type === 'fault') {
      const key = `${event.sensor}/${event.door ?? ''}`;
      if (event.active) this.activeFaults.set(key, event.sensor);
      else this.activeFaults.delete(key);
    }
    this.assembler.handle(event);
  }

  async start(): Promise<void> {
    await this.deps.modem.open();
    this.scheduler.start();
    log.info({ vehicle: this.settings.vehicleId, restarts: this.deps.outbox.restarts, pending: this.deps.outbox.size }, 'gateway started');
  }

  async stop(): Promise<void> {
    this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.clearMissingRetry();
    await this.scheduler.stop();
    await this.deps.modem.close();
  }

  /** A power cut: everything stops where it is; nothing more is sent or written. */
  halt(): void {
    this.halted = true;
    this.deps.clock.clearTimeout(this.retryTimer);
    this.clearMissingRetry();
    this.scheduler.halt();
    this.deps.modem.removeAllListeners('downlink');
  }

  get airtimeTodayMs(): number {
    return this.budget.usedTodayMs;
  }

  get isLiveEnabled(): boolean {
    return this.liveEnabled;
  }

  private health(): HealthReport {
    const now = this.deps.clock.now();
    const outbox = this.deps.outbox;
    const base: HealthReport = {
      uptimeMin: Math.floor((now - this.startedAt) / 60_000),
      outboxDepth: outbox.size,
      oldestPendingSeq: outbox.oldestPending?.seq ?? 0,
      sensorFaults: [...this.activeFaults.values()].reduce((bits, s) => bits | FAULT_BITS[s], 0),
      airtimeTodayMs: Math.round(this.budget.usedTodayMs),
      modelVersion: 0, // a part below: it gives way only after the estimator's fields
      softwareVersion: this.settings.softwareVersion ?? 0,
      restarts: outbox.restarts,
      outboxDropped: outbox.dropped,
      liveSkipped: this.scheduler.stats.liveSkipped,
      newestSeq: outbox.nextSeq - 1,
      outboxEpoch: outbox.epoch,
      appendFailures: outbox.appendFailures,
      reportsHeld: outbox.heldCount,
    };
    const modelVersion = this.settings.modelVersion ?? this.deps.estimator.modelVersion ?? 0;
    return fitHealth(base, healthParts(modelVersion, this.deps.estimator.status?.()));
  }

  /**
   * Estimation may be asynchronous (a model in a native runtime): stop events are processed one
   * after the other, in order, each report in the outbox before the next stop is estimated.
   */
  private onStopEvent(event: StopEvent): void {
    if (this.halted) return;
    const work = this.processing.then(async () => {
      const estimate = await this.deps.estimator.next(event);
      if (!this.halted) this.record(event, estimate);
    });
    this.processing = work.catch((error: unknown) => log.error({ error: (error as Error).message }, 'a stop event could not be processed'));
    this.deps.clock.track?.(this.processing);
  }

  private record(event: StopEvent, estimate: LoadEstimate): void {
    let flags = 0;
    if (event.terminus) flags |= ReportFlag.REPORT_FLAG_TERMINUS;
    if (event.faults.some((f) => f === 'beam' || f === 'door-board' || f === 'door-contact')) flags |= ReportFlag.REPORT_FLAG_DOOR_FAULT;
    if (event.faults.includes('camera')) flags |= ReportFlag.REPORT_FLAG_CAMERA_FAULT;
    if (estimate.source !== 'model' && this.deps.estimator.name !== 'running-sum') flags |= ReportFlag.REPORT_FLAG_MODEL_FALLBACK;
    if (estimate.lowConfidence) flags |= ReportFlag.REPORT_FLAG_LOW_CONFIDENCE;
    const report = this.deps.outbox.append({
      departure: event.departure,
      stop: event.stop,
      line: event.trip.line,
      course: event.trip.course,
      destination: event.trip.destination,
      boardings: event.boardings,
      alightings: event.alightings,
      load: estimate.load,
      flags,
    });
    if (this.deps.outbox.heldCount > 0) {
      // The first report the outbox refuses in a while: tell the operator now, not at the next health interval.
      if (!this.retryTimer) this.scheduler.requestHealth();
      this.retryHeldLater();
    }
    this.scheduler.notifyReport();
    if (this.liveEnabled) {
      this.scheduler.offerLive(
        {
          seq: report.seq,
          stop: event.stop,
          ...this.publicLevel.publish(estimate.load, event.departure),
          line: event.trip.line,
        },
        event.departure,
      );
    }
    for (const listener of this.listeners) listener({ stopEvent: event, estimate, report });
  }

  /** The outbox refused appends: write the held reports again later, until it takes them all. */
  private retryHeldLater(): void {
    if (this.retryTimer || this.halted) return;
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.halted) return;
      if (this.deps.outbox.retryHeld() > 0) this.retryHeldLater();
      else this.scheduler.notifyReport();
    }, OUTBOX_RETRY_MS);
  }

  private onDownlink(downlink: Downlink): void {
    this.counters.downlinks++;
    let message;
    try {
      message = decodeDownlink(downlink.fPort, downlink.payload);
    } catch (error) {
      this.counters.badDownlinks++;
      if (error instanceof ProtocolError) log.warn({ fPort: downlink.fPort, code: error.code }, 'ignored a malformed downlink');
      else throw error;
      return;
    }
    if (message.kind === 'ack') this.onAck(message.message.through, message.message.runs);
    else {
      this.counters.configChanges++;
      this.applyConfig(message.message, true);
    }
  }

  /** Removes what arrived; what the ack shows missing goes again at once, unless it went again since. */
  private onAck(through: number, runs: number[]): void {
    const outbox = this.deps.outbox;
    const result = outbox.acknowledge(through, receivedBeyond(through, runs));
    if (result.refused) {
      this.counters.refusedAcks++;
      return;
    }
    this.counters.acks++;
    this.scheduler.notifyAck();
    // A newer ack says what is still missing: the retries of the last one's are over.
    this.clearMissingRetry();
    const missing = missingBeyond(through, runs, 5_000);
    if (missing.length > 0) {
      const marked = outbox.markMissing(missing, this.deps.clock.now() - (this.settings.resendGuardMs ?? 30 * 60_000));
      this.counters.missingReported += marked;
      if (marked > 0) {
        this.scheduler.notifyReport();
        this.retryMissingLater(missing, 0);
      }
    }
  }

  private clearMissingRetry(): void {
    if (this.missingRetry) this.deps.clock.clearTimeout(this.missingRetry.timer);
    this.missingRetry = undefined;
  }

  /**
   * Sends the reports an ack showed missing again after missingRetryMs, up to MISSING_RETRIES
   * times, unless a newer ack came: those still in the outbox and last sent at least half that
   * long ago (one still waiting for the budget is due anyway). Acknowledged ones have left the
   * outbox and are not touched.
   */
  private retryMissingLater(seqs: number[], rounds: number): void {
    if (rounds >= MISSING_RETRIES || this.halted) return;
    const every = this.settings.missingRetryMs ?? 150 * 60_000;
    const timer = this.deps.clock.setTimeout(() => {
      if (this.missingRetry?.timer !== timer || this.halted) return;
      this.missingRetry = undefined;
      const marked = this.deps.outbox.markMissing(seqs, this.deps.clock.now() - every / 2);
      if (marked === 0) return;
      this.counters.missingRetried += marked;
      this.scheduler.notifyReport();
      this.retryMissingLater(seqs, rounds + 1);
    }, every);
    this.missingRetry = { seqs, rounds, timer };
  }

  /** Applies (and, from a downlink, keeps across restarts) what the operator may change remotely. */
  private applyConfig(change: ConfigChange | Record<string, number>, fromDownlink: boolean): void {
    const c = change as Partial<Record<keyof ConfigChange, number | boolean>>;
    for (const [key, [min, max]] of Object.entries(CONFIG_LIMITS) as Array<[keyof typeof CONFIG_LIMITS, readonly [number, number]]>) {
      const value = c[key];
      if (value === undefined) continue;
      if (typeof value !== 'number' || value < min || value > max) {
        this.counters.refusedConfig++;
        log.warn({ setting: key, value }, 'refused a configuration change out of bounds');
        continue;
      }
      if (key === 'dailyAirtimeMs') this.budget.setDailyMs(value);
      else if (key === 'healthIntervalMin') this.scheduler.reconfigure({ healthIntervalMs: value * 60_000 });
      else this.scheduler.reconfigure({ maxBatch: value });
      if (fromDownlink) this.deps.outbox.saveSetting(key, value);
    }
    if (c.liveEnabled !== undefined) {
      this.liveEnabled = Boolean(c.liveEnabled);
      if (fromDownlink) this.deps.outbox.saveSetting('liveEnabled', this.liveEnabled ? 1 : 0);
    }
    if (fromDownlink) log.info({ change }, 'configuration changed by downlink');
  }
}
