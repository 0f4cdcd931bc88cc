/**
 * Privacy at source, end to end through the real bindings: staff numbers on the vehicle bus and raw
 * camera track ids go in (good lines, bad lines, noise, faults); every event and every log line at
 * trace level comes out; none of them may hold a raw id or its unkeyed SHA-256.
 */
import assert from 'node:assert/strict';
import { VirtualClock } from '../../../common/clock.js';
import { createDuplexPair } from '../../../common/duplex-pair.js';
import { configureLogging, currentLogLevel } from '../../../common/log.js';
import { CameraCounter } from '../../../firmware-bindings/camera/camera-counter.js';
import { CAMERA_LIMITS } from '../../../firmware-bindings/camera/camera-protocol.js';
import { frameTelegram } from '../../../firmware-bindings/ibis/ibis-framing.js';
import { encodeDriverNumberTelegram } from '../../../firmware-bindings/ibis/ibis-telegrams.js';
import { IbisTripAdapter } from '../../../firmware-bindings/ibis/ibis-trip-adapter.js';
import type { SourceEvent } from '../../../contracts/source-events.js';
import { Pseudonymiser } from '../../../gateway/privacy/pseudonymiser.js';
import { CameraUnitEmulator } from '../../../simulator/devices/camera-unit.js';
import { IbisBusEmulator } from '../../../simulator/devices/ibis-bus.js';
import { findLeak } from '../../helpers/leak-check.js';

const T0 = Date.parse('2026-11-23T06:00:00Z');
const DRIVER = 90817263;
const TRACKS = ['cam7f3a9c21e0', 'cam0b44d7aa91', 'trk-5e8a-77c1-d2f0'];

describe('privacy at source (vehicle bus and camera)', () => {
  let logLines: string[];
  let levelBefore: ReturnType<typeof currentLogLevel>;
  beforeEach(() => {
    logLines = [];
    levelBefore = currentLogLevel();
    configureLogging({ destination: { write: (line: string) => logLines.push(line) }, level: 'trace' });
  });
  afterEach(() => {
    configureLogging({ destination: { write: (line: string) => process.stderr.write(line) }, level: levelBefore });
  });

  it('drops driver numbers unread: not in events, not in logs, not hashed', async () => {
    const clock = new VirtualClock(T0);
    const events: SourceEvent[] = [];
    const [a, b] = createDuplexPair({ maxChunk: 3 });
    const bus = new IbisBusEmulator(a, clock, { driverNumber: DRIVER });
    const adapter = new IbisTripAdapter(b, clock, { handle: (e) => events.push(e) }, { silenceMs: 20_000 });
    bus.setTrip({ line: 5, course: 12, destination: 51, destinationName: 'Kröllwitz' });
    bus.setStop(1, 'Kröllwitz');
    const driver = encodeDriverNumberTelegram(DRIVER);
    // The driver number after noise, with a broken checksum, and in a run too long for a telegram.
    bus.sendRaw(Buffer.concat([Buffer.from('#noise'), frameTelegram(driver)]));
    const broken = frameTelegram(driver);
    broken[broken.length - 1]! ^= 0x55;
    bus.sendRaw(broken);
    bus.sendRaw(Buffer.from(`${driver}`.repeat(60)));
    bus.sendRaw(frameTelegram('l005'));
    await clock.advance(30_000);
    bus.setSilent(true);
    await clock.advance(30_000);
    bus.close();
    adapter.close();

    assert.ok(adapter.counters.droppedPersonal >= 8, `dropped ${adapter.counters.droppedPersonal}`);
    assert.ok(adapter.counters.dropped.badChecksum >= 1 && adapter.counters.dropped.overlong >= 1);
    assert.ok(events.some((e) => e.type === 'fault'));
    assert.ok(logLines.some((l) => l.includes('personal telegram dropped')));
    assert.ok(logLines.some((l) => l.includes('IBIS frame dropped')));
    const everything = [JSON.stringify(events), ...logLines].join('\n');
    assert.equal(findLeak(everything, String(DRIVER)), undefined);
    assert.equal(findLeak(everything, driver), undefined);
  });

  it('pseudonymises camera track ids as they are read: raw ids in no event and no log line', async () => {
    const clock = new VirtualClock(T0);
    const events: SourceEvent[] = [];
    const [a, b] = createDuplexPair({ maxChunk: 5 });
    const pseudonymiser = new Pseudonymiser(clock);
    const camera = new CameraUnitEmulator(a, clock);
    const counter = new CameraCounter(b, clock, { handle: (e) => events.push(e) }, (k, raw) => pseudonymiser.pseudonymise(k, raw), { offlineMs: 10_000 });
    camera.report(1, 3, 0.95, TRACKS);
    const t = '2026-11-23T06:00:00.000Z';
    // Bad lines that carry raw ids: out of range, wrong types, unknown version, over-long, broken JSON.
    camera.sendRaw(`{"v":1,"type":"count","t":"${t}","zone":1,"heads":-1,"conf":0.9,"tracks":${JSON.stringify(TRACKS)}}\n`);
    camera.sendRaw(`{"v":1,"type":"count","t":"${t}","zone":1,"heads":"3","conf":0.9,"tracks":${JSON.stringify(TRACKS)}}\n`);
    camera.sendRaw(`{"v":2,"type":"count","t":"${t}","zone":1,"heads":3,"conf":0.9,"tracks":${JSON.stringify(TRACKS)}}\n`);
    camera.sendRaw(`{"v":1,"tracks":${JSON.stringify(Array(Math.ceil(CAMERA_LIMITS.maxLineBytes / 10)).fill(TRACKS[0]))}}\n`);
    camera.sendRaw(`{"v":1,"tracks":["${TRACKS[1]}"\n`);
    camera.report(2, 2, 0.9, TRACKS.slice(0, 2));
    camera.goOffline();
    await clock.advance(30_000);
    pseudonymiser.rotate();
    camera.goOnline();
    camera.report(1, 3, 0.95, TRACKS);
    await clock.settle(10);
    camera.close();
    counter.close();
    pseudonymiser.close();

    const cams = events.filter((e) => e.type === 'camera');
    assert.equal(cams.length, 3);
    assert.deepEqual(counter.counters.dropped, { overlong: 1, encoding: 0, json: 1, version: 1, schema: 1, range: 1 });
    // Same epoch, same pseudonyms; after rotation, none in common.
    assert.deepEqual(cams[1]!.tracks, cams[0]!.tracks!.slice(0, 2));
    assert.ok(!cams[2]!.tracks!.some((p) => cams[0]!.tracks!.includes(p)));
    assert.ok(logLines.some((l) => l.includes('camera line dropped')));
    assert.ok(logLines.some((l) => l.includes('camera fault')));
    const everything = [JSON.stringify(events), ...logLines].join('\n');
    for (const raw of TRACKS) assert.equal(findLeak(everything, raw), undefined);
  });
});
