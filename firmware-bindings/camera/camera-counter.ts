/**
 * From the camera counter to source events: reads protocol lines (camera-protocol.ts) from a byte
 * stream (serial port, TCP socket, pty or in-memory pair), hands CameraCountEvents to an EventSink
 * with track ids already pseudonymised, and reports the camera as a 'camera' SensorFaultEvent when
 * no good line came for `offlineMs` on the Clock, when its stream ends, or when it says it is
 * faulty. Bad lines are counted by reason and skipped.
 *
 * Must never: keep, store or log a raw track id or a received line; open a port.
 */
import type { Readable } from 'node:stream';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import type { EventSink } from '../../contracts/source-events.js';
import type { Pseudonymise } from '../../contracts/pseudonymise.js';
import { CAMERA_LIMITS, readCameraLine, type CameraDropReason } from './camera-protocol.js';
import { BoundedLineSplitter } from '../transport/line-splitter.js';

const log = moduleLogger('camera.counter');

export interface CameraCounterOptions {
  /** No good line for this long means the camera is offline (default 10 s: five missed heartbeats). */
  offlineMs?: number;
}

export const CAMERA_OFFLINE_REASON = 'no lines from the camera';
export const CAMERA_GONE_REASON = 'camera disconnected';
export const CAMERA_REPORTED_REASON = 'camera reports a fault';

export interface CameraCounters {
  counts: number;
  statuses: number;
  dropped: Record<CameraDropReason, number>;
}

export class CameraCounter {
  readonly counters: CameraCounters = {
    counts: 0,
    statuses: 0,
    dropped: { overlong: 0, encoding: 0, json: 0, version: 0, schema: 0, range: 0 },
  };
  private readonly splitter: BoundedLineSplitter;
  private readonly offlineMs: number;
  private watchdog: TimerHandle | undefined;
  private faultReason: string | undefined;
  private closed = false;

  constructor(
    private readonly stream: Readable,
    private readonly clock: Clock,
    private readonly sink: EventSink,
    private readonly pseudonymise: Pseudonymise,
    options: CameraCounterOptions = {},
  ) {
    this.offlineMs = options.offlineMs ?? 10_000;
    this.splitter = new BoundedLineSplitter(CAMERA_LIMITS.maxLineBytes, (reason) => this.countDrop(reason));
    stream.pipe(this.splitter);
    this.splitter.on('data', (line: string) => this.onLine(line));
    const gone = (): void => this.onGone();
    stream.once('end', gone);
    stream.once('close', gone);
    // 'on', not 'once': a port may report several errors while it goes away.
    stream.on('error', gone);
    this.armWatchdog();
  }

  /** Stops reading and cancels the watchdog; the stream is left to its owner. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.stream.unpipe(this.splitter);
    this.splitter.removeAllListeners('data');
  }

  private onLine(text: string): void {
    if (this.closed) return;
    const reading = readCameraLine(text, (raw) => this.pseudonymise('camera-track', raw));
    if (!reading.ok) {
      this.countDrop(reading.reason);
      return;
    }
    this.armWatchdog();
    const line = reading.line;
    if (line.type === 'status') {
      this.counters.statuses++;
      this.setFault(line.state === 'fault' ? CAMERA_REPORTED_REASON : undefined);
      return;
    }
    this.counters.counts++;
    if (this.faultReason !== CAMERA_REPORTED_REASON) this.setFault(undefined);
    this.sink.handle({
      type: 'camera',
      at: this.clock.now(),
      zone: line.zone,
      heads: line.heads,
      confidence: line.confidence,
      ...(line.tracks ? { tracks: line.tracks } : {}),
    });
  }

  private countDrop(reason: CameraDropReason): void {
    this.counters.dropped[reason]++;
    log.debug({ reason }, 'camera line dropped');
  }

  private armWatchdog(): void {
    if (this.closed) return;
    this.clock.clearTimeout(this.watchdog);
    this.watchdog = this.clock.setTimeout(() => {
      this.watchdog = undefined;
      this.setFault(CAMERA_OFFLINE_REASON);
    }, this.offlineMs);
  }

  private onGone(): void {
    if (this.closed) return;
    this.clock.clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.setFault(CAMERA_GONE_REASON);
  }

  /** One fault at a time: a new reason ends the old one first. */
  private setFault(reason: string | undefined): void {
    if (reason === this.faultReason) return;
    const at = this.clock.now();
    if (this.faultReason !== undefined) {
      log.warn({ reason: this.faultReason }, 'camera fault ended');
      this.sink.handle({ type: 'fault', at, sensor: 'camera', active: false, reason: this.faultReason });
    }
    this.faultReason = reason;
    if (reason !== undefined) {
      log.warn({ reason }, 'camera fault');
      this.sink.handle({ type: 'fault', at, sensor: 'camera', active: true, reason });
    }
  }
}
