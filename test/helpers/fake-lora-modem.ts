/**
 * A fake LoraModem for scheduler tests, at the level of the driver interface: it transmits whatever
 * it is asked to (no duty-cycle enforcement of its own, so the scheduler's budget is what is
 * tested), records every transmission with its time on air, and behaves like a module where the
 * contract says so: 'not-joined' without a session, 'busy' while refusing, 'payload-too-long' over
 * the data rate's limit, joins in rounds of attempts 10 s apart, and a downlink only in the receive
 * window after an uplink. A tiny network and backend behind it hear what coverage and loss let
 * through and answer with acks (at most one per `ackIntervalMs`).
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../common/clock.js';
import { ProtocolError } from '../../common/errors.js';
import type { Rng } from '../../common/random.js';
import { LORAWAN_OVERHEAD_BYTES, uplinkTimeOnAirMs } from '../../firmware-bindings/lora/airtime.js';
import type { LoraModem, LoraModemEvents, ModemStatus, SendOptions, SendResult } from '../../firmware-bindings/lora/modem.js';
import { maxPayload } from '../../contracts/lora-region-eu868.js';
import { buildAck } from '../../proto/ack-ranges.js';
import { decodeStopBatch, encodeAck, FPORT } from '../../proto/frames.js';

export interface Transmission {
  start: number;
  toaMs: number;
  dr: number;
  kind: 'join' | 'uplink';
  fPort?: number;
  bytes?: number;
  confirmed?: boolean;
  /** The payload was over the limit of the data rate in force (a scheduler fault). */
  overLimit?: boolean;
}

export interface FakeConditions {
  /** Module refuses everything with 'busy' while this is true. */
  refusing: (t: number) => boolean;
  /** Nothing reaches the network (tunnel, gap). */
  inCoverage: (t: number) => boolean;
  uplinkLoss: number;
  downlinkLoss: number;
  /** Least time between two acks from the backend. */
  ackIntervalMs: number;
}

export class FakeLoraModem extends EventEmitter<LoraModemEvents> implements LoraModem {
  readonly dialect = 'rui3' as const;
  readonly transmissions: Transmission[] = [];
  /** Sequence numbers the backend behind the network has received. */
  readonly received = new Set<number>();
  dr = 5;
  joined = false;
  private busyUntil = 0;
  private lastAckAt = Number.NEGATIVE_INFINITY;
  private knownUpTo = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly conditions: FakeConditions,
  ) {
    super();
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  /** The module forgets its session (a reset, or the network forgot it). */
  loseSession(): void {
    this.joined = false;
  }

  async status(): Promise<ModemStatus> {
    return { joined: this.joined, dr: this.dr, maxPayload: maxPayload(this.dr) };
  }

  async join(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      for (let attempt = 1; attempt <= 8; attempt++) {
        // Like the module, a join attempt waits for the band's off time after the last transmission.
        const last = this.transmissions[this.transmissions.length - 1];
        if (last) await this.clock.sleep(Math.max(0, last.start + last.toaMs / 0.01 - this.clock.now()));
        const toaMs = uplinkTimeOnAirMs(23 - LORAWAN_OVERHEAD_BYTES, this.dr);
        this.transmissions.push({ start: this.clock.now(), toaMs, dr: this.dr, kind: 'join' });
        const heard = this.conditions.inCoverage(this.clock.now()) && !this.rng.chance(this.conditions.uplinkLoss) && !this.rng.chance(this.conditions.downlinkLoss);
        await this.clock.sleep(toaMs + 6000);
        if (heard) {
          this.joined = true;
          this.emit('joined');
          return;
        }
        if (attempt < 8) await this.clock.sleep(10_000);
      }
      await this.clock.sleep(15_000, signal);
    }
  }

  async send(fPort: number, payload: Uint8Array, options: SendOptions = {}): Promise<SendResult> {
    const now = this.clock.now();
    if (!this.joined) throw new ProtocolError('not joined', 'not-joined');
    if (this.conditions.refusing(now) || now < this.busyUntil) throw new ProtocolError('busy', 'busy');
    const overLimit = payload.length > maxPayload(this.dr);
    const toaMs = uplinkTimeOnAirMs(payload.length, this.dr);
    this.transmissions.push({ start: now, toaMs, dr: this.dr, kind: 'uplink', fPort, bytes: payload.length, confirmed: options.confirmed === true, overLimit });
    if (overLimit) throw new ProtocolError('too long', 'payload-too-long');
    this.busyUntil = now + toaMs + 2300;
    const heard = this.conditions.inCoverage(now + toaMs) && !this.rng.chance(this.conditions.uplinkLoss);
    let downlink: Uint8Array | undefined;
    if (heard) downlink = this.backend(fPort, payload, now + toaMs);
    await this.clock.sleep(toaMs + 2300);
    if (downlink && this.conditions.inCoverage(this.clock.now()) && !this.rng.chance(this.conditions.downlinkLoss)) {
      this.emit('downlink', { fPort: FPORT.ack, payload: downlink });
    }
    return { delivered: true, dr: this.dr };
  }

  /** The backend: notes what arrived and, at most every ackIntervalMs, answers with an ack. */
  private backend(fPort: number, payload: Uint8Array, at: number): Uint8Array | undefined {
    if (fPort === FPORT.stopBatch) {
      for (const r of decodeStopBatch(payload, at)) {
        this.received.add(r.seq);
        this.knownUpTo = Math.max(this.knownUpTo, r.seq);
      }
    }
    if (at - this.lastAckAt < this.conditions.ackIntervalMs || this.received.size === 0) return undefined;
    this.lastAckAt = at;
    return encodeAck(buildAck(this.received, 0, 16, this.knownUpTo));
  }
}
