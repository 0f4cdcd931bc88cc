import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import fc from 'fast-check';
import { VirtualClock } from '../../../common/clock.js';
import { createDuplexPair } from '../../../common/duplex-pair.js';
import {
  CAMERA_GONE_REASON,
  CAMERA_OFFLINE_REASON,
  CAMERA_REPORTED_REASON,
  CameraCounter,
} from '../../../firmware-bindings/camera/camera-counter.js';
import { CAMERA_LIMITS, encodeCameraLine } from '../../../firmware-bindings/camera/camera-protocol.js';
import type { CameraCountEvent, SensorFaultEvent, SourceEvent } from '../../../contracts/source-events.js';
import { Pseudonymiser } from '../../../gateway/privacy/pseudonymiser.js';
import { CameraUnitEmulator } from '../../../simulator/devices/camera-unit.js';

const T0 = Date.parse('2026-11-23T06:00:00Z');

interface Rig {
  clock: VirtualClock;
  events: SourceEvent[];
  camera: CameraUnitEmulator;
  counter: CameraCounter;
  pseudonymiser: Pseudonymiser;
  cameraEnd: Duplex;
}

function rig(maxChunk?: number, offlineMs = 10_000): Rig {
  const clock = new VirtualClock(T0);
  const events: SourceEvent[] = [];
  const [a, b] = createDuplexPair(maxChunk ? { maxChunk } : {});
  const pseudonymiser = new Pseudonymiser(clock);
  const camera = new CameraUnitEmulator(a, clock);
  const counter = new CameraCounter(b, clock, { handle: (e) => events.push(e) }, (k, raw) => pseudonymiser.pseudonymise(k, raw), { offlineMs });
  return { clock, events, camera, counter, pseudonymiser, cameraEnd: a };
}

function close(r: Rig): void {
  r.camera.close();
  r.counter.close();
  r.pseudonymiser.close();
}

const counts = (events: SourceEvent[]): CameraCountEvent[] => events.filter((e): e is CameraCountEvent => e.type === 'camera');
const faults = (events: SourceEvent[]): SensorFaultEvent[] => events.filter((e): e is SensorFaultEvent => e.type === 'fault');
const dropped = (c: CameraCounter): number => Object.values(c.counters.dropped).reduce((s, n) => s + n, 0);

describe('CameraCounter', () => {
  let r: Rig;
  afterEach(() => close(r));

  it('emits head counts stamped on the clock, with pseudonymised tracks, one byte at a time', async () => {
    r = rig(1);
    r.camera.report(1, 23, 0.91, ['a81f2c4e', 'b7730e9d']);
    r.camera.report(2, 0, 0.97);
    await r.clock.settle(20);
    const got = counts(r.events);
    assert.equal(got.length, 2);
    assert.deepEqual({ ...got[0]!, tracks: undefined }, { type: 'camera', at: T0, zone: 1, heads: 23, confidence: 0.91, tracks: undefined });
    assert.deepEqual(got[0]!.tracks, [r.pseudonymiser.pseudonymise('camera-track', 'a81f2c4e'), r.pseudonymiser.pseudonymise('camera-track', 'b7730e9d')]);
    assert.deepEqual(got[1], { type: 'camera', at: T0, zone: 2, heads: 0, confidence: 0.97 });
    assert.ok(!JSON.stringify(r.events).includes('a81f2c4e'));
  });

  it('reads the same at every random split of the stream', async () => {
    const lines = [
      encodeCameraLine({ type: 'count', at: T0, zone: 1, heads: 5, confidence: 0.9, trackIds: ['t-1', 't-2'] }),
      encodeCameraLine({ type: 'status', at: T0, state: 'ok', uptimeS: 3 }),
      encodeCameraLine({ type: 'count', at: T0, zone: 3, heads: 41, confidence: 0.62 }).replace('\n', '\r\n'),
    ];
    const bytes = Buffer.from(lines.join(''));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 30 }), async (cuts) => {
        r = rig();
        const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        for (let i = 1; i < points.length; i++) r.camera.sendRaw(bytes.subarray(points[i - 1]!, points[i]!));
        await r.clock.settle(10);
        assert.deepEqual(counts(r.events).map((e) => [e.zone, e.heads, e.tracks?.length ?? 0]), [
          [1, 5, 2],
          [3, 41, 0],
        ]);
        assert.equal(r.counter.counters.statuses, 1);
        assert.equal(dropped(r.counter), 0);
        close(r);
      }),
      { numRuns: 100 },
    );
    r = rig();
  });

  it('counts every kind of bad line and goes on reading', async () => {
    r = rig();
    const good = encodeCameraLine({ type: 'count', at: T0, zone: 1, heads: 9, confidence: 0.9 });
    r.camera.sendRaw('not json at all\n');
    r.camera.sendRaw('{"v":1,"type":"count"}\n');
    r.camera.sendRaw(good.replace('"heads":9', '"heads":-3'));
    r.camera.sendRaw(good.replace('"v":1', '"v":7'));
    r.camera.sendRaw(`{"v":1,"pad":"${'x'.repeat(CAMERA_LIMITS.maxLineBytes)}"}\n`);
    r.camera.sendRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
    r.camera.sendRaw('\n\r\n');
    r.camera.sendRaw(good);
    await r.clock.settle(10);
    assert.deepEqual(r.counter.counters.dropped, { overlong: 1, encoding: 1, json: 1, version: 1, schema: 1, range: 1 });
    assert.deepEqual(counts(r.events).map((e) => e.heads), [9]);
  });

  it('survives random lines and bytes mixed with good lines: no crash, a counted error, the next good line read', async () => {
    const junkLine = fc
      .oneof(
        fc.string({ maxLength: 200 }).map((t) => Buffer.from(t)),
        fc.json({ maxDepth: 3 }).map((t) => Buffer.from(t)),
        fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
      )
      // Junk gets its own line, so the good line after it stands alone.
      .map((b) => Buffer.concat([b.map((x) => (x === 0x0a ? 0x20 : x)), Buffer.from('\n')]));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(junkLine, fc.integer({ min: 0, max: CAMERA_LIMITS.maxHeads })), { minLength: 1, maxLength: 6 }), async (pieces) => {
        r = rig();
        for (const [junk, heads] of pieces) {
          r.camera.sendRaw(junk);
          r.camera.report(1, heads, 0.5);
        }
        await r.clock.settle(10);
        const got = counts(r.events).map((e) => e.heads);
        const expected = pieces.map(([, heads]) => heads);
        assert.deepEqual(got.slice(-1), expected.slice(-1));
        // Every junk line is accounted for: a counted drop, or (by chance) a valid status or count.
        const blank = (b: Buffer): boolean => b.length === 1 || (b.length === 2 && b[0] === 0x0d);
        const junkLines = pieces.filter(([j]) => !blank(j)).length;
        assert.equal(dropped(r.counter) + r.counter.counters.statuses + got.length - expected.length, junkLines);
        close(r);
      }),
      { numRuns: 300 },
    );
    r = rig();
  });

  it('reports the camera offline when no good line comes for offlineMs, and back on the next good line', async () => {
    r = rig();
    await r.clock.advance(30_000);
    assert.deepEqual(faults(r.events), []);
    r.camera.goOffline();
    const offAt = r.clock.now();
    await r.clock.advance(60_000);
    // The last heartbeat before going offline came at offAt (heartbeats every 2 s from T0).
    assert.deepEqual(faults(r.events), [{ type: 'fault', at: offAt + 10_000, sensor: 'camera', active: true, reason: CAMERA_OFFLINE_REASON }]);
    // Garbage is not a sign of life.
    r.camera.sendRaw('garbage\n');
    await r.clock.settle();
    assert.equal(faults(r.events).length, 1);
    r.camera.goOnline();
    r.camera.report(1, 3, 0.9);
    await r.clock.settle();
    assert.deepEqual(faults(r.events)[1], { type: 'fault', at: r.clock.now(), sensor: 'camera', active: false, reason: CAMERA_OFFLINE_REASON });
    assert.equal(counts(r.events).length, 1);
  });

  it('reports a fault the camera states itself, until it says it is well again', async () => {
    r = rig();
    r.camera.setState('fault');
    await r.clock.advance(2000);
    r.camera.report(1, 3, 0.2);
    await r.clock.advance(2000);
    r.camera.setState('degraded');
    await r.clock.advance(2000);
    assert.deepEqual(
      faults(r.events).map((f) => [f.at - T0, f.active, f.reason]),
      [
        [2000, true, CAMERA_REPORTED_REASON],
        [6000, false, CAMERA_REPORTED_REASON],
      ],
    );
    assert.equal(counts(r.events).length, 1);
  });

  it('reports a fault when the stream ends', async () => {
    r = rig();
    r.cameraEnd.end();
    await r.clock.settle();
    assert.deepEqual(faults(r.events), [{ type: 'fault', at: T0, sensor: 'camera', active: true, reason: CAMERA_GONE_REASON }]);
    await r.clock.advance(60_000);
    assert.equal(faults(r.events).length, 1);
  });
});
