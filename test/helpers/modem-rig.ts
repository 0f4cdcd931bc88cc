/**
 * The two modem dialects side by side for one shared test suite: for each, its driver, its
 * emulated module and the strings a test looks for; and a rig that puts a driver on an emulated
 * module, the air and the network-server emulator, on a virtual clock, with taps that record what
 * each side wrote. Does nothing on import.
 */
import type { Duplex } from 'node:stream';
import { VirtualClock } from '../../common/clock.js';
import { createDuplexPair } from '../../common/duplex-pair.js';
import { Rng } from '../../common/random.js';
import type { DialectDriver, DialectOptions } from '../../firmware-bindings/lora/dialect-common.js';
import type { ModemDialect } from '../../firmware-bindings/lora/modem.js';
import { MODEM_DIALECTS } from '../../firmware-bindings/lora/dialects.js';
import type { SerialSettings } from '../../firmware-bindings/transport/serial-port.js';
import { Air, type Reception } from '../../simulator/lorawan/air.js';
import type { EmulatedModemOptions, EmulatedModule } from '../../simulator/lorawan/emulated-module.js';
import { EmulatedRn2483 } from '../../simulator/lorawan/emulated-rn2483.js';
import { EmulatedRui3 } from '../../simulator/lorawan/emulated-rui3.js';
import { NetworkServerEmulator } from '../../simulator/lorawan/network-server.js';
import type { NsUplink } from '../../simulator/lorawan/uplink-event.js';
import type { Clock } from '../../common/clock.js';

// Plainly test keys.
export const TEST_DEVICE = { devEui: '70b3d57ed0001234', joinEui: '70b3d57ed0000000', appKey: '000102030405060708090a0b0c0d0e0f' };

export interface DialectFixture {
  dialect: ModemDialect;
  serial: Omit<SerialSettings, 'path'>;
  driver(stream: Duplex, clock: Clock, options: DialectOptions): DialectDriver;
  emulate(stream: Duplex, clock: Clock, air: Air, rng: Rng, options: EmulatedModemOptions): EmulatedModule;
  /** The code a send inside the duty-cycle off time fails with (RUI3 only says busy). */
  dutyCycleCode: string;
  /** A line the driver writes to start a join round. */
  joinCommand: RegExp;
  /** What the module prints when a join round got no JoinAccept. */
  joinFailedLine: string;
  /** The module's reset command. */
  resetCommand: string;
}

export const DIALECTS: readonly DialectFixture[] = [
  {
    dialect: 'rui3',
    serial: MODEM_DIALECTS.rui3.serial,
    driver: MODEM_DIALECTS.rui3.create,
    emulate: (stream, clock, air, rng, options) => new EmulatedRui3(stream, clock, air, rng, options),
    dutyCycleCode: 'busy',
    joinCommand: /^AT\+JOIN=/,
    joinFailedLine: '+EVT:JOIN_FAILED_RX_TIMEOUT',
    resetCommand: 'ATZ',
  },
  {
    dialect: 'rn2483',
    serial: MODEM_DIALECTS.rn2483.serial,
    driver: MODEM_DIALECTS.rn2483.create,
    emulate: (stream, clock, air, rng, options) => new EmulatedRn2483(stream, clock, air, rng, options),
    dutyCycleCode: 'duty-cycle',
    joinCommand: /^mac join otaa$/,
    joinFailedLine: 'denied',
    resetCommand: 'sys reset',
  },
];

export interface TimedLine {
  at: number;
  line: string;
}

/** Records the lines that arrive on `stream` (as its reader sees them), with the clock's time. */
export function tapLines(stream: Duplex, clock: Clock): TimedLine[] {
  const lines: TimedLine[] = [];
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('latin1')).split('\n');
    rest = parts.pop()!;
    for (const p of parts) lines.push({ at: clock.now(), line: p.replace(/\r$/, '') });
  });
  return lines;
}

export interface RigOptions {
  coverage?: (t: number) => boolean;
  /** Deliver bytes in chunks of at most this many, to split lines everywhere. */
  maxChunk?: number;
  driver?: Partial<DialectOptions>;
}

export const RIG_START = Date.UTC(2026, 10, 23, 5, 0, 0);

/** A fresh air and network server with the test device registered, on `clock`. */
export function radioWorld(clock: Clock, rng: Rng, coverage?: (t: number) => boolean) {
  const air = new Air(clock, rng.fork('air'), { inCoverage: (_dev, t) => coverage?.(t) ?? true, uplinkLoss: 0, downlinkLoss: 0 });
  const published: NsUplink[] = [];
  const ns = new NetworkServerEmulator(clock, rng.fork('ns'), {
    applicationId: 'app-1',
    applicationName: 'havag-occupancy',
    tenantId: 'tenant-1',
    netId: '000013',
    publish: (u) => published.push(u),
  });
  const receptions: Reception[] = [];
  air.attach({
    receiveUplink: (rx) => {
      receptions.push(rx);
      return ns.receiveUplink(rx);
    },
  });
  ns.register({ ...TEST_DEVICE, name: 'tram-661' });
  return { air, ns, published, receptions };
}

export function modemRig(fixture: DialectFixture, options: RigOptions = {}) {
  const clock = new VirtualClock(RIG_START);
  const rng = new Rng(7);
  const world = radioWorld(clock, rng, options.coverage);
  const [host, device] = createDuplexPair({ maxChunk: options.maxChunk ?? 7 });
  const emulated = fixture.emulate(device, clock, world.air, rng.fork('modem'), { factoryDevEui: TEST_DEVICE.devEui });
  const driverOptions: DialectOptions = { credentials: TEST_DEVICE, joinBackoffMs: { first: 10_000, factor: 2, max: 60_000 }, ...options.driver };
  const modem = fixture.driver(host, clock, driverOptions);
  const toModule = tapLines(device, clock);
  const fromModule = tapLines(host, clock);
  return { clock, rng, ...world, host, device, emulated, modem, driverOptions, toModule, fromModule };
}

/** Advances virtual time until the task settles (or the limit passes), then returns its outcome. */
export async function runWhile<T>(clock: VirtualClock, task: Promise<T>, limitMs = 600_000): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  task.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  for (let t = 0; t < limitMs && !outcome; t += 250) await clock.advance(250);
  if (!outcome) throw new Error(`task still pending after ${limitMs} ms of virtual time`);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/**
 * A module that answers from a script, for strings the emulators never say on their own: the script
 * maps each command line to the lines to write back (undefined: stay silent).
 */
export function scriptedPeer<M>(script: (line: string) => string[] | undefined, driver: (host: Duplex, clock: VirtualClock) => M) {
  const clock = new VirtualClock(0);
  const [host, device] = createDuplexPair();
  const heard: string[] = [];
  let rest = '';
  device.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('latin1')).split('\n');
    rest = parts.pop()!;
    for (const part of parts) {
      const line = part.replace(/\r$/, '');
      heard.push(line);
      for (const reply of script(line) ?? []) device.write(`${reply}\r\n`);
    }
  });
  return { clock, modem: driver(host, clock), heard };
}
