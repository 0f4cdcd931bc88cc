/**
 * The backend's receiving core: decodes each uplink with the shared schema, drops duplicate
 * reports by (device, outbox epoch, sequence number) against the store (a gateway whose outbox
 * starts over numbers under a new epoch: its reports are new, never taken for old ones), hands every report on exactly once, and
 * acknowledges within the downlink budget: at most `maxAcksPerDay` acks and `maxDownlinksPerDay`
 * downlinks in all (JoinAccepts and config changes included) per device and day, counted on the
 * day they went out, at least `minIntervalMs` apart, and never a second one while the network
 * server still holds the first (it would go out too, and count). Malformed
 * payloads are counted and logged, never fatal. Transport (MQTT or in-process) is injected.
 *
 * Trust (device-trust.ts, device-session.ts): only admitted devices get state; a frame is used only
 * if it continues the device's session (frame counter); a report only if its seq lies in the
 * device's window and it is plausible for the vehicle type. A JoinAccept is counted in the budget
 * when a new session shows in the uplinks, never on a join event alone (ChirpStack sends that at
 * the first uplink after the join; anyone on the broker can forge it); acks are counted from the
 * network server's txack / down/sent. With an asynchronous store (PostgreSQL) `handle` returns a
 * promise and uplinks are processed one after the other; with SQLite or memory all is synchronous.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import { ProtocolError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import { buildAck } from '../../proto/ack-ranges.js';
import { decodeUplink, encodeAck, encodeConfigChange, FPORT, type ConfigChange, type Health, type Live, type StopReport } from '../../proto/frames.js';
import { EMPTY_DEVICE, MemoryReportStore, type AddOutcome, type Awaitable, type DeviceAckState, type ReportStore } from '../store/report-store.js';
import { armJoin, judgeFrame, newSession, type SessionState } from './device-session.js';
import { DeviceTrust } from './device-trust.js';
import { epochOf } from './frame-epoch.js';
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
  /** Admission and plausibility (default: any device, up to 1000 of them; the largest tram's capacity). */
  trust?: DeviceTrust;
  /** Reports more than this beyond the highest seq known of the device are refused (the outbox holds 50,000). */
  seqWindow?: number;
  /** Device state that no downlink depends on is saved within this time (default 1 s). */
  saveDelayMs?: number;
}

interface DeviceState extends DeviceAckState {
  beyond: Set<number>;
  /** Highest seq the gateway said it has given (health frames) or we saw. */
  knownUpTo: number;
  wantAck: boolean;
  pendingSince: number | undefined;
  timer: TimerHandle | undefined;
  lastLiveSeq: number | undefined;
  epoch: number;
  session: SessionState;
  lastSeenAt: number | undefined;
}

/** Tells one frame's contents from another's (not a cryptographic hash: FNV-1a, twice, 64 bits). */
function frameDigest(fPort: number, payload: Uint8Array): string {
  let a = 0x811c9dc5 ^ fPort;
  let b = 0x01000193 ^ (fPort << 8) ^ payload.length;
  for (const byte of payload) {
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x0100019d) + 0x7f4a7c15;
  }
  return (a >>> 0).toString(36) + '.' + (b >>> 0).toString(36);
}

function then<T, R>(value: Awaitable<T>, next: (v: T) => Awaitable<R>): Awaitable<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

export interface IngestCounters {
  uplinks: number;
  reports: number;
  duplicateReports: number;
  liveFrames: number;
  duplicateLive: number;
  health: number;
  malformed: number;
  /** Uplinks of devices not admitted (unknown to the fleet, or beyond the device limit). */
  quarantined: number;
  /** Frames refused by the session check, and reports refused (window, plausibility, conflict). */
  rejectedFrames: number;
  rejectedReports: number;
  /** JoinAccepts inferred from a new session in the uplinks. */
  sessionsStarted: number;
  /** Downlinks the network server said it sent (txack, down/sent) for a queued one of ours. */
  downlinksConfirmed: number;
  acksSent: number;
  configsSent: number;
  /** Downlinks the budget did not allow (config changes refused, acks put off to the next day). */
  downlinksRefused: number;
  /** Uplinks whose processing failed in the store (PostgreSQL unreachable): the MQTT message is then not acknowledged. */
  storeErrors: number;
  /** A device's outbox went from one epoch to another (new or damaged outbox file); not its first. */
  epochChanges: number;
}

export class UplinkProcessor {
  private readonly devices = new Map<string, DeviceState>();
  private readonly policy: AckPolicy;
  private readonly store: ReportStore;
  private readonly dayOf: (t: number) => number;
  readonly counters: IngestCounters = {
    uplinks: 0, reports: 0, duplicateReports: 0, liveFrames: 0, duplicateLive: 0, health: 0, malformed: 0, quarantined: 0, rejectedFrames: 0, rejectedReports: 0,
    sessionsStarted: 0, downlinksConfirmed: 0, acksSent: 0, configsSent: 0, downlinksRefused: 0, storeErrors: 0, epochChanges: 0,
  };
  readonly trust: DeviceTrust;
  private readonly seqWindow: number;
  /** Devices whose state is being loaded from an asynchronous store. */
  private readonly loading = new Map<string, Promise<DeviceState>>();
  private readonly dirty = new Set<string>();
  private flushTimer: TimerHandle | undefined;
  private readonly saveDelayMs: number;
  /** With an asynchronous store: the uplink in hand, so that the next waits for it. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly consumer: ReportConsumer,
    private readonly downlinks: DownlinkSender | undefined,
    options: ProcessorOptions = {},
  ) {
    this.policy = { ...DEFAULT_ACK_POLICY, ...options.ack };
    this.store = options.store ?? new MemoryReportStore();
    this.dayOf = options.dayOf ?? ((t) => Math.floor(t / 86_400_000) * 86_400_000);
    this.trust = options.trust ?? new DeviceTrust();
    this.seqWindow = options.seqWindow ?? 50_000;
    this.saveDelayMs = options.saveDelayMs ?? 1000;
  }

  /** The device's state, from memory or the store. Only admitted devices get here, so it stays bounded. */
  private state(devEui: string): Awaitable<DeviceState> {
    const s = this.devices.get(devEui);
    if (s) return s;
    const pending = this.loading.get(devEui);
    if (pending) return pending;
    const make = (known: { state: DeviceAckState; beyond: number[] } | undefined): DeviceState => {
      const already = this.devices.get(devEui);
      if (already) return already;
      const base = known?.state ?? EMPTY_DEVICE;
      const session = newSession();
      session.fCnt = base.fCnt;
      session.digest = base.fCntDigest;
      const fresh: DeviceState = {
        through: base.through, lastAckAt: base.lastAckAt, day: base.day, acksToday: base.acksToday, downlinksToday: base.downlinksToday,
        beyond: new Set(known?.beyond ?? []), knownUpTo: (known?.beyond ?? []).reduce((a, b) => Math.max(a, b), 0), wantAck: false, pendingSince: undefined, timer: undefined, lastLiveSeq: undefined,
        epoch: base.epoch ?? 0, session, lastSeenAt: base.lastSeenAt,
      };
      this.compact(fresh);
      this.devices.set(devEui, fresh);
      this.loading.delete(devEui);
      return fresh;
    };
    const known = this.store.device(devEui);
    if (!(known instanceof Promise)) return make(known);
    const loaded = known.then(make);
    this.loading.set(devEui, loaded);
    return loaded;
  }

  /** Highest sequence number below which every report of the device has arrived. */
  receivedThrough(devEui: string): number {
    return this.devices.get(devEui)?.through ?? 0;
  }

  /** Devices with state in memory: devEui, last heard, through (for metrics). */
  deviceSummaries(): Array<{ devEui: string; lastSeenAt: number | undefined; through: number; epoch: number }> {
    return [...this.devices.entries()].map(([devEui, s]) => ({ devEui, lastSeenAt: s.lastSeenAt, through: s.through, epoch: s.epoch }));
  }

  /**
   * One uplink. Done at once with a synchronous store; with an asynchronous one it queues behind
   * the uplinks before it (device state is read and written in order): `idle()` says when all is
   * done. Never throws for bad input.
   */
  handle(envelope: UplinkEnvelope): void {
    this.run(() => this.handleNow(envelope));
  }

  /** Resolves when every uplink and event handed in so far is processed (at once with a synchronous store). */
  idle(): Promise<void> {
    return this.queue;
  }

  private run(work: () => Awaitable<void>): void {
    if (this.store.asynchronous) {
      this.queue = this.queue.then(work).catch((error: unknown) => {
        this.counters.storeErrors++;
        log.error({ error: (error as Error).message }, 'uplink processing failed');
      });
      return;
    }
    const result: unknown = work();
    if (result instanceof Promise) throw new Error('a synchronous store answered with a promise');
  }

  private handleNow(envelope: UplinkEnvelope): Awaitable<void> {
    this.counters.uplinks++;
    if (!this.trust.admit(envelope.devEui, envelope.receivedAt)) {
      this.counters.quarantined++;
      return;
    }
    let uplink;
    try {
      uplink = decodeUplink(envelope.fPort, envelope.payload, envelope.receivedAt);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.counters.malformed++;
      log.warn({ fPort: envelope.fPort, code: error.code, bytes: envelope.payload.length }, 'malformed uplink dropped');
      return;
    }
    return then(this.state(envelope.devEui), (s) => this.withState(envelope, uplink, s));
  }

  private withState(envelope: UplinkEnvelope, uplink: ReturnType<typeof decodeUplink>, s: DeviceState): Awaitable<void> {
    const digest = frameDigest(envelope.fPort, envelope.payload);
    const verdict = judgeFrame(s.session, envelope.fCnt, digest, envelope.receivedAt);
    if (verdict !== 'continues' && verdict !== 'new-session' && verdict !== 'redelivery') {
      this.trust.count(verdict);
      this.counters.rejectedFrames++;
      log.warn({ reason: verdict }, 'frame not from the device\'s session, refused');
      return;
    }
    const now = this.clock.now();
    s.lastSeenAt = envelope.receivedAt;
    if (verdict === 'new-session') {
      // The device joined: its JoinAccept was a downlink and counts in today's budget.
      this.rollDay(s, now);
      s.downlinksToday++;
      this.counters.sessionsStarted++;
      this.save(envelope.devEui, s, true);
    }
    const epoch = epochOf(uplink);
    if (epoch !== undefined && epoch !== s.epoch) this.newEpoch(s, epoch);
    switch (uplink.kind) {
      case 'stopBatch':
        return this.reports(envelope, s, uplink.reports);
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
    return;
  }

  /** A new outbox epoch: the gateway numbers its reports afresh; what we knew of the old numbers no longer holds. */
  private newEpoch(s: DeviceState, epoch: number): void {
    // A device's first epoch is no change; any later one means a new or damaged outbox file.
    if (s.epoch !== 0) this.counters.epochChanges++;
    log.info({ from: s.epoch, to: epoch }, 'device outbox numbers under a new epoch');
    s.epoch = epoch;
    s.through = 0;
    s.beyond.clear();
    s.knownUpTo = 0;
    s.lastLiveSeq = undefined;
  }

  private reports(envelope: UplinkEnvelope, s: DeviceState, reports: StopReport[]): Awaitable<void> {
    // A report sent again means the gateway lacks our ack: answer, even with nothing new.
    s.wantAck = true;
    const fresh: StopReport[] = [];
    const anchored = s.through > 0 || s.beyond.size > 0 || s.knownUpTo > 0;
    const upTo = Math.max(s.through, s.knownUpTo) + this.seqWindow;
    for (const report of reports) {
      if (report.seq <= s.through || s.beyond.has(report.seq)) {
        this.counters.duplicateReports++;
        continue;
      }
      if (anchored && report.seq > upTo) {
        this.trust.count('seq-out-of-window');
        this.counters.rejectedReports++;
        continue;
      }
      if (this.trust.implausible(envelope.devEui, report)) {
        // From the device's own session, so the gateway did send it: take it as received (so that
        // it is acknowledged and leaves the outbox) but never store or publish it.
        this.counters.rejectedReports++;
        s.beyond.add(report.seq);
        s.knownUpTo = Math.max(s.knownUpTo, report.seq);
        continue;
      }
      fresh.push(report);
    }
    const done = (outcomes: AddOutcome[]): void => {
      outcomes.forEach((outcome, i) => {
        const report = fresh[i]!;
        s.knownUpTo = Math.max(s.knownUpTo, report.seq);
        if (outcome === 'conflict') {
          // Another report was stored for this seq: one of the two is forged. Both stay out of
          // what is published; neither is handed on.
          this.trust.count('seq-conflict');
          this.counters.rejectedReports++;
        } else if (outcome === 'duplicate') this.counters.duplicateReports++;
        s.beyond.add(report.seq);
        if (outcome !== 'new') return;
        this.counters.reports++;
        this.consumer.report(envelope.devEui, report, envelope.receivedAt);
      });
      this.compact(s);
      this.maybeAck(envelope.devEui, s);
    };
    if (fresh.length === 0) {
      done([]);
      return;
    }
    return then(this.store.addBatch(envelope.devEui, s.epoch, fresh, envelope.receivedAt), done);
  }

  /**
   * The network server sent what was queued for the device (ChirpStack txack, TTS down/sent): it
   * counts in the budget of the day it went out.
   */
  downlinkSent(devEui: string): void {
    // Only a downlink we queued and still wait for counts: a forged notice can at most settle it early.
    const s = this.devices.get(devEui);
    if (!s || s.pendingSince === undefined) return;
    this.counters.downlinksConfirmed++;
    this.settlePending(s, this.clock.now());
    this.save(devEui, s, true);
    this.maybeAck(devEui, s);
  }

  private settlePending(s: DeviceState, at: number): void {
    this.rollDay(s, at);
    s.pendingSince = undefined;
    s.acksToday++;
    s.downlinksToday++;
  }

  /**
   * The network server says the device joined. Not counted in the budget by itself (it may be
   * forged, and ChirpStack sends it at the first uplink after the join): it lets the device's next
   * frame with a low frame counter start a new session, which is counted.
   */
  joined(devEui: string): void {
    if (!this.trust.admit(devEui, this.clock.now())) {
      this.counters.quarantined++;
      return;
    }
    this.run(() => then(this.state(devEui), (s) => armJoin(s.session)));
  }

  /** Queues a configuration change, within the device's downlink budget; false if the budget is spent. */
  sendConfig(devEui: string, change: ConfigChange): boolean {
    const s = this.devices.get(devEui);
    if (!s) {
      this.counters.downlinksRefused++;
      return false;
    }
    this.rollDay(s, this.clock.now());
    if (!this.downlinks || s.downlinksToday + (s.pendingSince !== undefined ? 1 : 0) >= this.policy.maxDownlinksPerDay) {
      this.counters.downlinksRefused++;
      return false;
    }
    s.downlinksToday++;
    this.counters.configsSent++;
    this.save(devEui, s, true);
    this.downlinks.send(devEui, FPORT.config, encodeConfigChange(change));
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
    return {
      through: s.through, lastAckAt: s.lastAckAt, day: s.day, acksToday: s.acksToday, downlinksToday: s.downlinksToday, epoch: s.epoch,
      ...(s.session.fCnt !== undefined ? { fCnt: s.session.fCnt } : {}),
      ...(s.session.digest !== undefined ? { fCntDigest: s.session.digest } : {}),
      ...(s.lastSeenAt !== undefined ? { lastSeenAt: s.lastSeenAt } : {}),
    };
  }

  /**
   * Saves the device's state: at once where the downlink budget changed (`now`), otherwise within
   * `saveDelayMs` (the frame counter and last-seen time of every uplink would cost a write each;
   * `through` and the seqs beyond it are rebuilt from the stored reports anyway).
   */
  private save(devEui: string, s: DeviceState, now = false): void {
    if (!now) {
      this.dirty.add(devEui);
      this.flushTimer ??= this.clock.setTimeout(() => {
        this.flushTimer = undefined;
        try {
          this.flush();
        } catch (error) {
          // Nothing waits on this write; the next save tries again.
          this.counters.storeErrors++;
          log.error({ error: (error as Error).message }, 'could not save device state');
        }
      }, this.saveDelayMs);
      return;
    }
    this.dirty.delete(devEui);
    const saved: unknown = this.store.saveDevice(devEui, this.persistent(s));
    if (saved instanceof Promise) saved.catch((error: unknown) => log.error({ error: (error as Error).message }, 'could not save device state'));
  }

  /** Writes the device states not yet saved. */
  flush(): void {
    for (const devEui of [...this.dirty]) {
      const s = this.devices.get(devEui);
      if (s) this.save(devEui, s, true);
    }
    this.dirty.clear();
  }

  /** Sends an ack if one is due and allowed, and saves the device's state either way. */
  private maybeAck(devEui: string, s: DeviceState): void {
    if (!this.downlinks || !s.wantAck) {
      this.save(devEui, s);
      return;
    }
    const now = this.clock.now();
    this.rollDay(s, now);
    if (s.pendingSince !== undefined) {
      if (now - s.pendingSince < this.policy.pendingTimeoutMs) {
        this.save(devEui, s);
        return;
      }
      // No notice came: count it as sent now and go on.
      this.settlePending(s, now);
    }
    const acksLeft = Math.min(this.policy.maxAcksPerDay - s.acksToday, this.policy.maxDownlinksPerDay - this.policy.joinReserve - s.downlinksToday);
    if (acksLeft <= 0) {
      this.save(devEui, s);
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
      this.save(devEui, s);
      return;
    }
    this.clock.clearTimeout(s.timer);
    s.timer = undefined;
    const ack = encodeAck(buildAck(s.beyond, s.through, 16, s.knownUpTo));
    s.lastAckAt = now;
    s.pendingSince = now;
    s.wantAck = false;
    this.counters.acksSent++;
    // An ack makes the gateway delete reports: everything stored, and this ack's place in the
    // budget, must be on disk before it goes.
    this.save(devEui, s, true);
    this.flush();
    this.store.sync?.();
    this.downlinks.send(devEui, FPORT.ack, ack);
  }

  /** Saves what is pending and cancels timers (before the clock or the transport goes away). */
  close(): void {
    this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flush();
    for (const s of this.devices.values()) this.clock.clearTimeout(s.timer);
  }
}
