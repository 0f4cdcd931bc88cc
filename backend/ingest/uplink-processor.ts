/**
 * The backend's receiving core: decodes each uplink with the shared schema, drops duplicate
 * reports by (device, sequence number), hands every report on exactly once, and plans
 * acknowledgements within the downlink budget. Malformed payloads are counted and logged, never
 * fatal. Storage and transport (MQTT) are injected around it.
 */
import type { Clock } from '../../common/clock.js';
import { ProtocolError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import { buildAck } from '../../proto/ack-ranges.js';
import { decodeUplink, encodeAck, FPORT, type Health, type Live, type StopReport } from '../../proto/frames.js';
import type { UplinkEnvelope } from './network-events.js';

const log = moduleLogger('backend.ingest');

export interface ReportConsumer {
  report(devEui: string, report: StopReport, receivedAt: number): void;
  live?(devEui: string, live: Live, receivedAt: number): void;
  health?(devEui: string, health: Health, receivedAt: number): void;
}

export interface DownlinkSender {
  /** Queue a downlink for the device's next receive window; replaces an unsent one on the same port. */
  send(devEui: string, fPort: number, payload: Uint8Array): void;
}

export interface AckPolicy {
  /** Least time between two acks to one device (10 downlinks a day => about 2 h over a service day). */
  minIntervalMs: number;
  /** Ack no sooner than this many new reports since the last ack... */
  minNewReports: number;
}

interface DeviceState {
  through: number;
  beyond: Set<number>;
  lastAckAt: number;
  newSinceAck: number;
  acksToday: number;
  ackDay: number;
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
}

export class UplinkProcessor {
  private readonly devices = new Map<string, DeviceState>();
  private readonly lastLive = new Map<string, number>();
  readonly counters: IngestCounters = { uplinks: 0, reports: 0, duplicateReports: 0, liveFrames: 0, duplicateLive: 0, health: 0, malformed: 0, acksSent: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly consumer: ReportConsumer,
    private readonly downlinks: DownlinkSender | undefined,
    private readonly ackPolicy: AckPolicy = { minIntervalMs: 110 * 60_000, minNewReports: 1 },
    private readonly maxAcksPerDay = 10,
  ) {}

  private state(devEui: string): DeviceState {
    let s = this.devices.get(devEui);
    if (!s) {
      s = { through: 0, beyond: new Set(), lastAckAt: -Infinity, newSinceAck: 0, acksToday: 0, ackDay: -1 };
      this.devices.set(devEui, s);
    }
    return s;
  }

  /** Highest sequence number below which every report of the device has arrived. */
  receivedThrough(devEui: string): number {
    return this.devices.get(devEui)?.through ?? 0;
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
    switch (uplink.kind) {
      case 'stopBatch':
        for (const report of uplink.reports) {
          if (report.seq <= s.through || s.beyond.has(report.seq)) {
            this.counters.duplicateReports++;
            continue;
          }
          s.beyond.add(report.seq);
          s.newSinceAck++;
          this.counters.reports++;
          this.consumer.report(envelope.devEui, report, envelope.receivedAt);
        }
        this.compact(s);
        break;
      case 'live':
        if (this.lastLive.get(envelope.devEui) === uplink.message.seq) {
          this.counters.duplicateLive++;
          break;
        }
        this.lastLive.set(envelope.devEui, uplink.message.seq);
        this.counters.liveFrames++;
        this.consumer.live?.(envelope.devEui, uplink.message, envelope.receivedAt);
        break;
      case 'health':
        this.counters.health++;
        this.consumer.health?.(envelope.devEui, uplink.message, envelope.receivedAt);
        break;
    }
    this.maybeAck(envelope.devEui, s);
  }

  private compact(s: DeviceState): void {
    while (s.beyond.has(s.through + 1)) {
      s.beyond.delete(s.through + 1);
      s.through++;
    }
  }

  private maybeAck(devEui: string, s: DeviceState): void {
    if (!this.downlinks || s.newSinceAck < this.ackPolicy.minNewReports) return;
    const now = this.clock.now();
    const day = Math.floor(now / 86_400_000);
    if (day !== s.ackDay) {
      s.ackDay = day;
      s.acksToday = 0;
    }
    if (now - s.lastAckAt < this.ackPolicy.minIntervalMs || s.acksToday >= this.maxAcksPerDay) return;
    const ack = buildAck(s.beyond, s.through);
    this.downlinks.send(devEui, FPORT.ack, encodeAck(ack));
    s.lastAckAt = now;
    s.newSinceAck = 0;
    s.acksToday++;
    this.counters.acksSent++;
  }
}
