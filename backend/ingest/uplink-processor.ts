/**
 * The backend's receiving core: decodes each uplink with the shared schema, drops duplicate
 * reports by (device, outbox epoch, sequence number) against the store (a gateway whose outbox
 * starts over numbers under a new epoch: its reports are new, never taken for old ones), hands every report on exactly once, and
 * acknowledges within the downlink budget: at most `maxAcksPerDay` acks and `maxDownlinksPerDay`
 * downlinks in all (JoinAccepts and config changes included) per device and day, counted on the
 * day they went out, at least `minIntervalMs` apart, and never a second one while the network
 * server still holds the first (it would go out too, and count). Malformed
 * payloads are counted and logged, never fatal. Transport (MQTT or in-process) is injected.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import { ProtocolError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import { buildAck } from '../../proto/ack-ranges.js';
import { decodeUplink, encodeAck, encodeConfigChange, FPORT, type ConfigChange, type Health, type Live, type StopReport } from '../../proto/frames.js';
import { MemoryReportStore, type DeviceAckState, type ReportStore } from '../store/report-store.js';
import type { UplinkEnvelope } from './network-events.js';

const log = moduleLogger('backend.ingest');

export interface ReportConsumer {
  report(devEui: string, report: StopReport, receivedAt: number): void;
  live?(devEui: string, live: Live, receivedAt: number): void;
  health?(devEui: string, health: Health, receivedAt: number): void;
}

export interface DownlinkSender {
  /** Queue a downlink for the device's next receive window. */
  send(devEui: string, fPort: number, payload: Uint8Array): void;
}

export interface AckPolicy {
  /** Least time between two acks to one device (about 2 h spreads 9 acks over a service day). */
  minIntervalMs: number;
  maxAcksPerDay: number;
  /** Acks, config changes and JoinAccepts together (The Things Network's fair use: 10). */
  maxDownlinksPerDay: number;
  /** A queued downlink the network server never reported sent stops blocking the next after this. */
  pendingTimeoutMs: number;
  /** Downlinks kept back for JoinAccepts (a gateway that restarts must join; acks can wait). */
  joinReserve: number;
  /** Space the acks left today evenly over the rest of the day (at least minIntervalMs, at most 4 h). */
  spreadOverDay: boolean;
}

export const DEFAULT_ACK_POLICY: Readonly<AckPolicy> = Object.freeze({
  minIntervalMs: 110 * 60_000,
  maxAcksPerDay: 8,
  maxDownlinksPerDay: 10,
  pendingTimeoutMs: 6 * 3_600_000,
  joinReserve: 1,
  spreadOverDay: true,
});

export interface ProcessorOptions {
  ack?: Partial<AckPolicy>;
  store?: ReportStore;
  /** Start of the day the downlink budget counts in (default: UTC day). */
  dayOf?: (t: number) => number;
}

interface DeviceState extends DeviceAckState {
  beyond: Set<number>;
  /** Highest seq the gateway said it has given (health frames) or we saw. */
  knownUpTo: number;
  wantAck: boolean;
  pendingSince: number | undefined;
  timer: TimerHandle | undefined;
  lastLiveSeq: number | undefined;
}

export interface IngestCounters {
  uplinks: number;
  reports: number;
  duplicateReports: number;
  liveFrames: number;
  duplicateLive: number;
  health: number;
  malformed: number;
  acksSent: number;
  configsSent: number;
  /** Downlinks the budget did not allow (config changes refused, acks put off to the next day). */
  downlinksRefused: number;
  /** A device's outbox went from one epoch to another (new or damaged outbox file); not its first. */
  epochChanges: number;
}

export class UplinkProcessor {
  private readonly devices = new Map<string, DeviceState>();
  private readonly policy: AckPolicy;
  private readonly store: ReportStore;
  private readonly dayOf: (t: number) => number;
  readonly counters: IngestCounters = {
    uplinks: 0, reports: 0, duplicateReports: 0, liveFrames: 0, duplicateLive: 0, health: 0, malformed: 0, acksSent: 0, configsSent: 0, downlinksRefused: 0, epochChanges: 0,
  };

  constructor(
    private readonly clock: Clock,
    private readonly consumer: ReportConsumer,
    private readonly downlinks: DownlinkSender | undefined,
    options: ProcessorOptions = {},
  ) {
    this.policy = { ...DEFAULT_ACK_POLICY, ...options.ack };
    this.store = options.store ?? new MemoryReportStore();
    this.dayOf = options.dayOf ?? ((t) => Math.floor(t / 86_400_000) * 86_400_000);
  }

  private state(devEui: string): DeviceState {
    let s = this.devices.get(devEui);
    if (!s) {
      const known = this.store.device(devEui);
      const base = known?.state ?? { through: 0, lastAckAt: Number.NEGATIVE_INFINITY, day: 0, acksToday: 0, downlinksToday: 0 };
      s = { ...base, beyond: new Set(known?.beyond ?? []), knownUpTo: 0, wantAck: false, pendingSince: undefined, timer: undefined, lastLiveSeq: undefined };
      this.compact(s);
      this.devices.set(devEui, s);
    }
    return s;
  }

  /** Highest sequence number below which every report of the device has arrived. */
  receivedThrough(devEui: string): number {
    return this.devices.get(devEui)?.through ?? this.store.device(devEui)?.state.through ?? 0;
  }

  handle(envelope: UplinkEnvelope): void {
    this.counters.uplinks++;
    let uplink;
    try {
      uplink = decodeUplink(envelope.fPort, envelope.payload, envelope.receivedAt);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.counters.malformed++;
      log.warn({ fPort: envelope.fPort, code: error.code, bytes: envelope.payload.length }, 'malformed uplink dropped');
      return;
    }
    const s = this.state(envelope.devEui);
    const epoch = uplink.kind === 'stopBatch' ? uplink.epoch : uplink.kind === 'health' ? uplink.message.outboxEpoch : undefined;
    if (epoch !== undefined && epoch !== (s.epoch ?? 0)) this.enterEpoch(envelope.devEui, s, epoch);
    switch (uplink.kind) {
      case 'stopBatch':
        for (const report of uplink.reports) {
          s.knownUpTo = Math.max(s.knownUpTo, report.seq);
          // A report sent again means the gateway lacks our ack: answer, even with nothing new.
          s.wantAck = true;
          if (report.seq <= s.through || s.beyond.has(report.seq) || !this.store.add(envelope.devEui, report, envelope.receivedAt, uplink.epoch)) {
            this.counters.duplicateReports++;
            continue;
          }
          s.beyond.add(report.seq);
          this.counters.reports++;
          this.consumer.report(envelope.devEui, report, envelope.receivedAt);
        }
        this.compact(s);
        break;
      case 'live':
        if (s.lastLiveSeq === uplink.message.seq) {
          this.counters.duplicateLive++;
          break;
        }
        s.lastLiveSeq = uplink.message.seq;
        this.counters.liveFrames++;
        this.consumer.live?.(envelope.devEui, uplink.message, envelope.receivedAt);
        break;
      case 'health': {
        const h = uplink.message;
        this.counters.health++;
        s.knownUpTo = Math.max(s.knownUpTo, h.newestSeq);
        // Reports we lack, or reports the gateway still keeps that we have (our ack was lost).
        if (h.newestSeq > s.through || (h.outboxDepth > 0 && h.oldestPendingSeq > 0 && h.oldestPendingSeq <= s.through)) s.wantAck = true;
        this.consumer.health?.(envelope.devEui, h, envelope.receivedAt);
        break;
      }
    }
    this.maybeAck(envelope.devEui, s);
  }

  /**
   * The device's outbox numbers under another epoch: what arrived (`through`, the seqs beyond) is
   * that epoch's, from the store; the downlink budget stays the device's.
   */
  private enterEpoch(devEui: string, s: DeviceState, epoch: number): void {
    const known = this.store.device(devEui, epoch);
    log.info({ from: s.epoch ?? 0, to: epoch }, 'device outbox numbers under a new epoch');
    if ((s.epoch ?? 0) !== 0) this.counters.epochChanges++;
    s.epoch = epoch;
    s.through = known?.state.through ?? 0;
    s.beyond = new Set(known?.beyond ?? []);
    s.knownUpTo = 0;
    s.lastLiveSeq = undefined;
    this.compact(s);
    this.store.saveDevice(devEui, this.persistent(s));
  }

  /**
   * The network server sent what was queued for the device (ChirpStack txack, TTS down/sent): it
   * counts in the budget of the day it went out.
   */
  downlinkSent(devEui: string): void {
    const s = this.devices.get(devEui);
    if (!s || s.pendingSince === undefined) return;
    this.settlePending(s, this.clock.now());
    this.store.saveDevice(devEui, this.persistent(s));
    this.maybeAck(devEui, s);
  }

  private settlePending(s: DeviceState, at: number): void {
    this.rollDay(s, at);
    s.pendingSince = undefined;
    s.acksToday++;
    s.downlinksToday++;
  }

  /** The device joined: its JoinAccept was a downlink and counts in today's budget. */
  joined(devEui: string): void {
    const s = this.state(devEui);
    this.rollDay(s, this.clock.now());
    s.downlinksToday++;
    this.store.saveDevice(devEui, this.persistent(s));
  }

  /** Queues a configuration change, within the device's downlink budget; false if the budget is spent. */
  sendConfig(devEui: string, change: ConfigChange): boolean {
    const s = this.state(devEui);
    this.rollDay(s, this.clock.now());
    if (!this.downlinks || s.downlinksToday + (s.pendingSince !== undefined ? 1 : 0) >= this.policy.maxDownlinksPerDay) {
      this.counters.downlinksRefused++;
      return false;
    }
    this.downlinks.send(devEui, FPORT.config, encodeConfigChange(change));
    s.downlinksToday++;
    this.counters.configsSent++;
    this.store.saveDevice(devEui, this.persistent(s));
    return true;
  }

  private compact(s: DeviceState): void {
    const before = s.through;
    while (s.beyond.has(s.through + 1)) {
      s.beyond.delete(s.through + 1);
      s.through++;
    }
    for (const seq of s.beyond) if (seq <= s.through) s.beyond.delete(seq);
    if (s.through !== before) s.knownUpTo = Math.max(s.knownUpTo, s.through);
  }

  private rollDay(s: DeviceState, now: number): void {
    const day = this.dayOf(now);
    if (day !== s.day) {
      s.day = day;
      s.acksToday = 0;
      s.downlinksToday = 0;
    }
  }

  private persistent(s: DeviceState): DeviceAckState {
    return { epoch: s.epoch ?? 0, through: s.through, lastAckAt: s.lastAckAt, day: s.day, acksToday: s.acksToday, downlinksToday: s.downlinksToday };
  }

  private maybeAck(devEui: string, s: DeviceState): void {
    if (!this.downlinks || !s.wantAck) return;
    const now = this.clock.now();
    this.rollDay(s, now);
    if (s.pendingSince !== undefined) {
      if (now - s.pendingSince < this.policy.pendingTimeoutMs) return;
      // No notice came: count it as sent now and go on.
      this.settlePending(s, now);
    }
    const acksLeft = Math.min(this.policy.maxAcksPerDay - s.acksToday, this.policy.maxDownlinksPerDay - this.policy.joinReserve - s.downlinksToday);
    if (acksLeft <= 0) {
      this.store.saveDevice(devEui, this.persistent(s));
      return;
    }
    // Spread what is left of today's acks over what is left of the day, so that the evening's
    // reports (and the losses among them) still get an answer.
    const spread = this.policy.spreadOverDay ? Math.min((this.dayOf(this.dayOf(now) + 36 * 3_600_000) - now) / acksLeft, 4 * 3_600_000) : 0;
    const readyAt = s.lastAckAt + Math.max(this.policy.minIntervalMs, spread);
    if (now < readyAt) {
      // Ask again when the interval is over: the ack then waits in the queue for the next uplink.
      if (!s.timer) {
        s.timer = this.clock.setTimeout(() => {
          s.timer = undefined;
          this.maybeAck(devEui, s);
        }, readyAt - now);
      }
      this.store.saveDevice(devEui, this.persistent(s));
      return;
    }
    this.clock.clearTimeout(s.timer);
    s.timer = undefined;
    this.downlinks.send(devEui, FPORT.ack, encodeAck(buildAck(s.beyond, s.through, 16, s.knownUpTo)));
    s.lastAckAt = now;
    s.pendingSince = now;
    s.wantAck = false;
    this.counters.acksSent++;
    this.store.saveDevice(devEui, this.persistent(s));
  }

  /** Cancels timers (before the clock or the transport goes away). */
  close(): void {
    for (const s of this.devices.values()) this.clock.clearTimeout(s.timer);
  }
}
