/**
 * The whole delivery path on a real MQTT broker, for integration tests: gateways (the real Gateway,
 * RUI3 driver and emulated module over byte streams) on a virtual clock, the air, the network-server
 * emulator publishing through the MQTT bridge, and the backend (MqttIngest, UplinkProcessor, a
 * report store) on its own MQTT connection. Virtual time only moves between `settle()`s, which wait
 * (in real time) until every message published so far has been handled on the other side.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { VirtualClock } from '../../common/clock.js';
import { createDuplexPair } from '../../common/duplex-pair.js';
import { Rng } from '../../common/random.js';
import { MqttIngest, type NetworkServerKind } from '../../backend/ingest/mqtt-ingest.js';
import { UplinkProcessor } from '../../backend/ingest/uplink-processor.js';
import { MemoryReportStore, SqliteReportStore, type ReportStore } from '../../backend/store/report-store.js';
import { Rui3Modem } from '../../firmware-bindings/lora/rui3.js';
import { RunningSumEstimator } from '../../gateway/estimation/estimator.js';
import { Gateway } from '../../gateway/gateway.js';
import { Outbox } from '../../gateway/uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS } from '../../gateway/uplink/uplink-scheduler.js';
import type { StopReport } from '../../proto/frames.js';
import { Air } from '../../simulator/lorawan/air.js';
import { EmulatedRui3 } from '../../simulator/lorawan/emulated-rui3.js';
import { NetworkServerMqttBridge } from '../../simulator/lorawan/mqtt-bridge.js';
import { NetworkServerEmulator } from '../../simulator/lorawan/network-server.js';

export const APPLICATION_ID = 'b1f4c2d0-0000-4000-8000-00000000a001';
const JOIN_EUI = '70b3d57ed0000000';
export const T0 = Date.UTC(2026, 10, 23, 5, 0, 0);

export interface RigOptions {
  brokerUrl: string;
  format: NetworkServerKind;
  vehicles: number;
  uplinkLoss: number;
  downlinkLoss: number;
  seed: number;
  /** SQLite file for the backend's store; none: in memory. */
  storePath?: string;
}

export interface VehicleUnderTest {
  devEui: string;
  gateway: Gateway;
  outbox: Outbox;
  /** Reports as the gateway stored them. */
  generated: StopReport[];
}

interface Backend {
  client: MqttClient;
  ingest: MqttIngest;
  processor: UplinkProcessor;
  store: ReportStore;
}

async function connect(url: string, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId, protocolVersion: 4, reconnectPeriod: 0 });
}

export class MqttRig {
  readonly clock = new VirtualClock(T0 - 10 * 60_000);
  readonly vehicles: VehicleUnderTest[] = [];
  /** What the backend handed on: devEui -> seqs in arrival order. */
  readonly handedOn = new Map<string, number[]>();
  readonly ns: NetworkServerEmulator;
  readonly air: Air;
  backend: Backend | undefined;
  private bridge!: NetworkServerMqttBridge;
  private bridgeClient!: MqttClient;
  /** Messages the backend must still see before virtual time may move on. */
  private expectedAtBackend = 0;
  private seenBefore = 0;
  private commandsBefore = 0;
  private downlinksBefore = 0;

  private constructor(private readonly o: RigOptions) {
    const rng = new Rng(o.seed);
    this.air = new Air(this.clock, rng.fork('air'), { inCoverage: () => true, uplinkLoss: o.uplinkLoss, downlinkLoss: o.downlinkLoss });
    this.ns = new NetworkServerEmulator(this.clock, rng.fork('ns'), {
      applicationId: APPLICATION_ID,
      applicationName: 'havag-occupancy',
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      netId: '000013',
      publish: (u) => {
        if (this.backend) this.expectedAtBackend++;
        this.bridge.publishUplink(u);
      },
      downlinkSent: (d) => {
        if (this.backend) this.expectedAtBackend++;
        this.bridge.publishDownlinkSent(d);
      },
      joined: (j) => {
        if (this.backend) this.expectedAtBackend++;
        this.bridge.publishJoin(j);
      },
    });
    this.air.attach(this.ns);
    for (let v = 0; v < o.vehicles; v++) {
      const vrng = rng.fork(`vehicle-${v}`);
      const devEui = `70b3d57ed00102${(0x90 + v).toString(16)}`;
      const appKey = Array.from({ length: 16 }, () => vrng.int(0, 255).toString(16).padStart(2, '0')).join('');
      this.ns.register({ devEui, joinEui: JOIN_EUI, appKey, name: `tram-${661 + v}` });
      const [host, device] = createDuplexPair();
      new EmulatedRui3(device, this.clock, this.air, vrng.fork('modem'), { factoryDevEui: devEui }).mac.dr = 5;
      const modem = new Rui3Modem(host, this.clock, { credentials: { devEui, joinEui: JOIN_EUI, appKey }, adr: false, dr: 5 });
      const outbox = new Outbox({ path: ':memory:' });
      const gateway = new Gateway(
        { clock: this.clock, modem, outbox, estimator: new RunningSumEstimator({ seats: 50, capacity: 118 }) },
        {
          vehicleId: String(661 + v), capacity: 118, seats: 50, levels: { medium: 25, high: 73 }, departureGraceMs: 15_000, liveEnabled: true,
          dailyAirtimeMs: 30_000, serviceHours: 19, dayOf: (t) => Math.floor(t / 86_400_000) * 86_400_000, scheduler: { ...DEFAULT_SCHEDULER_OPTIONS },
        },
      );
      const vehicle: VehicleUnderTest = { devEui, gateway, outbox, generated: [] };
      gateway.onDeparture((r) => vehicle.generated.push(r.report));
      this.vehicles.push(vehicle);
    }
  }

  static async create(o: RigOptions): Promise<MqttRig> {
    const rig = new MqttRig(o);
    rig.bridgeClient = await connect(o.brokerUrl, 'network-server');
    rig.bridge = new NetworkServerMqttBridge(rig.bridgeClient, rig.ns, { format: o.format, applicationId: APPLICATION_ID });
    await rig.bridge.start();
    await rig.startBackend();
    for (const v of rig.vehicles) void v.gateway.start();
    return rig;
  }

  async startBackend(): Promise<void> {
    const client = await connect(this.o.brokerUrl, `backend-${Date.now()}`);
    const ingest = new MqttIngest(client, this.clock, { server: this.o.format });
    const store = this.o.storePath ? new SqliteReportStore(this.o.storePath) : new MemoryReportStore();
    const processor = new UplinkProcessor(
      this.clock,
      {
        report: (devEui, report) => {
          const seqs = this.handedOn.get(devEui) ?? [];
          seqs.push(report.seq);
          this.handedOn.set(devEui, seqs);
        },
      },
      ingest,
      { store },
    );
    ingest.attach(processor);
    await ingest.start();
    this.seenBefore = 0;
    this.expectedAtBackend = 0;
    this.downlinksBefore = 0;
    this.commandsBefore = this.bridge.counters.commands;
    this.backend = { client, ingest, processor, store };
  }

  async stopBackend(): Promise<void> {
    const b = this.backend;
    if (!b) return;
    await this.settle();
    this.backend = undefined;
    b.processor.close();
    await b.client.endAsync();
    await b.store.close();
  }

  /** Waits (real time) until the backend has seen every event and the bridge every downlink command. */
  async settle(): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const b = this.backend;
      const backendDone = !b || b.ingest.counters.messages - this.seenBefore >= this.expectedAtBackend;
      const commandsDone = !b || this.bridge.counters.commands - this.commandsBefore >= b.ingest.counters.downlinksPublished - this.downlinksBefore;
      if (backendDone && commandsDone) return;
      if (Date.now() > deadline) throw new Error('MQTT messages did not arrive within 5 s');
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Door cycles at every stop of a trip for each vehicle, from `start` on, `everyMs` apart. */
  serveStops(start: number, stops: number, everyMs: number): void {
    this.vehicles.forEach((v, index) => {
      const rng = new Rng(this.o.seed * 31 + index);
      const at = (t: number, fn: () => void) => this.clock.setTimeout(fn, t - this.clock.now());
      at(start - 1000, () => v.gateway.handle({ type: 'trip', at: this.clock.now(), line: 5, course: 1 + index, destination: 51, stop: 1 }));
      for (let k = 0; k < stops; k++) {
        const t = start + k * everyMs + index * 7000;
        const ins = rng.int(0, 12);
        const outs = rng.int(0, 8);
        at(t - 500, () => v.gateway.handle({ type: 'trip', at: this.clock.now(), stop: 1 + (k % 10) }));
        at(t, () => v.gateway.handle({ type: 'door', at: this.clock.now(), door: 1, open: true }));
        for (let p = 0; p < ins + outs; p++) {
          at(t + 1500 + p * 900, () => v.gateway.handle({ type: 'passage', at: this.clock.now(), door: 1, direction: p < outs ? 'out' : 'in' }));
        }
        at(t + 3000 + (ins + outs) * 900, () => v.gateway.handle({ type: 'door', at: this.clock.now(), door: 1, open: false }));
      }
    });
  }

  /** Moves virtual time to `until` in steps, letting MQTT catch up after each. */
  async runUntil(until: number, stepMs = 30_000): Promise<void> {
    while (this.clock.now() < until) {
      await this.clock.runUntil(Math.min(until, this.clock.now() + stepMs));
      await this.settle();
    }
  }

  async close(): Promise<void> {
    for (const v of this.vehicles) v.gateway.halt();
    await this.stopBackend();
    await this.bridgeClient.endAsync();
    for (const v of this.vehicles) v.outbox.close();
  }
}
