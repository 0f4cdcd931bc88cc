import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { VirtualClock } from '../../../common/clock.js';
import { createDuplexPair } from '../../../common/duplex-pair.js';
import { CameraCounter } from '../../../firmware-bindings/camera/camera-counter.js';
import { CAMERA_SERIAL } from '../../../firmware-bindings/camera/camera-protocol.js';
import { openSerialPort } from '../../../firmware-bindings/transport/serial-port.js';
import type { SourceEvent } from '../../../contracts/source-events.js';
import { Pseudonymiser } from '../../../gateway/privacy/pseudonymiser.js';
import { CameraUnitEmulator } from '../../../simulator/devices/camera-unit.js';
import { ptyFixture } from '../../helpers/pty.js';

const T0 = Date.parse('2026-11-23T06:00:00Z');

function linesOf(stream: Duplex): string[] {
  const lines: string[] = [];
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  return lines;
}

describe('CameraUnitEmulator', () => {
  it('writes counts when told and a status heartbeat every heartbeatMs, nothing while offline', async () => {
    const clock = new VirtualClock(T0);
    const [a, b] = createDuplexPair();
    const lines = linesOf(b);
    const camera = new CameraUnitEmulator(a, clock, { heartbeatMs: 1000 });
    camera.report(2, 17, 0.88, ['trk-1']);
    await clock.advance(3000);
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [
      { v: 1, type: 'count', t: '2026-11-23T06:00:00.000Z', zone: 2, heads: 17, conf: 0.88, tracks: ['trk-1'] },
      { v: 1, type: 'status', t: '2026-11-23T06:00:01.000Z', state: 'ok', uptime: 1 },
      { v: 1, type: 'status', t: '2026-11-23T06:00:02.000Z', state: 'ok', uptime: 2 },
      { v: 1, type: 'status', t: '2026-11-23T06:00:03.000Z', state: 'ok', uptime: 3 },
    ]);
    camera.goOffline();
    camera.report(1, 1, 1);
    await clock.advance(10_000);
    assert.equal(lines.length, 4);
    camera.goOnline();
    await clock.advance(1000);
    assert.equal(lines.length, 5);
    assert.equal(camera.linesSent, 5);
    camera.close();
    assert.equal(clock.pendingTimers, 0);
  });

  describe('over a real pseudo-terminal', () => {
    const ptys = ptyFixture();

    it('reaches the camera binding through openSerialPort on both ends (115200 8N1)', async function () {
      const pty = await ptys.open(this);
      const gatewayPort = ptys.track(await openSerialPort({ path: pty.a, ...CAMERA_SERIAL }));
      const cameraPort = ptys.track(await openSerialPort({ path: pty.b, ...CAMERA_SERIAL }));
      const clock = new VirtualClock(T0);
      const pseudonymiser = new Pseudonymiser(clock);
      const events: SourceEvent[] = [];
      let got: () => void = () => undefined;
      const done = new Promise<void>((r) => (got = r));
      const counter = new CameraCounter(gatewayPort, clock, {
        handle: (e) => {
          events.push(e);
          if (e.type === 'camera' && e.zone === 3) got();
        },
      }, (k, raw) => pseudonymiser.pseudonymise(k, raw));
      const camera = new CameraUnitEmulator(cameraPort, clock);
      camera.report(1, 12, 0.93, ['raw-track-0001', 'raw-track-0002']);
      camera.sendRaw('{"v":1,"type":"count","heads":"x"}\n');
      camera.report(3, 40, 0.71);
      await done;
      assert.deepEqual(
        events.map((e) => (e.type === 'camera' ? [e.zone, e.heads, e.confidence, e.tracks?.length ?? 0] : e.type)),
        [
          [1, 12, 0.93, 2],
          [3, 40, 0.71, 0],
        ],
      );
      assert.equal(counter.counters.dropped.schema, 1);
      assert.ok(!JSON.stringify(events).includes('raw-track'));
      camera.close();
      counter.close();
      pseudonymiser.close();
    });
  });
});
