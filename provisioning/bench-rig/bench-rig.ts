/**
 * The bench rig: one emulated tram on a laptop, for trying the real gateway and the technician's
 * self-test without hardware. Its LoRaWAN modem (RUI3 or RN2483 firmware, emulated byte for byte),
 * door board (StandardFirmata), IBIS on-board computer and camera counter sit on socat
 * pseudo-terminals linked at fixed paths under `<dir>/dev/`; the modem's frames go over an emulated
 * air to the network-server emulator, which publishes them on an MQTT broker (aedes, in process) as
 * ChirpStack v4 or The Things Stack v3 do. The rig writes a gateway config and secrets for exactly
 * these devices, and `rig.json` with the broker and topics. A TramScript makes things happen.
 *
 * Must never: touch the gateway except through the devices' bytes and the broker; leave socat
 * processes or links behind after close().
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { SystemClock } from '../../common/clock.js';
import { Rng } from '../../common/random.js';
import { CAMERA_SERIAL } from '../../firmware-bindings/camera/camera-protocol.js';
import { IBIS_SERIAL } from '../../firmware-bindings/ibis/ibis-framing.js';
import { MODEM_DIALECTS } from '../../firmware-bindings/lora/dialects.js';
import type { ModemDialect } from '../../firmware-bindings/lora/modem.js';
import { openSerialPort, type SerialSettings } from '../../firmware-bindings/transport/serial-port.js';
import { parseGatewayConfig } from '../../gateway/config.js';
import { FPORT } from '../../proto/frames.js';
import { buildVehicleConfig, newAppKey, writeVehicleFiles } from '../vehicle-files.js';
import { CameraUnitEmulator } from '../../simulator/devices/camera-unit.js';
import { DoorBoardDriver } from '../../simulator/devices/door-board-driver.js';
import { BOARD_PROFILES, FirmataBoardEmulator } from '../../simulator/devices/firmata-board.js';
import { IbisBusEmulator } from '../../simulator/devices/ibis-bus.js';
import { Air } from '../../simulator/lorawan/air.js';
import type { EmulatedModule } from '../../simulator/lorawan/emulated-module.js';
import { EmulatedRn2483 } from '../../simulator/lorawan/emulated-rn2483.js';
import { EmulatedRui3 } from '../../simulator/lorawan/emulated-rui3.js';
import { NetworkServerMqttBridge } from '../../simulator/lorawan/mqtt-bridge.js';
import { NetworkServerEmulator } from '../../simulator/lorawan/network-server.js';
import { loadVehicleTypes } from '../../contracts/vehicle-types.js';
import { DATA_DIR, loadLine } from '../../simulator/world/network-data.js';
import { openPtyLink, type PtyLink } from './pty-links.js';
import { TramScript } from './tram-script.js';

export interface BenchRigOptions {
  /** Folder for the device links, gateway.yaml, secrets.yaml, rig.json and the outbox. */
  dir: string;
  dialect: ModemDialect;
  network: 'chirpstack' | 'tts';
  vehicleId: string;
  vehicleType: string;
  /** Line data file under simulator/data/lines/ (e.g. halle-5). */
  line: string;
  /** Broker port on 127.0.0.1; 0: any free port (rig.json says which). */
  mqttPort: number;
  /** From one stop to the next on the emulated tram. */
  stopEverySeconds: number;
  seed: number;
  /** Where the rig says what happens (uplinks, joins, stops). */
  log: (text: string) => void;
}

/** What rig.json holds: everything a tool or a test needs to talk to the rig. */
export interface RigDescription {
  pid: number;
  dir: string;
  config: string;
  secrets: string;
  mqttUrl: string;
  network: 'chirpstack' | 'tts';
  /** Where the network server publishes uplinks (an MQTT topic filter). */
  uplinkTopic: string;
  applicationId: string;
  devEui: string;
  dialect: ModemDialect;
  ports: { modem: string; doorBoard: string; ibis: string; camera: string };
}

const RIG_JOIN_EUI = '70b3d57ed0000000';
/** ChirpStack application id of the rig (a UUID, as ChirpStack's are). */
const RIG_APPLICATION_ID = '8c6a5b8e-7d1f-4c1e-9a51-000000000661';
const TTS_APPLICATION = 'havag-occupancy@havag';
const PORT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(FPORT).map(([k, v]) => [v, k]));

/** A DevEUI for the rig's emulated module, derived from the fleet number (70B3D5 is a test OUI here). */
function rigDevEui(vehicleId: string): string {
  const digits = vehicleId.replace(/\D/g, '').slice(-6).padStart(6, '0');
  return `70b3d57e${'ff'}${digits}`.toLowerCase();
}

export class BenchRig {
  private readonly closers: Array<() => Promise<void> | void> = [];
  private closed = false;
  description!: RigDescription;
  readonly counters = { uplinks: 0, joins: 0, stops: 0 };
  /** The emulated LoRaWAN module (for its MAC state in tests). */
  module: EmulatedModule | undefined;

  private constructor(private readonly o: BenchRigOptions) {}

  static async start(o: BenchRigOptions): Promise<BenchRig> {
    const rig = new BenchRig(o);
    try {
      await rig.build();
    } catch (error) {
      await rig.close();
      throw error;
    }
    return rig;
  }

  private async build(): Promise<void> {
    const o = this.o;
    const dir = resolve(o.dir);
    const devDir = join(dir, 'dev');
    mkdirSync(join(devDir, '.emulated'), { recursive: true });
    const type = loadVehicleTypes().get(o.vehicleType);
    if (!type) throw new Error(`unknown vehicle type ${o.vehicleType} (known: ${[...loadVehicleTypes().keys()].join(', ')})`);
    if (!type.doorBoard) throw new Error(`vehicle type ${o.vehicleType} has no door-board mapping`);
    const line = loadLine(join(DATA_DIR, 'lines', `${o.line}.yaml`));
    const clock = new SystemClock();
    const rng = new Rng(o.seed);

    // The cables: one socat pair per device.
    const links: Record<'modem' | 'doorBoard' | 'ibis' | 'camera', PtyLink> = {} as never;
    for (const [name, file] of [['modem', 'modem'], ['doorBoard', 'door-board'], ['ibis', 'ibis'], ['camera', 'camera']] as const) {
      const link = await openPtyLink(join(devDir, file), join(devDir, '.emulated', file));
      this.closers.push(() => link.close());
      links[name] = link;
    }
    const open = async (path: string, settings: Omit<SerialSettings, 'path'>): Promise<Duplex> => {
      const port = await openSerialPort({ path, ...settings });
      this.closers.push(() => void port.destroy());
      return port;
    };

    // The broker and the network server on it.
    const aedes = await Aedes.createBroker();
    const server = net.createServer(aedes.handle);
    // Closed in reverse order: the broker first (it ends its clients' connections), then the listener.
    this.closers.push(() => new Promise<void>((ok) => server.close(() => ok())), () => new Promise<void>((ok) => aedes.close(() => ok())));
    await new Promise<void>((ok, fail) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        fail(error.code === 'EADDRINUSE' ? new Error(`port ${o.mqttPort} is in use (a local MQTT broker?): give another with --mqtt-port, or 0 for any free port`) : error),
      );
      server.listen(o.mqttPort, '127.0.0.1', ok);
    });
    const mqttUrl = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const client: MqttClient = await mqtt.connectAsync(mqttUrl, { clientId: 'rig-network-server', protocolVersion: 4, reconnectPeriod: 0 });
    this.closers.push(() => client.endAsync(true));

    const air = new Air(clock, rng.fork('air'), { inCoverage: () => true, uplinkLoss: 0, downlinkLoss: 0 });
    const deviceName = `tram-${o.vehicleId}`;
    // The bridge needs the network server and the server publishes through the bridge.
    const to: { bridge?: NetworkServerMqttBridge } = {};
    const ns = new NetworkServerEmulator(clock, rng.fork('ns'), {
      applicationId: RIG_APPLICATION_ID,
      applicationName: 'havag-occupancy',
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      netId: '000013',
      publish: (u) => {
        this.counters.uplinks++;
        o.log(`uplink  ${u.deviceName} fCnt ${u.fCnt} port ${u.fPort} (${PORT_NAMES[u.fPort] ?? '?'}) ${u.payload.length} bytes at DR${u.dr}`);
        to.bridge?.publishUplink(u);
      },
      downlinkSent: (d) => to.bridge?.publishDownlinkSent(d),
      joined: (j) => {
        this.counters.joins++;
        o.log(`join    ${j.deviceName} joined`);
        to.bridge?.publishJoin(j);
      },
    });
    air.attach(ns);
    to.bridge = new NetworkServerMqttBridge(client, ns, { format: o.network, applicationId: RIG_APPLICATION_ID, ttsApplication: TTS_APPLICATION });
    await to.bridge.start();

    // The vehicle's files, for exactly these devices.
    const devEui = rigDevEui(o.vehicleId);
    const appKey = newAppKey();
    ns.register({ devEui, joinEui: RIG_JOIN_EUI, appKey, name: deviceName });
    const base = buildVehicleConfig({
      vehicleId: o.vehicleId, type, devEui, joinEui: RIG_JOIN_EUI, modemDialect: o.dialect, modemPort: links.modem.gatewayPath, outboxPath: join(dir, 'outbox.db'),
      doorBoardPort: links.doorBoard.gatewayPath, ibisPort: links.ibis.gatewayPath, cameraPort: links.camera.gatewayPath, ble: false,
    });
    // On the bench things go faster than in service: stop reports leave within a minute, a departure is 5 s after the doors close.
    const config = parseGatewayConfig({ ...base, uplink: { ...base.uplink, maxBatchDelayMinutes: 1 }, counting: { departureGraceSeconds: 5 } });
    rmSync(join(dir, 'outbox.db'), { force: true });
    const files = writeVehicleFiles(dir, config, appKey, true);

    // The emulated devices on their ends of the lines.
    const modemPort = await open(links.modem.devicePath, MODEM_DIALECTS[o.dialect].serial);
    const modemOptions = { factoryDevEui: devEui };
    // The module lives on through its port's listeners, as long as the port is open.
    const module: EmulatedModule =
      o.dialect === 'rui3' ? new EmulatedRui3(modemPort, clock, air, rng.fork('modem'), modemOptions) : new EmulatedRn2483(modemPort, clock, air, rng.fork('modem'), modemOptions);
    this.module = module;
    const boardPort = await open(links.doorBoard.devicePath, { baudRate: config.sources.doorBoard!.baudRate });
    const board = new FirmataBoardEmulator(clock, { profile: BOARD_PROFILES[type.doorBoard.board] });
    const driver = new DoorBoardDriver(clock, rng.fork('doors'), board, type.doorBoard);
    driver.initialise();
    board.attach(boardPort);
    this.closers.push(() => board.close());
    const ibis = new IbisBusEmulator(await open(links.ibis.devicePath, IBIS_SERIAL), clock, { timeZone: config.timeZone });
    this.closers.push(() => ibis.close());
    const camera = new CameraUnitEmulator(await open(links.camera.devicePath, { ...CAMERA_SERIAL, baudRate: config.sources.camera!.baudRate }), clock);
    this.closers.push(() => camera.close());

    const script = new TramScript({
      clock, rng: rng.fork('tram'), line, doorNumbers: type.doorBoard.doors.map((d) => d.door), stopEveryMs: o.stopEverySeconds * 1000,
      devices: { doors: driver, ibis, camera },
      onStop: (text) => {
        this.counters.stops++;
        o.log(`tram    ${text}`);
      },
    });
    this.closers.push(() => script.stop());

    const uplinkTopic = o.network === 'chirpstack' ? `application/${RIG_APPLICATION_ID}/device/+/event/up` : `v3/${TTS_APPLICATION}/devices/+/up`;
    this.description = {
      pid: process.pid, dir, config: resolve(files.configPath), secrets: resolve(files.secretsPath), mqttUrl, network: o.network, uplinkTopic,
      applicationId: o.network === 'chirpstack' ? RIG_APPLICATION_ID : TTS_APPLICATION, devEui, dialect: o.dialect,
      ports: { modem: links.modem.gatewayPath, doorBoard: links.doorBoard.gatewayPath, ibis: links.ibis.gatewayPath, camera: links.camera.gatewayPath },
    };
    const descriptionPath = join(dir, 'rig.json');
    writeFileSync(descriptionPath, `${JSON.stringify(this.description, null, 2)}\n`);
    this.closers.push(() => rmSync(descriptionPath, { force: true }));
    script.start();
  }

  /** Stops the tram, the devices, the network server and the broker; removes the links and rig.json. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const close of this.closers.reverse()) {
      try {
        await close();
      } catch {
        // Best effort: the rest must still be closed.
      }
    }
  }
}
