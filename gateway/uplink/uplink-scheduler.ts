/**
 * Decides what goes on air and when: the live level first after each departure, then the backlog of
 * stop reports oldest first in full batches (or when the oldest has waited too long), each frame
 * only when the airtime budget allows and within the payload limit of the current data rate.
 * Unacknowledged reports are resent after a while; acks (downlinks) remove them from the outbox.
 * Must never drop a stop report: only live frames, which the next departure supersedes, may go stale.
 */
import type { Clock } from '../../common/clock.js';
import { ProtocolError, TimeoutError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import type { LoraModem } from '../../firmware-bindings/lora/modem.js';
import { uplinkTimeOnAirMs } from '../../firmware-bindings/lora/airtime.js';
import { FPORT, encodeLive, encodeStopBatch, type Live } from '../../proto/frames.js';
import type { AirtimeBudget, TrafficClass } from './airtime-budget.js';
import type { Outbox, PendingReport } from './outbox.js';

const log = moduleLogger('uplink.scheduler');

export interface SchedulerOptions {
  /** Send a batch that is not full once its oldest report has waited this long. */
  maxBatchDelayMs: number;
  /** Resend a report not acknowledged within this time. */
  resendAfterMs: number;
  /** A live frame not sent within this time after departure is dropped (the next one supersedes it). */
  liveMaxAgeMs: number;
  /** At most this many reports in one batch. */
  maxBatch: number;
  /** Wait after the module refused (busy) before trying again. */
  busyRetryMs: number;
}

export interface SchedulerStats {
  frames: number;
  liveSent: number;
  liveDropped: number;
  batches: number;
  reportsSent: number;
  reportsResent: number;
  batchBytes: number;
  airtimeMs: number;
  sendErrors: number;
}

interface Candidate {
  cls: TrafficClass;
  fPort: number;
  payload: Uint8Array;
  reports?: PendingReport[];
}

export class UplinkScheduler {
  private live: { message: Live; at: number } | undefined;
  private running = false;
  private wakeup = new AbortController();
  private readonly stopping = new AbortController();
  private loopDone: Promise<void> | undefined;
  private dr = 0;
  private maxPayload = 51;
  readonly stats: SchedulerStats = {
    frames: 0, liveSent: 0, liveDropped: 0, batches: 0, reportsSent: 0, reportsResent: 0, batchBytes: 0, airtimeMs: 0, sendErrors: 0,
  };
  /** Called after each frame goes on air (for observers such as the simulator's report). */
  onSent: ((c: { fPort: number; bytes: number; reports: number; airtimeMs: number; at: number }) => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly modem: LoraModem,
    private readonly outbox: Outbox,
    private readonly budget: AirtimeBudget,
    private readonly options: SchedulerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort(new Error('scheduler stopped'));
    this.wake();
    await this.loopDone;
  }

  /** The live level of the latest departure; replaces any live frame not yet sent. */
  offerLive(message: Live, at: number): void {
    if (this.live) this.stats.liveDropped++;
    this.live = { message, at };
    this.wake();
  }

  /** A new report is in the outbox. */
  notifyReport(): void {
    this.wake();
  }

  private wake(): void {
    this.wakeup.abort();
  }

  private async pause(ms: number): Promise<void> {
    if (!this.running) return;
    this.wakeup = new AbortController();
    try {
      await this.clock.sleep(Math.max(0, Math.min(ms, 6 * 3_600_000)), this.wakeup.signal);
    } catch {
      // woken early: something new to consider
    }
  }

  private async loop(): Promise<void> {
    let joined = false;
    while (this.running) {
      try {
        if (!joined) {
          await this.modem.join(this.stopping.signal);
          joined = true;
        }
        const status = await this.modem.status();
        this.dr = status.dr;
        this.maxPayload = status.maxPayload;
        joined = status.joined;
        if (!joined) continue;
        const now = this.clock.now();
        const { candidate, nextCheck } = this.choose(now);
        if (!candidate) {
          await this.pause(Math.max(1000, nextCheck - now));
          continue;
        }
        const toa = uplinkTimeOnAirMs(candidate.payload.length, this.dr);
        const earliest = this.budget.earliest(toa, now, candidate.cls);
        if (earliest > now) {
          if (candidate.cls === 'live' && earliest - this.live!.at > this.options.liveMaxAgeMs) {
            this.live = undefined;
            this.stats.liveDropped++;
            continue;
          }
          // Woken early if something more urgent arrives (a new live level, a new report).
          await this.pause(earliest - now);
          continue;
        }
        await this.transmit(candidate, toa);
      } catch (error) {
        if (!this.running) break;
        this.stats.sendErrors++;
        if (error instanceof ProtocolError && error.code === 'not-joined') joined = false;
        if (error instanceof ProtocolError && (error.code === 'busy' || error.code === 'duty-cycle')) {
          await this.pause(this.options.busyRetryMs);
        } else if (error instanceof TimeoutError || error instanceof ProtocolError) {
          log.warn({ error: error.message }, 'uplink attempt failed; retrying');
          await this.pause(this.options.busyRetryMs * 2);
        } else {
          log.error({ error: (error as Error).message }, 'uplink loop error');
          await this.pause(60_000);
        }
      }
    }
  }

  private choose(now: number): { candidate: Candidate | undefined; nextCheck: number } {
    if (this.live && now - this.live.at > this.options.liveMaxAgeMs) {
      this.live = undefined;
      this.stats.liveDropped++;
    }
    if (this.live) {
      return { candidate: { cls: 'live', fPort: FPORT.live, payload: encodeLive(this.live.message) }, nextCheck: now };
    }
    const due = this.outbox.due(now - this.options.resendAfterMs, this.options.maxBatch);
    if (due.length === 0) {
      const oldest = this.outbox.oldestPending;
      const next = oldest?.lastSentAt !== undefined ? oldest.lastSentAt + this.options.resendAfterMs : now + 3_600_000;
      return { candidate: undefined, nextCheck: Math.max(now + 1000, next) };
    }
    const { payload, count } = this.fill(due, now);
    const full = count < due.length || count >= this.options.maxBatch;
    const waitedEnough = now - due[0]!.departure >= this.options.maxBatchDelayMs || due[0]!.sendCount > 0;
    if (!full && !waitedEnough) {
      return { candidate: undefined, nextCheck: due[0]!.departure + this.options.maxBatchDelayMs };
    }
    return { candidate: { cls: 'report', fPort: FPORT.stopBatch, payload, reports: due.slice(0, count) }, nextCheck: now };
  }

  /** The most reports, oldest first, whose batch fits the payload limit. */
  private fill(reports: PendingReport[], now: number): { payload: Uint8Array; count: number } {
    let best = encodeStopBatch(reports.slice(0, 1), now);
    let count = 1;
    for (let k = 2; k <= reports.length; k++) {
      const payload = encodeStopBatch(reports.slice(0, k), now);
      if (payload.length > this.maxPayload) break;
      best = payload;
      count = k;
    }
    return { payload: best, count };
  }

  private async transmit(candidate: Candidate, toa: number): Promise<void> {
    const start = this.clock.now();
    await this.modem.send(candidate.fPort, candidate.payload);
    this.budget.record(toa, start);
    this.stats.frames++;
    this.stats.airtimeMs += toa;
    if (candidate.cls === 'live') {
      this.stats.liveSent++;
      this.live = undefined;
    } else if (candidate.reports) {
      this.stats.batches++;
      this.stats.batchBytes += candidate.payload.length;
      this.stats.reportsSent += candidate.reports.length;
      this.stats.reportsResent += candidate.reports.filter((r) => r.sendCount > 0).length;
      this.outbox.markSent(
        candidate.reports.map((r) => r.seq),
        start,
      );
    }
    this.onSent?.({
      fPort: candidate.fPort,
      bytes: candidate.payload.length,
      reports: candidate.reports?.length ?? 0,
      airtimeMs: toa,
      at: start,
    });
  }
}
