/**
 * The edge agent's pipeline for one vehicle: source events -> stop events -> load estimate ->
 * stop report (outbox) and live level -> uplink scheduler -> modem; downlinks (acks, config) back.
 * Everything is injected (clock, modem, outbox, estimator), so the simulator and the vehicle run
 * the same code. Must never hold or pass on an identifier of a person.
 */
import type { Clock } from '../common/clock.js';
import { ProtocolError } from '../common/errors.js';
import { moduleLogger } from '../common/log.js';
import type { Downlink, LoraModem } from '../firmware-bindings/lora/modem.js';
import { receivedBeyond } from '../proto/ack-ranges.js';
import { decodeDownlink, ReportFlag, type StopReport } from '../proto/frames.js';
import { StopEventAssembler } from './counting/stop-event-assembler.js';
import type { StopEvent } from './counting/stop-event.js';
import type { LoadEstimate, LoadEstimator } from './estimation/estimator.js';
import { levelFor, occupancyTenths, type LevelThresholds } from './estimation/levels.js';
import type { EventSink, SourceEvent } from './sources/events.js';
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
}

export interface GatewayDeps {
  clock: Clock;
  modem: LoraModem;
  outbox: Outbox;
  estimator: LoadEstimator;
}

/** What the gateway decided at one departure, for observers (the simulator's scoring, logs). */
export interface DepartureRecord {
  stopEvent: StopEvent;
  estimate: LoadEstimate;
  report: StopReport;
}

export class Gateway implements EventSink {
  readonly assembler: StopEventAssembler;
  readonly scheduler: UplinkScheduler;
  private readonly budget: AirtimeBudget;
  private readonly listeners: Array<(record: DepartureRecord) => void> = [];
  readonly counters = { downlinks: 0, badDownlinks: 0, acks: 0, configChanges: 0 };

  constructor(
    private readonly deps: GatewayDeps,
    private readonly settings: GatewaySettings,
  ) {
    this.assembler = new StopEventAssembler(deps.clock, { departureGraceMs: settings.departureGraceMs });
    this.budget = new AirtimeBudget({
      dailyMs: settings.dailyAirtimeMs,
      dutyCycle: 0.01,
      serviceHours: settings.serviceHours,
      burstShare: 0.1,
      reportReserveShare: 0.3,
      dayOf: settings.dayOf,
    });
    this.scheduler = new UplinkScheduler(deps.clock, deps.modem, deps.outbox, this.budget, settings.scheduler);
    this.assembler.onStopEvent((event) => this.onStopEvent(event));
    deps.modem.on('downlink', (downlink) => this.onDownlink(downlink));
  }

  onDeparture(listener: (record: DepartureRecord) => void): void {
    this.listeners.push(listener);
  }

  handle(event: SourceEvent): void {
    this.assembler.handle(event);
  }

  async start(): Promise<void> {
    await this.deps.modem.open();
    this.scheduler.start();
    log.info({ vehicle: this.settings.vehicleId }, 'gateway started');
  }

  async stop(): Promise<void> {
    await this.scheduler.stop();
    await this.deps.modem.close();
  }

  get airtimeTodayMs(): number {
    return this.budget.usedTodayMs;
  }

  private onStopEvent(event: StopEvent): void {
    const estimate = this.deps.estimator.next(event);
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
    this.scheduler.notifyReport();
    if (this.settings.liveEnabled) {
      this.scheduler.offerLive(
        {
          seq: report.seq,
          stop: event.stop,
          level: levelFor(estimate.load, this.settings.levels),
          occupancyTenths: occupancyTenths(estimate.load, this.settings.capacity),
          line: event.trip.line,
        },
        event.departure,
      );
    }
    for (const listener of this.listeners) listener({ stopEvent: event, estimate, report });
  }

  private onDownlink(downlink: Downlink): void {
    this.counters.downlinks++;
    try {
      const message = decodeDownlink(downlink.fPort, downlink.payload);
      if (message.kind === 'ack') {
        this.counters.acks++;
        const { through, runs } = message.message;
        const beyond = receivedBeyond(through, runs);
        this.deps.outbox.acknowledge(through, beyond);
        // What the ack skipped below the highest seq it mentions was lost on the way: resend it now.
        const highest = beyond.length > 0 ? beyond[beyond.length - 1]! : through;
        const missing = this.deps.outbox.sentBefore(highest, 1000).map((r) => r.seq);
        if (missing.length > 0) {
          this.deps.outbox.markMissing(missing);
          this.scheduler.notifyReport();
        }
      } else {
        this.counters.configChanges++;
        log.info({ change: message.message }, 'configuration change received');
      }
    } catch (error) {
      this.counters.badDownlinks++;
      if (error instanceof ProtocolError) log.warn({ fPort: downlink.fPort, code: error.code }, 'ignored a malformed downlink');
      else throw error;
    }
  }
}
