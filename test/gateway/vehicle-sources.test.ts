/**
 * The vehicle's sources as `occupancy gateway` opens them: IBIS and camera on real pseudo-terminals
 * through the serialport package (IBIS at 1200 baud 7E2), WiFi probes from a capture command's
 * output, every identifier through the one pseudonymiser; a camera cable pulled and plugged back in
 * is reported as a fault and read again without a restart.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '../../common/clock.js';
import { IBIS_SERIAL } from '../../firmware-bindings/ibis/ibis-framing.js';
import { CAMERA_SERIAL } from '../../firmware-bindings/camera/camera-protocol.js';
import { openSerialPort } from '../../firmware-bindings/transport/serial-port.js';
import { GatewayConfigSchema } from '../../gateway/config.js';
import { startVehicleSources } from '../../gateway/run-vehicle.js';
import type { SourceEvent } from '../../contracts/source-events.js';
import { CameraUnitEmulator } from '../../simulator/devices/camera-unit.js';
import { IbisBusEmulator } from '../../simulator/devices/ibis-bus.js';
import { FirmataBoardEmulator } from '../../simulator/devices/firmata-board.js';
import { socatAvailable, socatLink as socatAt } from '../helpers/pty.js';
import { formatChecks, selfTestSources } from '../../gateway/self-test.js';

async function until(what: string, check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const config = (dir: string, wifiScript: string) =>
  GatewayConfigSchema.parse({
    vehicle: { id: '661', type: 'MGT-K1', capacity: 139, seats: 52, levels: { medium: 56, high: 104 } },
    timeZone: 'Europe/Berlin',
    lorawan: { devEui: '70b3d57ed0010295', joinEui: '70b3d57ed0000000' },
    modem: { dialect: 'rui3', port: '/dev/null' },
    uplink: { outboxPath: join(dir, 'outbox.db') },
    sources: {
      ibis: { port: join(dir, 'ibis-gw'), silenceSeconds: 30 },
      camera: { port: join(dir, 'cam-gw'), offlineSeconds: 30 },
      radio: { wifiCommand: [process.execPath, '-e', wifiScript] },
      doorBoard: {
        port: join(dir, 'door-gw'),
        mapping: { doors: [{ door: 1, contact: 2, outer: 3, inner: 4 }] },
        timing: { contactDebounceMs: 0, beamDebounceMs: 0 },
      },
    },
  });

describe('vehicle sources on real serial lines', function () {
  this.timeout(30_000);
  let dir: string;
  const children: ChildProcess[] = [];
  before(function () {
    if (!socatAvailable()) {
      if (process.env['REQUIRE_SOCAT'] === '1') throw new Error('socat is required (REQUIRE_SOCAT=1) but not installed');
      this.skip();
    }
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sources-'));
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads doors, trip, camera and WiFi (identifiers through the pseudonymiser) and comes back after the camera cable is pulled', async () => {
    let parsed: ReturnType<typeof config>;
    try {
      parsed = config(dir, "for (const a of ['da:a1:19:00:11:22','da:a1:19:00:11:22','not a line']) console.log(`${Date.now() / 1000}\\t${a}\\t-60`)");
    } catch (error) {
      throw new Error(`test config invalid: ${(error as Error).message}`);
    }
    const s = parsed.sources;
    children.push(await socatAt(s.ibis!.port, join(dir, 'ibis-dev')));
    children.push(await socatAt(s.doorBoard!.port, join(dir, 'door-dev')));
    // The door board: StandardFirmata emulated on the far end of its serial line, door 1 closed.
    const boardPort = await openSerialPort({ path: join(dir, 'door-dev'), baudRate: 57_600 });
    const board = new FirmataBoardEmulator(new SystemClock());
    board.setPin(2, true);
    board.attach(boardPort);
    let cameraLink = await socatAt(s.camera!.port, join(dir, 'cam-dev'));
    const clock = new SystemClock();
    const events: SourceEvent[] = [];
    const abort = new AbortController();
    const sources = startVehicleSources(parsed, clock, { handle: (e) => events.push(e) }, abort.signal);
    assert.deepEqual(sources.names, ['ibis', 'camera', 'door-board', 'wifi']);

    const ibisPort = await openSerialPort({ path: join(dir, 'ibis-dev'), ...IBIS_SERIAL });
    const bus = new IbisBusEmulator(ibisPort, clock, { driverNumber: 4711_0815, repeatMs: 500 });
    bus.setTrip({ line: 5, course: 12, destination: 51, destinationName: 'Ammendorf' });
    bus.setStop(7, 'Rennbahnkreuz');
    let camPort = await openSerialPort({ path: join(dir, 'cam-dev'), ...CAMERA_SERIAL });
    let camera = new CameraUnitEmulator(camPort, clock, { heartbeatMs: 200 });
    await until('trip and camera events', () => events.some((e) => e.type === 'trip' && e.stop === 7) && events.some((e) => e.type === 'trip' && e.line === 5));
    camera.report(1, 2, 0.9, ['track-0001-raw', 'track-0002-raw']);
    await until('a camera count', () => events.some((e) => e.type === 'camera'));
    await until('a WiFi sighting', () => events.some((e) => e.type === 'radio'));

    // Someone boards through door 1: contact opens, outer beam, inner beam, both clear.
    board.setPin(2, false);
    await until('door 1 open', () => events.some((e) => e.type === 'door' && e.open), 15_000);
    for (const [pin, high] of [[3, true], [4, true], [3, false], [4, false]] as const) board.setPin(pin, high);
    await until('a passage from the beams', () => events.some((e) => e.type === 'passage' && e.direction === 'in'));

    const cam = events.find((e) => e.type === 'camera')!;
    assert.ok(cam.type === 'camera' && cam.heads === 2 && cam.tracks!.length === 2);
    assert.ok(!cam.tracks!.some((t) => t.includes('track-')), 'track ids pseudonymised');
    const radio = events.filter((e) => e.type === 'radio');
    assert.equal(radio.length, 1, 'the repeat within 10 s is dropped, the bad line skipped');
    assert.ok(radio[0]!.type === 'radio' && !radio[0]!.pseudonym.includes('da:a1'));
    assert.ok(!JSON.stringify(events).includes('47110815'), 'no staff number');

    // The camera cable is pulled: the port goes away, the binding reports it, the supervisor retries.
    camera.close();
    camPort.destroy();
    cameraLink.kill();
    await until('a camera fault', () => events.some((e) => e.type === 'fault' && e.sensor === 'camera' && e.active));
    // ... and plugged back in: the same port path comes back and counts are read again.
    cameraLink = await socatAt(s.camera!.port, join(dir, 'cam-dev'));
    children.push(cameraLink);
    camPort = await openSerialPort({ path: join(dir, 'cam-dev'), ...CAMERA_SERIAL });
    camera = new CameraUnitEmulator(camPort, clock, { heartbeatMs: 200 });
    const before = events.filter((e) => e.type === 'camera').length;
    await until('counts after the reconnect', () => {
      camera.report(1, 5, 0.8);
      return events.filter((e) => e.type === 'camera').length > before;
    }, 10_000);
    assert.ok(events.some((e) => e.type === 'camera' && e.heads === 5));

    abort.abort();
    await sources.stop();
    camera.close();
    bus.close();
    camPort.destroy();
    ibisPort.destroy();
    board.close();
    boardPort.destroy();
  });

  it('self-test: says what each source heard, and what to fix for the one that is missing', async () => {
    const base = config(dir, "console.log(`${Date.now() / 1000}\\tda:a1:19:00:11:22\\t-60`)");
    // The camera is configured but not plugged in: its port does not exist.
    const parsed = { ...base, sources: { ...base.sources, camera: { ...base.sources.camera!, port: join(dir, 'no-camera-here') } } };
    children.push(await socatAt(parsed.sources.ibis!.port, join(dir, 'ibis-dev')));
    children.push(await socatAt(parsed.sources.doorBoard!.port, join(dir, 'door-dev')));
    const clock = new SystemClock();
    const ibisPort = await openSerialPort({ path: join(dir, 'ibis-dev'), ...IBIS_SERIAL });
    const bus = new IbisBusEmulator(ibisPort, clock, { driverNumber: 4711_0815, repeatMs: 500 });
    bus.setTrip({ line: 9, course: 3, destination: 91, destinationName: 'Göttinger Bogen' });
    bus.setStop(4, 'Marktplatz');
    const boardPort = await openSerialPort({ path: join(dir, 'door-dev'), baudRate: 57_600 });
    const board = new FirmataBoardEmulator(clock);
    board.setPin(2, true);
    board.attach(boardPort);
    const progress: string[] = [];
    const results = await selfTestSources(parsed, clock, 4000, (t) => progress.push(t));
    bus.close();
    board.close();
    ibisPort.destroy();
    boardPort.destroy();

    const by = new Map(results.map((r) => [r.name, r]));
    assert.deepEqual([...by.keys()], ['door board', 'vehicle bus (IBIS)', 'camera counter', 'radio scanner']);
    assert.equal(by.get('door board')!.ok, true, by.get('door board')!.detail);
    assert.equal(by.get('vehicle bus (IBIS)')!.ok, true);
    assert.match(by.get('vehicle bus (IBIS)')!.detail, /line 9, course 3, destination 91, stop 4/);
    assert.equal(by.get('camera counter')!.ok, false);
    assert.match(by.get('camera counter')!.action!, /cable/);
    assert.match(by.get('radio scanner')!.detail, /^1 devices heard/);
    assert.ok(progress.length >= 4, 'progress while listening');
    const printed = formatChecks(results);
    assert.match(printed, /\[FAIL\] camera counter/);
    assert.ok(!printed.includes('47110815') && !printed.includes('da:a1'), 'nothing personal printed');
  });
});

