/**
 * One simulated tram's on-board kit on the bench: the gateway (the real Gateway, RUI3 driver and
 * outbox) talking AT over a byte stream to an emulated module on the air, behind a power switch.
 * A power cut drops everything at that instant: the gateway and its modem session are abandoned
 * mid-whatever, the module loses its MAC session, nothing more is written; power on builds them
 * anew on the SAME outbox file, as a vehicle restarting would. While the power is off, what the
 * sensors see is lost to the world (nobody counts), but the vehicle bus repeats its telegrams, so
 * the trip context is there again after a restart.
 */
import { createHash } from 'node:crypto';
import type { VirtualClock } from '../../common/clock.js';
import { createDuplexPair } from '../../common/duplex-pair.js';
import type { Rng } from '../../common/random.js';
import { Rui3Modem } from '../../firmware-bindings/lora/rui3.js';
import { RunningSumEstimator } from '../../gateway/estimation/estimator.js';
import { DEFAULT_SPREAD, PublicLevelPolicy } from '../../gateway/privacy/public-level.js';
import { Gateway, type DepartureRecord } from '../../gateway/gateway.js';
import { OnnxEstimator } from '../../gateway/estimation/onnx-estimator.js';
import type { OnnxLoadModel } from '../../gateway/estimation/onnx-model.js';
import { Pseudonymiser } from '../../gateway/privacy/pseudonymiser.js';
import { RadioSource } from '../../gateway/sources/radio-source.js';
import type { RawSighting } from '../world/phones.js';
import type { EventSink, SourceEvent } from '../../gateway/sources/events.js';
import { Outbox } from '../../gateway/uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS, type SchedulerStats, type SentFrame } from '../../gateway/uplink/uplink-scheduler.js';
import type { Air } from '../lorawan/air.js';
import { EmulatedRui3 } from '../lorawan/emulated-rui3.js';
import type { VehicleBlock } from '../world/service-plan.js';

export const JOIN_EUI = '70b3d57ed0000000';

export interface RigSettings {
  clock: VirtualClock;
  air: Air;
  dataRate: number;
  dailyAirtimeMs: number;
  liveEnabled: boolean;
  healthIntervalMin: number;
  dayOf: (t: number) => number;
  /** Outbox file; ':memory:' when the scenario has no power cuts. */
  outboxPath: string;
  onSent: (frame: SentFrame, rig: VehicleRig) => void;
  /** The load model, loaded once for the run; the running sum when absent. */
  model?: OnnxLoadModel;
  timeZone: string;
}

export class VehicleRig implements EventSink {
  readonly records = new Map<number, DepartureRecord>();
  /** Times the power was off: [from, to). */
  readonly offWindows: Array<{ from: number; to: number }> = [];
  gateway: Gateway | undefined;
  private outbox: Outbox | undefined;
  private streams: Array<{ destroy(): void }> = [];
  private lives = 0;
  /** Scheduler figures of earlier lives (before power cuts). */
  private readonly past: Partial<SchedulerStats> = {};
  private tripContext: Omit<Extract<SourceEvent, { type: 'trip' }>, 'type' | 'at'> = {};
  private starting: Promise<void> | undefined;

  constructor(
    private readonly s: RigSettings,
    readonly block: VehicleBlock,
    readonly devEui: string,
    private readonly appKey: string,
    private readonly rng: Rng,
  ) {
    // Stands in for the secret seed in the vehicle's secrets file: fixed per vehicle, so runs repeat.
    this.levelSeed = createHash('sha256').update(`bench level seed ${devEui}`).digest();
  }

  private readonly levelSeed: Buffer;
  private pseudonymiser: Pseudonymiser | undefined;
  private radio: RadioSource | undefined;

  get powered(): boolean {
    return this.gateway !== undefined;
  }

  /** What the radio scanner hears: pseudonymised by the gateway's radio source, if powered. */
  radioSighting(s: RawSighting): void {
    this.radio?.sighting(s.medium, s.address, s.rssi, s.at);
  }

  handle(event: SourceEvent): void {
    if (event.type === 'trip') {
      const { type: _type, at: _at, ...fields } = event;
      this.tripContext = { ...this.tripContext, ...fields };
    }
    this.gateway?.handle(event);
  }

  powerOn(): void {
    const { clock } = this.s;
    const last = this.offWindows[this.offWindows.length - 1];
    if (last && last.to === Number.POSITIVE_INFINITY) last.to = clock.now();
    this.lives++;
    const [host, device] = createDuplexPair();
    this.streams = [host, device];
    const radio = new EmulatedRui3(device, clock, this.s.air, this.rng.fork(`module-${this.lives}`), { factoryDevEui: this.devEui });
    radio.mac.dr = this.s.dataRate;
    const modem = new Rui3Modem(host, clock, { credentials: { devEui: this.devEui, joinEui: JOIN_EUI, appKey: this.appKey }, adr: false, dr: this.s.dataRate });
    this.outbox = new Outbox({ path: this.s.outboxPath });
    const type = this.block.vehicleType;
    const gateway = new Gateway(
      {
        clock,
        modem,
        outbox: this.outbox,
        estimator: this.s.model
          ? new OnnxEstimator(this.s.model, { capacity: type.capacity, seats: type.seats, levels: type.levels, timeZone: this.s.timeZone })
          : new RunningSumEstimator({ seats: type.seats, capacity: type.capacity }),
        // The device's secret level seed: fixed per vehicle, as it would be in its secrets file.
        publicLevel: new PublicLevelPolicy({ thresholds: type.levels, capacity: type.capacity, ...DEFAULT_SPREAD }, this.levelSeed),
      },
      {
        vehicleId: this.block.vehicleId,
        capacity: type.capacity,
        seats: type.seats,
        levels: type.levels,
        departureGraceMs: 15_000,
        liveEnabled: this.s.liveEnabled,
        dailyAirtimeMs: this.s.dailyAirtimeMs,
        serviceHours: 19,
        dayOf: this.s.dayOf,
        scheduler: { ...DEFAULT_SCHEDULER_OPTIONS, healthIntervalMs: this.s.healthIntervalMin * 60_000 },
        softwareVersion: 100,
      },
    );
    // A fresh pseudonymisation key with every start, as on the vehicle.
    this.pseudonymiser = new Pseudonymiser(clock, { timeZone: this.s.timeZone });
    const pseudonymiser = this.pseudonymiser;
    this.radio = new RadioSource(clock, gateway, (kind, raw) => pseudonymiser.pseudonymise(kind, raw));
    gateway.onDeparture((r) => this.records.set(r.report.seq, r));
    gateway.scheduler.onSent = (frame) => this.s.onSent(frame, this);
    this.gateway = gateway;
    // The vehicle bus repeats line, course, destination and stop: a restarted gateway hears them again.
    if (Object.keys(this.tripContext).length > 0) gateway.handle({ type: 'trip', at: clock.now(), ...this.tripContext });
    this.starting = gateway.start().catch(() => undefined);
  }

  /** The power goes at this instant: nothing is stopped in order, nothing more is written. */
  powerOff(): void {
    const gateway = this.gateway;
    if (!gateway) return;
    this.pseudonymiser?.close();
    this.radio = undefined;
    this.addPast(gateway.scheduler.stats);
    gateway.halt();
    for (const stream of this.streams) stream.destroy();
    this.outbox?.close();
    this.gateway = undefined;
    this.outbox = undefined;
    this.offWindows.push({ from: this.s.clock.now(), to: Number.POSITIVE_INFINITY });
  }

  /** End of the run: stops the gateway in order (the clock is advanced by the caller meanwhile). */
  async shutdown(): Promise<void> {
    const gateway = this.gateway;
    if (!gateway) return;
    await this.starting;
    await gateway.stop();
    this.pseudonymiser?.close();
    this.radio = undefined;
    this.addPast(gateway.scheduler.stats);
    this.gateway = undefined;
    this.outbox?.close();
    this.outbox = undefined;
  }

  wasPoweredAt(t: number): boolean {
    return !this.offWindows.some((w) => t >= w.from && t < w.to);
  }

  get restarts(): number {
    return Math.max(0, this.lives - 1);
  }

  private addPast(stats: SchedulerStats): void {
    for (const [k, v] of Object.entries(stats) as Array<[keyof SchedulerStats, number]>) this.past[k] = (this.past[k] ?? 0) + v;
  }

  /** Scheduler figures over every life of this gateway. */
  stats(): SchedulerStats {
    const now = this.gateway?.scheduler.stats;
    const out = { ...this.past } as SchedulerStats;
    if (now) for (const [k, v] of Object.entries(now) as Array<[keyof SchedulerStats, number]>) out[k] = (out[k] ?? 0) + v;
    return out;
  }
}
