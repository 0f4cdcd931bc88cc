/**
 * Starts the gateway on a vehicle from its validated config: opens the modem's serial port, the
 * outbox file, the estimator and the configured sources, and runs until told to stop (SIGTERM from
 * systemd). Reconnection of ports is the bindings' business (the modem's: vehicle-modem.ts); this
 * only wires and supervises.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Clock } from '../common/clock.js';
import { SystemClock } from '../common/clock.js';
import { configureLogging, moduleLogger } from '../common/log.js';
import { CAMERA_SERIAL } from '../firmware-bindings/camera/camera-protocol.js';
import { DoorBoardSource } from '../firmware-bindings/door-board/door-board.js';
import { IBIS_SERIAL } from '../firmware-bindings/ibis/ibis-framing.js';
import { BleScanner } from '../firmware-bindings/radio/ble-scanner.js';
import { WifiProbeParser, type WifiSighting } from '../firmware-bindings/radio/wifi-probe-parser.js';
import { openSerialPort } from '../firmware-bindings/transport/serial-port.js';
import { SHIPPED_MODEL } from './estimation/shipped-model.js';
import { buildGateway, modelVehicleFrom } from './build-gateway.js';
import type { GatewayConfig, GatewaySecrets } from './config.js';
import type { LoadEstimator } from './estimation/estimator.js';
import { estimatorFor } from './estimation/onnx-estimator.js';
import { OnnxLoadModel } from './estimation/onnx-model.js';
import type { EventSink } from '../contracts/source-events.js';
import { superviseStream, VehicleSources } from './sources/vehicle-sources.js';
import { Outbox } from './uplink/outbox.js';
import { vehicleModem } from './vehicle-modem.js';

const log = moduleLogger('gateway.run');

export async function runVehicleGateway(config: GatewayConfig, secrets: GatewaySecrets, signal: AbortSignal): Promise<void> {
  configureLogging({ level: config.log.level });
  const clock = new SystemClock();
  // The dialect (rui3 | rn2483) picks driver and serial settings; the supervisor owns the port.
  const modem = vehicleModem(config, secrets, clock);
  const estimator = await vehicleEstimator(config);
  const outbox = new Outbox({ path: config.uplink.outboxPath, maxReports: config.uplink.outboxMaxReports });
  const gateway = buildGateway(config, {
    clock,
    modem,
    outbox,
    estimator,
    ...(secrets.levelSeed ? { levelSeed: Buffer.from(secrets.levelSeed, 'hex') } : {}),
  });
  await gateway.start();
  const sources = startVehicleSources(config, clock, gateway, signal);
  log.info({ vehicle: config.vehicle.id, pending: outbox.size, sources: sources.names }, 'running');
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  log.info('stopping');
  await sources.stop();
  await gateway.stop();
  outbox.close();
}

/**
 * The model estimator, or the running sum when the model is switched off or refused (missing file,
 * wrong feature list): counting must go on either way, and the reports say which estimator made them.
 */
async function vehicleEstimator(config: GatewayConfig): Promise<LoadEstimator> {
  let model: OnnxLoadModel | undefined;
  if (config.estimation.useModel) {
    const path = config.estimation.modelPath ?? SHIPPED_MODEL;
    try {
      model = await OnnxLoadModel.load(path);
      log.info({ model: model.version }, 'load model loaded');
    } catch (error) {
      log.error({ path, error: (error as Error).message }, 'load model refused: running sum only');
    }
  }
  return estimatorFor(model, modelVehicleFrom(config));
}

/**
 * Opens every source the config names and keeps it open: serial devices are reopened with back-off
 * when they go away (the bindings report the gap as a sensor fault), the WiFi capture command is
 * restarted when it exits. All identifiers go through the one pseudonymiser of VehicleSources.
 */
export function startVehicleSources(config: GatewayConfig, clock: Clock, sink: EventSink, signal: AbortSignal): { names: string[]; stop: () => Promise<void> } {
  const src = config.sources;
  const sources = new VehicleSources(clock, sink, {
    timeZone: config.timeZone,
    keyRotationHour: src.keyRotationHour,
    ...(src.radio ? { radio: { minRssi: src.radio.minRssi, repeatMs: 10_000 } } : {}),
    ...(src.ibis ? { ibisSilenceMs: src.ibis.silenceSeconds * 1000 } : {}),
    ...(src.camera ? { cameraOfflineMs: src.camera.offlineSeconds * 1000 } : {}),
  });
  const names: string[] = [];
  if (src.ibis) {
    const ibis = src.ibis;
    names.push('ibis');
    superviseStream('ibis', clock, () => openSerialPort({ path: ibis.port, ...IBIS_SERIAL }), (s) => sources.attachIbis(s), signal);
  }
  if (src.camera) {
    const camera = src.camera;
    names.push('camera');
    superviseStream('camera', clock, () => openSerialPort({ path: camera.port, ...CAMERA_SERIAL, baudRate: camera.baudRate }), (s) => sources.attachCamera(s), signal);
  }
  let doorBoard: DoorBoardSource | undefined;
  if (src.doorBoard) {
    const board = src.doorBoard;
    names.push('door-board');
    // The source reconnects on its own (back-off) and reports the gap as a 'door-board' fault.
    doorBoard = new DoorBoardSource({ clock, sink, mapping: board.mapping, timing: board.timing, open: () => openSerialPort({ path: board.port, baudRate: board.baudRate }) });
    doorBoard.start();
  }
  let ble: BleScanner | undefined;
  if (src.radio?.ble) {
    names.push('ble');
    ble = new BleScanner((s) => sources.radio.sighting('ble', s.address, s.rssi));
    ble.start().catch((error: Error) => log.error({ error: error.message }, 'BLE scan not running: check that Bluetooth is powered and the service may use it'));
  }
  if (src.radio?.wifiCommand) {
    const [command, ...args] = src.radio.wifiCommand;
    names.push('wifi');
    superviseStream(
      'wifi',
      clock,
      async () => {
        const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'ignore'] });
        await once(child, 'spawn');
        // One abort listener per running child, dropped when it exits (they would pile up with every restart).
        const kill = (): void => void child.kill();
        signal.addEventListener('abort', kill, { once: true });
        child.once('exit', () => signal.removeEventListener('abort', kill));
        return child.stdout;
      },
      (stdout) => {
        // Probe requests carry the capture's own time; the gateway stamps them on its clock instead.
        stdout.pipe(new WifiProbeParser()).on('data', (s: WifiSighting) => sources.radio.sighting('wifi', s.address, s.rssi));
      },
      signal,
    );
  }
  if (names.length === 0) {
    log.warn('no sources configured: the gateway will report nothing until door board, IBIS or camera are set in the config');
  }
  return {
    names,
    stop: async () => {
      await ble?.stop().catch(() => undefined);
      doorBoard?.close();
      sources.close();
    },
  };
}
