/**
 * Decides what goes on air and when. Order: the live level first after each departure; then stop
 * reports, the backlog oldest first in full batches (a batch that is not full goes once its oldest
 * report has waited long enough and the budget has room); then the health frame. Every frame only
 * when the airtime budget allows it (duty cycle, daily budget, pacing) and within the payload limit
 * of the current data rate; joins are paced and charged too. Reports the backend has not
 * acknowledged are sent again after a while, or at once when an ack shows them missing.
 *
 * Must never drop a stop report (only live frames, which the next departure supersedes, may go
 * stale) and never ask the network for a downlink: no confirmed uplinks, ever, so the downlinks of
 * a day are the backend's acks and the operator's config changes (at most 10 a day).
 */
import type { Clock } from '../../common/clock.js';
import { DisconnectedError, ProtocolError, TimeoutError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import { maxPayload as regionMaxPayload } from '../../contracts/lora-region-eu868.js';
import { uplinkTimeOnAirMs } from '../../firmware-bindings/lora/airtime.js';
import type { LoraModem } from '../../firmware-bindings/lora/modem.js';
import { encodeHealth, encodeLive, encodeStopBatch, FPORT, MAX_BATCH_REPORTS, type HealthReport, type Live } from '../../proto/frames.js';
import type { AirtimeBudget, TrafficClass } from './airtime-budget.js';
import { joinRound } from './join-round.js';
import type { Outbox, PendingReport } from './outbox.js';

const log = moduleLogger('uplink.scheduler');

/** Refusals after which nothing went on air: the airtime is given back. */
const NOT_SENT_CODES = new Set(['busy', 'duty-cycle', 'not-joined', 'payload-too-long', 'rejected']);

export interface SchedulerOptions {
  /** A batch that is not full goes once its oldest report has waited this long (and the budget has room). */
  maxBatchDelayMs: number;
  /** Send a report again when not acknowledged within this time. */
  resendAfterMs: number;
  /** A live frame not sent within this time after departure is dropped (the next one supersedes it). */
  liveMaxAgeMs: number;
  /** A live level equal to the last one sent is still sent (as a changed one) when the last is this old. */
  liveHeartbeatMs: number;
  /** At most this many reports in one batch. */
  maxBatch: number;
  /** Wait after the module refused (busy) before trying again. */
  busyRetryMs: number;
  /** A health frame this often (0: only at start and as an ack poll). */
  healthIntervalMs: number;
  /** With reports waiting for an ack and nothing sent for this long, a health frame goes: it carries the ack back. */
  ackPollMs: number;
  /** Pause between failed join rounds: first, then doubling up to max. */
  joinRetryMs: { first: number; max: number };
  /** Most join attempts the modem makes per join call, and their least spacing (RUI3: AT+JOIN=1:0:10:8). */
  joinAttemptsPerRound: number;
  joinAttemptSpacingMs: number;
}

/** The defaults the vehicle config and the bench start from (docs/delivery.md explains each). */
export const DEFAULT_SCHEDULER_OPTIONS: Readonly<SchedulerOptions> = Object.freeze({
  maxBatchDelayMs: 20 * 60_000,
  resendAfterMs: 8 * 3_600_000,
  liveMaxAgeMs: 90_000,
  liveHeartbeatMs: 30 * 60_000,
  maxBatch: 40,
  busyRetryMs: 5000,
  healthIntervalMs: 2 * 3_600_000,
  ackPollMs: 30 * 60_000,
  joinRetryMs: Object.freeze({ first: 60_000, max: 3_600_000 }),
  joinAttemptsPerRound: 8,
  joinAttemptSpacingMs: 10_000,
});

export interface SchedulerStats {
  frames: number;
  liveSent: number;
  /** Live frames given up: the budget had no room within liveMaxAgeMs. */
  liveSkipped: number;
  /** Live frames replaced by a newer departure's before they went. */
  liveSuperseded: number;
  batches: number;
  reportsSent: number;
  reportsResent: number;
  batchBytes: number;
  healthSent: number;
  airtimeMs: number;
  sendErrors: number;
  /** Attempts that found the modem's port away (its supervisor reopens it). */
  modemAway: number;
  joins: number;
  joinFailures: number;
  /** Always 0: confirmed uplinks would request downlinks. */
  confirmedUplinks: number;
}

export interface SentFrame {
  fPort: number;
  cls: TrafficClass;
  bytes: number;
  reports: number;
  airtimeMs: number;
  dr: number;
  at: number;
}

interface Candidate {
  cls: TrafficClass;
  fPort: number;
  payload: Uint8Array;
  reports?: PendingReport[];
}

export class UplinkScheduler {
  private live: { message: Live; at: number } | undefined;
  private lastLive: { level: number; at: number } | undefined;
  private lastHealthAt = Number.NEGATIVE_INFINITY;
  /** Something the operator should hear about soon (a storage fault): a health frame as soon as the budget allows. */
  private healthRequested = false;
  private lastUplinkAt = Number.NEGATIVE_INFINITY;
  private running = false;
  private looping = false;
  /** Power cut: nothing may be written any more. */
  private halted = false;
  private pollIntervalMs: number;
  private unansweredPolls = 0;
  private joined = false;
  private joinRetry: number;
  private wakeup = new AbortController();
  private readonly stopping = new AbortController();
  private loopDone: Promise<void> | undefined;
  private dr = 0;
  /** Until the modem says otherwise: the smallest EU868 limit (DR0). */
  private maxPayload = regionMaxPayload(0);
  private readonly options: SchedulerOptions;
  readonly stats: SchedulerStats = {
    frames: 0, liveSent: 0, liveSkipped: 0, liveSuperseded: 0, batches: 0, reportsSent: 0, reportsResent: 0, batchBytes: 0,
    healthSent: 0, airtimeMs: 0, sendErrors: 0, modemAway: 0, joins: 0, joinFailures: 0, confirmedUplinks: 0,
  };
  /** Called after each frame went on air (for observers such as the simulator's report). */
  onSent: ((frame: SentFrame) => void) | undefined;
  /** Builds the health frame when one is due; none: no health frames. */
  healthSource: (() => HealthReport) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly modem: LoraModem,
    private readonly outbox: Outbox,
    private readonly budget: AirtimeBudget,
    options: SchedulerOptions,
  ) {
    this.options = { ...options };
    this.joinRetry = options.joinRetryMs.first;
    this.pollIntervalMs = options.ackPollMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.looping = true;
    this.loopDone = this.loop().finally(() => (this.looping = false));
  }

  /** The send loop runs (started, not stopped, has not ended): what the service watchdog checks. */
  get alive(): boolean {
    return this.looping && this.running;
  }

  /** Stops after the frame on air, if any, and records it. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort(new Error('scheduler stopped'));
    this.wake();
    await this.loopDone;
  }

  /** Stops at once (a power cut): whatever is under way is abandoned, nothing more is written. */
  halt(): void {
    this.halted = true;
    this.running = false;
    this.stopping.abort(new Error('scheduler halted'));
    this.wake();
  }

  /** An ack arrived: polling for the next one starts over from its shortest interval. */
  notifyAck(): void {
    this.pollIntervalMs = this.options.ackPollMs;
    this.unansweredPolls = 0;
  }

  /** The live level of the latest departure; replaces any live frame not yet sent. */
  offerLive(message: Live, at: number): void {
    if (this.live) this.stats.liveSuperseded++;
    this.live = { message, at };
    this.wake();
  }

  /** A new report is in the outbox, or reports became due (an ack showed them missing). */
  notifyReport(): void {
    this.wake();
  }

  /** A health frame goes next, when the budget allows (e.g. the outbox started refusing appends). */
  requestHealth(): void {
    this.healthRequested = true;
    this.wake();
  }

  /** Settings the operator changed by downlink. */
  reconfigure(change: { healthIntervalMs?: number; maxBatch?: number }): void {
    if (change.healthIntervalMs !== undefined) this.options.healthIntervalMs = change.healthIntervalMs;
    if (change.maxBatch !== undefined) this.options.maxBatch = Math.max(1, Math.min(MAX_BATCH_REPORTS, change.maxBatch));
    this.wake();
  }

  get settings(): Readonly<SchedulerOptions> {
    return this.options;
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
    while (this.running) {
      try {
        const status = await this.modem.status();
        this.dr = status.dr;
        this.maxPayload = status.maxPayload;
        this.joined = status.joined;
        if (!this.joined) {
          await this.join();
          continue;
        }
        await this.step();
      } catch (error) {
        if (!this.running) break;
        this.stats.sendErrors++;
        if (error instanceof ProtocolError && error.code === 'not-joined') this.joined = false;
        if (error instanceof ProtocolError && (error.code === 'busy' || error.code === 'duty-cycle' || error.code === 'payload-too-long')) {
          await this.pause(this.options.busyRetryMs);
        } else if (error instanceof DisconnectedError) {
          // The modem's port went away; its supervisor reopens it. Nothing is lost: reports wait in the outbox.
          this.stats.modemAway++;
          log.warn({ error: error.message }, 'modem away; waiting for it to come back');
          await this.pause(this.options.busyRetryMs * 2);
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

  /** One decision: send the most urgent frame the budget allows now, or sleep until something changes. */
  private async step(): Promise<void> {
    const now = this.clock.now();
    const { candidates, wakeAt } = this.choose(now);
    let retryAt = wakeAt;
    for (const candidate of candidates) {
      const toa = uplinkTimeOnAirMs(candidate.payload.length, this.dr);
      const earliest = this.budget.earliest(toa, now, candidate.cls);
      if (candidate.fPort === FPORT.live) {
        if (earliest - this.live!.at > this.options.liveMaxAgeMs) {
          this.live = undefined;
          this.stats.liveSkipped++;
          continue;
        }
        if (earliest > now) {
          // The live level goes first: nothing else may take the band while it waits.
          retryAt = earliest;
          break;
        }
      }
      if (earliest <= now) {
        await this.transmit(candidate, toa);
        return;
      }
      retryAt = Math.min(retryAt, earliest);
    }
    await this.pause(Math.max(250, retryAt - now));
  }

  /** What could go now, most urgent first, and when to look again if none of it can. */
  private choose(now: number): { candidates: Candidate[]; wakeAt: number } {
    const candidates: Candidate[] = [];
    let wakeAt = now + 3_600_000;
    if (this.live && now - this.live.at > this.options.liveMaxAgeMs) {
      this.live = undefined;
      this.stats.liveSkipped++;
    }
    if (this.live) {
      const last = this.lastLive;
      const changed = !last || last.level !== this.live.message.level || now - last.at >= this.options.liveHeartbeatMs;
      candidates.push({ cls: changed ? 'live' : 'live-refresh', fPort: FPORT.live, payload: encodeLive(this.live.message) });
    }
    const due = this.outbox.due(now - this.options.resendAfterMs, this.options.maxBatch + 1);
    if (due.length > 0) {
      const { payload, count } = this.fill(due, now);
      const reports = due.slice(0, count);
      const full = count < due.length || count >= this.options.maxBatch;
      const resend = reports.some((r) => r.sendCount > 0);
      if (full || resend) candidates.push({ cls: 'report', fPort: FPORT.stopBatch, payload, reports });
      else if (now - due[0]!.departure >= this.options.maxBatchDelayMs) candidates.push({ cls: 'report-partial', fPort: FPORT.stopBatch, payload, reports });
      else wakeAt = Math.min(wakeAt, due[0]!.departure + this.options.maxBatchDelayMs);
    }
    const oldestSent = this.outbox.oldestSentAt;
    if (oldestSent !== undefined) wakeAt = Math.min(wakeAt, oldestSent + this.options.resendAfterMs);
    if (this.healthSource) {
      const periodic = this.options.healthIntervalMs > 0 ? this.lastHealthAt + this.options.healthIntervalMs : Number.POSITIVE_INFINITY;
      const firstAfterStart = this.lastHealthAt === Number.NEGATIVE_INFINITY ? now : Number.POSITIVE_INFINITY;
      const poll = oldestSent !== undefined ? Math.max(this.lastUplinkAt, this.lastHealthAt) + this.pollIntervalMs : Number.POSITIVE_INFINITY;
      const healthAt = Math.min(periodic, firstAfterStart, poll, this.healthRequested ? now : Number.POSITIVE_INFINITY);
      if (healthAt <= now) candidates.push({ cls: 'health', fPort: FPORT.health, payload: encodeHealth(this.healthSource()) });
      else wakeAt = Math.min(wakeAt, healthAt);
    }
    return { candidates, wakeAt };
  }

  /** The most reports, oldest first, whose batch fits the payload limit. */
  private fill(reports: PendingReport[], now: number): { payload: Uint8Array; count: number } {
    const limit = Math.min(reports.length, this.options.maxBatch);
    let best = encodeStopBatch(reports.slice(0, 1), now, this.outbox.epoch);
    let count = 1;
    for (let k = 2; k <= limit; k++) {
      const payload = encodeStopBatch(reports.slice(0, k), now, this.outbox.epoch);
      if (payload.length > this.maxPayload) break;
      best = payload;
      count = k;
    }
    return { payload: best, count };
  }

  /** One join round (join-round.ts); between failed rounds the wait doubles up to joinRetryMs.max. */
  private async join(): Promise<void> {
    const outcome = await joinRound(
      this.clock,
      this.modem,
      this.budget,
      this.dr,
      { attempts: this.options.joinAttemptsPerRound, spacingMs: this.options.joinAttemptSpacingMs },
      this.stopping.signal,
    );
    if (outcome.kind === 'wait') await this.pause(outcome.untilMs - this.clock.now());
    else if (outcome.kind === 'joined') {
      this.stats.joins++;
      this.joined = true;
      this.joinRetry = this.options.joinRetryMs.first;
    } else if (outcome.kind === 'failed') {
      this.stats.joinFailures++;
      await this.pause(this.joinRetry);
      this.joinRetry = Math.min(this.options.joinRetryMs.max, this.joinRetry * 2);
    }
  }

  private async transmit(candidate: Candidate, toa: number): Promise<void> {
    const start = this.clock.now();
    const bandBefore = this.budget.bandFreeAtMs;
    // The mark file learns the batch's numbers before they go on air (outbox-storage.ts: epoch).
    if (candidate.reports) this.outbox.beforeSend(candidate.reports.map((r) => r.seq));
    this.budget.charge(toa, start);
    try {
      await this.modem.send(candidate.fPort, candidate.payload, { confirmed: false });
    } catch (error) {
      if (this.halted) throw error;
      if (error instanceof ProtocolError && NOT_SENT_CODES.has(error.code)) this.budget.refund(toa, start, bandBefore);
      else this.budget.settle(toa, this.clock.now());
      throw error;
    }
    if (this.halted) return;
    this.budget.settle(toa, this.clock.now());
    this.lastUplinkAt = start;
    this.stats.frames++;
    this.stats.airtimeMs += toa;
    if (candidate.fPort === FPORT.live) {
      this.stats.liveSent++;
      this.lastLive = { level: this.live!.message.level, at: start };
      this.live = undefined;
    } else if (candidate.fPort === FPORT.health) {
      this.stats.healthSent++;
      this.healthRequested = false;
      // While reports wait for an ack, polls go every ackPollMs; from the third unanswered one on the
      // wait doubles (up to 4 h), and an ack starts it over. One poll makes the backend queue its
      // ack, the next fetches it; a backend that never answers costs little airtime.
      if (this.outbox.oldestSentAt !== undefined && ++this.unansweredPolls > 2) this.pollIntervalMs = Math.min(4 * 3_600_000, this.pollIntervalMs * 2);
      this.lastHealthAt = start;
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
    this.onSent?.({ fPort: candidate.fPort, cls: candidate.cls, bytes: candidate.payload.length, reports: candidate.reports?.length ?? 0, airtimeMs: toa, dr: this.dr, at: start });
  }
}
