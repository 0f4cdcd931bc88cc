/**
 * Starts the gateway on a vehicle from its validated config: opens the modem's serial port, the
 * outbox file, the estimator and the configured sources, and runs until told to stop (SIGTERM from
 * systemd). Reconnection of ports is the bindings' business (the modem's: vehicle-modem.ts); this
 * only wires and supervises.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Clock, TimerHandle } from '../common/clock.js';
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
import { estimatorFor } from './estimation/onnx-estimator.js';
import { OnnxLoadModel } from './estimation/onnx-model.js';
import type { EventSink } from '../contracts/source-events.js';
import { superviseStream, VehicleSources } from './sources/vehicle-sources.js';
import { Outbox } from './uplink/outbox.js';
import { vehicleModem } from './vehicle-modem.js';
import type { ModemSupervisor } from '../firmware-bindings/lora/modem-supervisor.js';
import type { Gateway } from './gateway.js';
import { systemdNotifier, type ServiceNotifier } from './service-notify.js';
import { activeAllocator } from './node-runtime.js';

const log = moduleLogger('gateway.run');

/** How long a frame already on air may take to finish when the service stops, before the modem is closed under it. */
const IN_FLIGHT_GRACE_MS = 1500;
/** A stop that takes longer than this is cut short (systemd's TimeoutStopSec is longer). */
export const STOP_DEADLINE_MS = 4000;

export interface VehicleRunOptions {
  /** systemd's sd_notify (READY, WATCHDOG, STOPPING); by default from the environment. */
  notifier?: ServiceNotifier;
  /** Past this, a stop closes the outbox and exits the process with code 1. */
  stopDeadlineMs?: number;
}

/**
 * Runs the gateway until `signal` aborts, then stops it, whatever it was doing: loading the model,
 * opening the modem (a silent module), joining, recovering a hung module, sending. Closing the
 * modem is what cancels a command, a join round or a reset still waiting on the module, so the
 * stop closes it after a short grace for a frame on air. A start that fails closes what it opened
 * and throws (exit code 1: systemd restarts the service); a start cut short by the signal is a stop.
 */
export async function runVehicleGateway(config: GatewayConfig, secrets: GatewaySecrets, signal: AbortSignal, options: VehicleRunOptions = {}): Promise<void> {
  configureLogging({ level: config.log.level });
  const clock = new SystemClock();
  const notifier = options.notifier ?? systemdNotifier();
  let model: OnnxLoadModel | undefined;
  let outbox: Outbox | undefined;
  let modem: ModemSupervisor | undefined;
  let gateway: Gateway | undefined;
  let sources: ReturnType<typeof startVehicleSources> | undefined;
  let watchdog: TimerHandle | undefined;
  // While starting, the signal closes the modem at once: a pending open (a silent module) fails there and then.
  const onAbort = (): void => void modem?.close();
  signal.addEventListener('abort', onAbort, { once: true });
  // The deadline runs from the signal: loading the model cannot be interrupted, and may be slow.
  let deadline: NodeJS.Timeout | undefined;
  const startDeadline = (): void => void (deadline = stopDeadline(options.stopDeadlineMs ?? STOP_DEADLINE_MS, () => outbox));
  if (signal.aborted) startDeadline();
  else signal.addEventListener('abort', startDeadline, { once: true });
  try {
    model = await vehicleModel(config);
    if (signal.aborted) return;
    outbox = new Outbox({ path: config.uplink.outboxPath, maxReports: config.uplink.outboxMaxReports });
    // The dialect (rui3 | rn2483) picks driver and serial settings; the supervisor owns the port.
    modem = vehicleModem(config, secrets, clock);
    gateway = buildGateway(config, {
      clock,
      modem,
      outbox,
      estimator: estimatorFor(model, modelVehicleFrom(config)),
      ...(secrets.levelSeed ? { levelSeed: Buffer.from(secrets.levelSeed, 'hex') } : {}),
    });
    try {
      await gateway.start();
    } catch (error) {
      if (signal.aborted) return;
      throw new Error(`the modem on ${config.modem.port} did not start (${(error as Error).message}): check its cable and power, the port and modem.dialect in the config`, { cause: error });
    }
    if (signal.aborted) return;
    // Started: from now on a stop gives a frame on air its grace before the modem is closed (below).
    signal.removeEventListener('abort', onAbort);
    sources = startVehicleSources(config, clock, gateway, signal);
    notifier.ready();
    const allocator = activeAllocator();
    log.info({ vehicle: config.vehicle.id, pending: outbox.size, sources: sources.names, watchdogMs: notifier.watchdogIntervalMs, allocator }, 'running');
    if (allocator === 'glibc' && /jemalloc/.test(process.env['LD_PRELOAD'] ?? '')) {
      log.warn({ preload: process.env['LD_PRELOAD'] }, 'jemalloc is not loaded: glibc malloc keeps about 15 MB more resident; install it (apt-get install libjemalloc2) and restart the service');
    }
    const scheduler = gateway.scheduler;
    if (notifier.watchdogIntervalMs !== undefined) {
      // Fed only while the event loop turns and the send loop runs: a blocked loop or a dead
      // scheduler stops the feeding, and systemd restarts the service.
      const interval = notifier.watchdogIntervalMs;
      const feed = (): void => {
        if (!scheduler.alive) {
          log.error('the send loop ended: no longer feeding the watchdog');
          return;
        }
        notifier.watchdog();
        watchdog = clock.setTimeout(feed, interval);
      };
      feed();
    }
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  } finally {
    signal.removeEventListener('abort', onAbort);
    signal.removeEventListener('abort', startDeadline);
    if (watchdog) clock.clearTimeout(watchdog);
    if (signal.aborted) {
      log.info('stopping');
      notifier.stopping();
    }
    await sources?.stop().catch((error: Error) => log.error({ error: error.message }, 'sources did not stop cleanly'));
    if (gateway) {
      const loop = gateway.scheduler.stop();
      let grace: TimerHandle | undefined;
      await Promise.race([loop, new Promise((resolve) => (grace = clock.setTimeout(() => resolve(undefined), IN_FLIGHT_GRACE_MS)))]);
      clock.clearTimeout(grace);
      await modem?.close();
      await loop;
    }
    await modem?.close();
    outbox?.close();
    await model?.close().catch(() => undefined);
    await notifier.flush();
    if (deadline) clearTimeout(deadline);
    log.info({ outbox: outbox ? 'closed' : 'not opened' }, 'stopped');
  }
}

/**
 * Past the deadline the stop is cut short. Still loading the model (which cannot be interrupted),
 * nothing is open yet: a clean stop, exit 0. Otherwise something hung: the outbox closes (its
 * writes are each committed) and the process exits 1.
 */
function stopDeadline(ms: number, outbox: () => Outbox | undefined): NodeJS.Timeout {
  return setTimeout(() => {
    const open = outbox();
    if (!open) {
      log.info({ afterMs: ms, while: 'loading the model', outbox: 'not opened' }, 'stopped');
      process.exit(0);
    }
    log.error({ afterMs: ms }, 'the gateway did not stop in time: closing the outbox and exiting');
    try {
      open.close();
    } finally {
      process.exit(1);
    }
  }, ms);
}

/**
 * The load model, or none (the running sum estimates) when it is switched off or refused (missing
 * file, wrong feature list): counting must go on either way, and the reports say which estimator made them.
 */
async function vehicleModel(config: GatewayConfig): Promise<OnnxLoadModel | undefined> {
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
  return model;
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
