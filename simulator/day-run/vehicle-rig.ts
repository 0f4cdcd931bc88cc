/**
 * One simulated tram's on-board kit on the bench: the gateway (the real Gateway, RUI3 driver and
 * outbox) talking AT over a byte stream to an emulated module on the air, behind a power switch.
 * A power cut drops everything at that instant: the gateway and its modem session are abandoned
 * mid-whatever, the module loses its MAC session, nothing more is written; power on builds them
 * anew on the SAME outbox file, as a vehicle restarting would. While the power is off, what the
 * sensors see is lost to the world (nobody counts), but the vehicle bus repeats its telegrams, so
 * the trip context is there again after a restart.
 *
 * At device depth the vehicle bus and the camera are not typed events but bytes: the world drives an
 * emulated IBIS on-board computer (which also sends the driver's staff number, as real ones do) and
 * an emulated camera unit (which sends raw track ids), and the gateway reads them through the same
 * VehicleSources as on the vehicle; the doors drive an emulated StandardFirmata board's pins, read by
 * the gateway's johnny-five door-board binding (when the vehicle type has a pin mapping).
 */
import { createHash } from 'node:crypto';
import type { VirtualClock } from '../../common/clock.js';
import { createDuplexPair } from '../../common/duplex-pair.js';
import type { Rng } from '../../common/random.js';
import { MODEM_DIALECTS } from '../../firmware-bindings/lora/dialects.js';
import type { ModemDialect } from '../../firmware-bindings/lora/modem.js';
import { EmulatedRn2483 } from '../lorawan/emulated-rn2483.js';
import { buildGateway, modelVehicleFrom } from '../../gateway/build-gateway.js';
import { parseGatewayConfig, type GatewayConfig } from '../../gateway/config.js';
import type { DepartureRecord, Gateway } from '../../gateway/gateway.js';
import { modemOptionsFrom } from '../../gateway/vehicle-modem.js';
import { estimatorFor } from '../../gateway/estimation/onnx-estimator.js';
import type { OnnxLoadModel } from '../../gateway/estimation/onnx-model.js';
import { VehicleSources } from '../../gateway/sources/vehicle-sources.js';
import { CameraUnitEmulator } from '../devices/camera-unit.js';
import { IbisBusEmulator } from '../devices/ibis-bus.js';
import { DoorBoardRig, isDoorBoardEvent } from '../devices/door-board-rig.js';
import type { RawSighting } from '../world/phones.js';
import type { EventSink, SourceEvent } from '../../contracts/source-events.js';
import { Outbox } from '../../gateway/uplink/outbox.js';
import type { SchedulerStats, SentFrame } from '../../gateway/uplink/uplink-scheduler.js';
import type { Air } from '../lorawan/air.js';
import { EmulatedRui3 } from '../lorawan/emulated-rui3.js';
import type { VehicleBlock } from '../world/service-plan.js';

export const JOIN_EUI = '70b3d57ed0000000';

/** What a tram's bindings read from its emulated devices' bytes (device depth). */
export interface DeviceCounters {
  firmataMessages: number;
  passagesFromBeams: number;
  ibisTelegrams: number;
  staffNumbersDropped: number;
  cameraLines: number;
}

export function emptyDeviceCounters(): DeviceCounters {
  return { firmataMessages: 0, passagesFromBeams: 0, ibisTelegrams: 0, staffNumbersDropped: 0, cameraLines: 0 };
}

export interface RigSettings {
  clock: VirtualClock;
  air: Air;
  dataRate: number;
  dailyAirtimeMs: number;
  liveEnabled: boolean;
  healthIntervalMin: number;
  /** Outbox file; ':memory:' when the scenario has no power cuts. */
  outboxPath: string;
  onSent: (frame: SentFrame, rig: VehicleRig) => void;
  /** The load model, loaded once for the run; the running sum when absent. */
  model?: OnnxLoadModel;
  timeZone: string;
  /** The modem fitted to this tram (default RUI3). */
  dialect?: ModemDialect;
  /** Vehicle bus and camera as typed events (default) or as bytes through emulators and bindings. */
  depth?: 'event' | 'device';
  /** Local hour at which the gateway replaces its pseudonymisation key (default 3). */
  keyRotationHour?: number;
  /** Taps for tests that must see everything (privacy proof). */
  capture?: RigCapture;
}

export interface RigCapture {
  /** Every chunk the gateway's driver writes to its modem. */
  modemWrite?: (vehicleId: string, chunk: Buffer) => void;
  /** Every raw identifier the world makes up (staff numbers, camera track ids, radio addresses). */
  rawId?: (kind: 'staff-number' | 'camera-track' | 'radio', raw: string) => void;
  /** Every event the gateway receives from its sources. */
  sourceEvent?: (vehicleId: string, event: SourceEvent) => void;
}

/**
 * The config a provisioned vehicle of this type would have, with the scenario's gateway settings:
 * validated by the same schema, mapped to settings by the same buildGateway as on the vehicle.
 */
function benchGatewayConfig(s: RigSettings, block: VehicleBlock, devEui: string): GatewayConfig {
  const type = block.vehicleType;
  return parseGatewayConfig(
    {
      vehicle: { id: block.vehicleId, type: type.id, seats: type.seats, capacity: type.capacity, levels: type.levels },
      timeZone: s.timeZone,
      modem: { dialect: s.dialect ?? 'rui3', port: `bench:${block.vehicleId}`, dataRate: s.dataRate },
      lorawan: { devEui, joinEui: JOIN_EUI },
      uplink: { outboxPath: s.outboxPath, dailyAirtimeMs: s.dailyAirtimeMs, liveEnabled: s.liveEnabled, healthIntervalMin: s.healthIntervalMin },
      estimation: { useModel: s.model !== undefined },
      ...(s.keyRotationHour !== undefined ? { sources: { keyRotationHour: s.keyRotationHour } } : {}),
    },
    `bench vehicle ${block.vehicleId}`,
    { fleet: 'bench' },
  );
}

/** The devices of a tram at device depth: emulators writing bytes into the gateway's bindings. */
interface Devices {
  ibis: IbisBusEmulator;
  camera: CameraUnitEmulator;
  /** Absent when the vehicle type has no door-board pin mapping: door events stay typed then. */
  doors?: DoorBoardRig;
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
    this.staffNumber = rng.fork('staff').int(10_000_000, 99_999_999);
    this.config = benchGatewayConfig(s, block, devEui);
  }

  /** This tram's gateway config, as `occupancy provision new` would write it for the vehicle. */
  readonly config: GatewayConfig;

  private get deviceDepth(): boolean {
    return this.s.depth === 'device';
  }

  private readonly levelSeed: Buffer;
  private sources: VehicleSources | undefined;
  private devices: Devices | undefined;
  /** Raw track ids the camera is following now (device depth). */
  private tracks: string[] = [];
  private nextTrack = 1;
  /** The driver's staff number, as the on-board computer knows it (device depth). */
  private readonly staffNumber: number;

  get powered(): boolean {
    return this.gateway !== undefined;
  }

  /** What the radio scanner hears: pseudonymised by the gateway's radio source, if powered. */
  radioSighting(s: RawSighting): void {
    this.s.capture?.rawId?.('radio', s.address);
    this.sources?.radio.sighting(s.medium, s.address, s.rssi, s.at);
  }

  handle(event: SourceEvent): void {
    if (event.type === 'trip') {
      const { type: _type, at: _at, ...fields } = event;
      this.tripContext = { ...this.tripContext, ...fields };
    }
    const devices = this.devices;
    if (!devices) {
      if (!this.deviceDepth) this.toGateway(event);
      return;
    }
    if (devices.doors && isDoorBoardEvent(event)) {
      // Pins on the emulated board; the gateway hears the doors only through the Firmata bytes.
      devices.doors.tap(event);
      return;
    }
    switch (event.type) {
      case 'trip':
        if (event.line !== undefined) this.setIbisTrip(devices.ibis);
        if (event.stop !== undefined) devices.ibis.setStop(event.stop, event.stopName ?? '');
        return;
      case 'camera':
        devices.camera.report(event.zone, event.heads, event.confidence, this.trackIdsFor(event.heads));
        return;
      case 'fault':
        if (event.sensor === 'camera') {
          // The camera goes quiet; the gateway's camera binding notices on its own.
          if (event.active) devices.camera.goOffline();
          else devices.camera.goOnline();
          return;
        }
        this.toGateway(event);
        return;
      default:
        this.toGateway(event);
    }
  }

  private toGateway(event: SourceEvent): void {
    if (!this.gateway) return;
    this.s.capture?.sourceEvent?.(this.block.vehicleId, event);
    this.gateway.handle(event);
  }

  private setIbisTrip(ibis: IbisBusEmulator): void {
    const c = this.tripContext;
    if (c.line === undefined) return;
    ibis.setTrip({ line: c.line, course: c.course ?? 0, destination: c.destination ?? 0, destinationName: c.destinationName ?? '' });
  }

  /** The camera follows people: ids persist while heads stay, new ids for new heads. */
  private trackIdsFor(heads: number): string[] {
    while (this.tracks.length > heads) this.tracks.splice(this.rng.int(0, this.tracks.length - 1), 1);
    while (this.tracks.length < heads) {
      const raw = `trk-${this.block.vehicleId}-${String(this.nextTrack++).padStart(6, '0')}`;
      this.s.capture?.rawId?.('camera-track', raw);
      this.tracks.push(raw);
    }
    return [...this.tracks];
  }

  powerOn(): void {
    const { clock } = this.s;
    const last = this.offWindows[this.offWindows.length - 1];
    if (last && last.to === Number.POSITIVE_INFINITY) last.to = clock.now();
    this.lives++;
    const [host, device] = createDuplexPair();
    this.streams = [host, device];
    const modemWrite = this.s.capture?.modemWrite;
    if (modemWrite) device.on('data', (chunk: Buffer) => modemWrite(this.block.vehicleId, Buffer.from(chunk)));
    const dialect = this.config.modem.dialect;
    const Module = dialect === 'rn2483' ? EmulatedRn2483 : EmulatedRui3;
    const radio = new Module(device, clock, this.s.air, this.rng.fork(`module-${this.lives}`), { factoryDevEui: this.devEui });
    radio.mac.dr = this.s.dataRate;
    const modem = MODEM_DIALECTS[dialect].create(host, clock, modemOptionsFrom(this.config, { devEui: this.devEui, appKey: this.appKey }));
    this.outbox = new Outbox({ path: this.config.uplink.outboxPath, maxReports: this.config.uplink.outboxMaxReports });
    // Built as on the vehicle: the same settings mapping from the same kind of config.
    const gateway = buildGateway(this.config, {
      clock,
      modem,
      outbox: this.outbox,
      estimator: estimatorFor(this.s.model, modelVehicleFrom(this.config)),
      // The device's secret level seed: fixed per vehicle, as it would be in its secrets file.
      levelSeed: this.levelSeed,
    });
    // The sources with a fresh pseudonymisation key at every start, as on the vehicle.
    const sink: EventSink = { handle: (e) => this.toGateway(e) };
    this.sources = new VehicleSources(clock, sink, { timeZone: this.config.timeZone, keyRotationHour: this.config.sources.keyRotationHour });
    gateway.onDeparture((r) => this.records.set(r.report.seq, r));
    gateway.scheduler.onSent = (frame) => this.s.onSent(frame, this);
    this.gateway = gateway;
    if (this.deviceDepth) {
      const [ibisOut, ibisIn] = createDuplexPair();
      const [cameraOut, cameraIn] = createDuplexPair();
      this.streams.push(ibisOut, ibisIn, cameraOut, cameraIn);
      this.s.capture?.rawId?.('staff-number', String(this.staffNumber));
      const ibis = new IbisBusEmulator(ibisOut, clock, { timeZone: this.s.timeZone, driverNumber: this.staffNumber });
      const camera = new CameraUnitEmulator(cameraOut, clock);
      const mapping = this.block.vehicleType.doorBoard;
      const doors = mapping ? new DoorBoardRig({ clock, rng: this.rng.fork(`door-board-${this.lives}`), mapping, sink }) : undefined;
      void doors?.start();
      this.devices = { ibis, camera, ...(doors ? { doors } : {}) };
      this.sources.attachIbis(ibisIn);
      this.sources.attachCamera(cameraIn);
      // The on-board computer knows the trip whether or not the gateway was powered.
      this.setIbisTrip(ibis);
      if (this.tripContext.stop !== undefined) ibis.setStop(this.tripContext.stop, this.tripContext.stopName ?? '');
    } else if (Object.keys(this.tripContext).length > 0) {
      // The vehicle bus repeats line, course, destination and stop: a restarted gateway hears them again.
      gateway.handle({ type: 'trip', at: clock.now(), ...this.tripContext });
    }
    this.starting = gateway.start().catch(() => undefined);
  }

  /** The power goes at this instant: nothing is stopped in order, nothing more is written. */
  powerOff(): void {
    const gateway = this.gateway;
    if (!gateway) return;
    this.closeSources();
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
    this.closeSources();
    this.addPast(gateway.scheduler.stats);
    this.gateway = undefined;
    this.outbox?.close();
    this.outbox = undefined;
  }

  /** What the bindings read at device depth, over every life of this gateway. */
  readonly deviceCounters = emptyDeviceCounters();

  private closeSources(): void {
    const sources = this.sources;
    const d = this.deviceCounters;
    if (sources?.ibisAdapter) {
      d.ibisTelegrams += sources.ibisAdapter.counters.telegrams;
      d.staffNumbersDropped += sources.ibisAdapter.counters.droppedPersonal;
    }
    if (sources?.cameraCounter) d.cameraLines += sources.cameraCounter.counters.counts;
    if (this.devices?.doors) {
      d.firmataMessages += this.devices.doors.source.framing.messages;
      const c = this.devices.doors.source.doorCounters;
      d.passagesFromBeams += c.passagesIn + c.passagesOut;
    }
    this.devices?.ibis.close();
    this.devices?.camera.close();
    this.devices?.doors?.close();
    this.devices = undefined;
    this.sources?.close();
    this.sources = undefined;
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
