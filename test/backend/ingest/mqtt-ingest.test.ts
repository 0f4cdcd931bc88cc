import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import sinon from 'sinon';
import { VirtualClock } from '../../../common/clock.js';
import { MqttIngest } from '../../../backend/ingest/mqtt-ingest.js';
import { UplinkProcessor } from '../../../backend/ingest/uplink-processor.js';
import { encodeStopBatch, type StopReport } from '../../../proto/frames.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const DEV = '70b3d57ed001029d';
const OTHER = '70b3d57ed00102a0';
const APP = 'b1f4c2d0-0000-4000-8000-00000000a001';
const UP = `application/${APP}/device/${DEV}/event/up`;

function goodUplink(seq: number): string {
  const report: StopReport = { seq, departure: T0 - 60_000, stop: 3, line: 5, course: 1, destination: 51, boardings: 4, alightings: 1, load: 12, flags: 0 };
  return JSON.stringify({ time: new Date(T0).toISOString(), deviceInfo: { devEui: DEV, applicationId: APP }, fCnt: seq, fPort: 2, data: Buffer.from(encodeStopBatch([report], T0)).toString('base64') });
}

function rig(isKnownDevice?: (devEui: string) => boolean) {
  const client = { publishAsync: sinon.stub().resolves(undefined) };
  const clock = new VirtualClock(T0);
  const ingest = new MqttIngest(client as unknown as MqttClient, clock, { server: 'chirpstack', ...(isKnownDevice ? { isKnownDevice } : {}) });
  const handed: number[] = [];
  const processor = new UplinkProcessor(clock, { report: (_d, r) => handed.push(r.seq) }, ingest, { ack: { minIntervalMs: 0 } });
  ingest.attach(processor);
  return { client, ingest, processor, handed };
}

/** Messages a broker could carry: wrong topics, broken JSON, wrong shapes, random payloads, real events. */
const messageArb = fc.oneof(
  fc.record({ topic: fc.string(), payload: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ topic: fc.constant(UP), payload: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ topic: fc.constantFrom(UP, `application/${APP}/device/${DEV}/event/txack`), payload: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))) }),
  fc
    .record({
      devEui: fc.oneof(fc.constant(DEV), fc.string(), fc.constant('FFFFFFFFFFFFFFFF')),
      fPort: fc.oneof(fc.integer({ min: -5, max: 300 }), fc.constant('2')),
      data: fc.oneof(fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('base64')), fc.string()),
      time: fc.oneof(fc.constant(new Date(T0).toISOString()), fc.string()),
    })
    .map((e) => ({ topic: UP, payload: Buffer.from(JSON.stringify({ time: e.time, deviceInfo: { devEui: e.devEui }, fPort: e.fPort, data: e.data })) })),
);

describe('MqttIngest', () => {
  it('survives anything on its topics: counted, logged, never fatal, and the next good uplink still gets through', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 12 }), (messages) => {
        const { ingest, handed } = rig();
        messages.forEach((m) => assert.doesNotThrow(() => ingest.onMessage(m.topic, m.payload)));
        // Another tram's uplink (the garbage may have started DEV's session or window anywhere).
        ingest.onMessage(UP.replace(DEV, OTHER), Buffer.from(goodUplink(7_000_000).replace(DEV, OTHER)));
        assert.ok(handed.includes(7_000_000), 'the good uplink after the garbage was handed on');
        const c = ingest.counters;
        assert.equal(c.processorErrors, 0);
        assert.equal(c.badTopic + c.badEvent + c.unknownDevice + c.uplinks + c.downlinkNotices + c.joins, c.messages);
      }),
      { numRuns: 500 },
    );
  });

  it('counts what is unreadable by kind', () => {
    const { ingest } = rig((dev) => dev === DEV);
    ingest.onMessage('application/x/device/y/event/status', Buffer.from('{}'));
    ingest.onMessage(UP, Buffer.from('{not json'));
    ingest.onMessage(UP, Buffer.from(JSON.stringify({ deviceInfo: {} })));
    ingest.onMessage(`application/${APP}/device/0000000000000001/event/up`, Buffer.from(goodUplink(1).replace(DEV, '0000000000000001')));
    ingest.onMessage(UP, Buffer.from(goodUplink(1)));
    assert.deepEqual(
      { badTopic: ingest.counters.badTopic, badEvent: ingest.counters.badEvent, unknownDevice: ingest.counters.unknownDevice, uplinks: ingest.counters.uplinks },
      { badTopic: 1, badEvent: 2, unknownDevice: 1, uplinks: 1 },
    );
  });

  it('sends acks to the device command topic of the application the uplink came from', () => {
    const { ingest, client } = rig();
    ingest.send(DEV, 10, Uint8Array.from([8, 1]));
    assert.equal(ingest.counters.downlinksUnroutable, 1, 'no route before any uplink');
    ingest.onMessage(UP, Buffer.from(goodUplink(1)));
    assert.equal(client.publishAsync.callCount, 1, 'the uplink was acknowledged');
    const [topic, body] = client.publishAsync.firstCall.args as [string, string];
    assert.equal(topic, `application/${APP}/device/${DEV}/command/down`);
    assert.deepEqual(JSON.parse(body), { devEui: DEV, confirmed: false, fPort: 10, data: Buffer.from([8, 1]).toString('base64') });
  });

  it('subscribes to uplinks and downlink notices, shared when asked', () => {
    const client = { publishAsync: sinon.stub() } as unknown as MqttClient;
    const clock = new VirtualClock(T0);
    assert.deepEqual(new MqttIngest(client, clock, { server: 'chirpstack', shareGroup: 'backend' }).subscriptions(), [
      '$share/backend/application/+/device/+/event/up',
      '$share/backend/application/+/device/+/event/txack',
      '$share/backend/application/+/device/+/event/join',
    ]);
    assert.deepEqual(new MqttIngest(client, clock, { server: 'tts', application: 'havag-occupancy@havag' }).subscriptions(), [
      'v3/havag-occupancy@havag/devices/+/up',
      'v3/havag-occupancy@havag/devices/+/down/sent',
      'v3/havag-occupancy@havag/devices/+/join',
    ]);
  });
});
