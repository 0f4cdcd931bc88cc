import assert from 'node:assert/strict';
import { CAMERA_LIMITS, encodeCameraLine, readCameraLine } from '../../../firmware-bindings/camera/camera-protocol.js';

const T = '2026-11-23T07:01:02.120Z';
const tag = (raw: string): string => `P(${raw.length})`;
const line = (fields: Record<string, unknown>): string => JSON.stringify({ v: 1, type: 'count', t: T, zone: 1, heads: 23, conf: 0.91, ...fields });

describe('camera protocol v1', () => {
  it('reads a count line and pseudonymises its track ids before returning them', () => {
    const seen: string[] = [];
    const reading = readCameraLine(line({ tracks: ['a81f2c', 'b7730e9d'] }), (raw) => {
      seen.push(raw);
      return tag(raw);
    });
    assert.deepEqual(reading, {
      ok: true,
      line: { type: 'count', cameraTime: Date.parse(T), zone: 1, heads: 23, confidence: 0.91, tracks: ['P(6)', 'P(8)'] },
    });
    assert.deepEqual(seen, ['a81f2c', 'b7730e9d']);
  });

  it('reads a count without tracks and a status heartbeat', () => {
    assert.deepEqual(readCameraLine(line({}), tag), {
      ok: true,
      line: { type: 'count', cameraTime: Date.parse(T), zone: 1, heads: 23, confidence: 0.91 },
    });
    assert.deepEqual(readCameraLine(JSON.stringify({ v: 1, type: 'status', t: '2026-11-23T07:01:04Z', state: 'degraded', uptime: 3600 }), tag), {
      ok: true,
      line: { type: 'status', cameraTime: Date.parse('2026-11-23T07:01:04Z'), state: 'degraded', uptimeS: 3600 },
    });
  });

  it('names the reason for every bad line', () => {
    const cases: Array<[string, string]> = [
      ['{"v":1,', 'json'],
      ['hello', 'json'],
      ['[1,2]', 'schema'],
      ['null', 'schema'],
      ['42', 'schema'],
      [line({ v: 2 }), 'version'],
      [line({ v: 0 }), 'version'],
      [line({ v: '1' }), 'schema'],
      [line({ type: 'hello' }), 'schema'],
      [line({ heads: 'many' }), 'schema'],
      [line({ heads: 2.5 }), 'schema'],
      [line({ t: '23.11.2026 07:01' }), 'schema'],
      [line({ t: '2026-13-45T07:01:02Z' }), 'schema'],
      [line({ tracks: 'a81f' }), 'schema'],
      [line({ tracks: ['with space'] }), 'schema'],
      [line({ zone: undefined }), 'schema'],
      [line({ heads: -1 }), 'range'],
      [line({ heads: CAMERA_LIMITS.maxHeads + 1 }), 'range'],
      [line({ heads: Infinity }), 'schema'], // JSON writes it as null
      [line({ zone: 0 }), 'range'],
      [line({ zone: CAMERA_LIMITS.maxZone + 1 }), 'range'],
      [line({ conf: 1.01 }), 'range'],
      [line({ tracks: [] , conf: -0.1 }), 'range'],
      [line({ tracks: ['x'.repeat(CAMERA_LIMITS.maxTrackIdLength + 1)] }), 'range'],
      [line({ tracks: Array.from({ length: CAMERA_LIMITS.maxTracks + 1 }, (_, i) => `t${i}`) }), 'range'],
      [JSON.stringify({ v: 1, type: 'status', t: T, state: 'asleep', uptime: 1 }), 'schema'],
    ];
    for (const [text, reason] of cases) assert.deepEqual(readCameraLine(text, tag), { ok: false, reason }, text.slice(0, 80));
  });

  it('never hands raw track ids on when the line is bad', () => {
    let called = 0;
    readCameraLine(line({ heads: -1, tracks: ['a81f2c'] }), () => String(++called));
    assert.equal(called, 0);
  });

  it('writes lines it reads back, with a newline and the time of the clock', () => {
    const at = Date.parse(T);
    const text = encodeCameraLine({ type: 'count', at, zone: 2, heads: 7, confidence: 0.8, trackIds: ['a', 'b'] });
    assert.equal(text, '{"v":1,"type":"count","t":"2026-11-23T07:01:02.120Z","zone":2,"heads":7,"conf":0.8,"tracks":["a","b"]}\n');
    assert.equal(readCameraLine(text.trimEnd(), tag).ok, true);
    const status = encodeCameraLine({ type: 'status', at, state: 'ok', uptimeS: 12 });
    assert.equal(status, '{"v":1,"type":"status","t":"2026-11-23T07:01:02.120Z","state":"ok","uptime":12}\n');
  });
});
