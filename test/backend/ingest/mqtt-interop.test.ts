import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { VirtualClock } from '../../../common/clock.js';
import { MqttIngest } from '../../../backend/ingest/mqtt-ingest.js';
import { UplinkProcessor } from '../../../backend/ingest/uplink-processor.js';
import { encodeStopBatch } from '../../../proto/frames.js';
import { mosquittoOrSkip, type Broker } from '../../helpers/mqtt-broker.js';
import { MqttRig, T0 } from '../../helpers/lorawan-mqtt-rig.js';

const MIN = 60_000;

describe('interop with mosquitto (Debian; REQUIRE_MOSQUITTO=1 in CI)', function () {
  this.timeout(60_000);
  let broker: Broker | undefined;
  let rig: MqttRig | undefined;
  beforeEach(async function () {
    broker = await mosquittoOrSkip(this);
  });
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
    await broker?.close();
  });

  it('carries the whole delivery path: every report once, acks back through the command topic', async () => {
    rig = await MqttRig.create({ brokerUrl: broker!.url, format: 'chirpstack', vehicles: 2, uplinkLoss: 0.1, downlinkLoss: 0.05, seed: 21 });
    rig.serveStops(T0, 30, 4 * MIN);
    await rig.runUntil(T0 + 16 * 60 * MIN);
    for (const v of rig.vehicles) {
      assert.deepEqual([...(rig.handedOn.get(v.devEui) ?? [])].sort((a, b) => a - b), v.generated.map((r) => r.seq));
      assert.ok(v.gateway.counters.acks > 0);
      assert.equal(v.outbox.size, 0);
    }
  });

  it('shares uplinks among backend instances with a shared subscription ($share): each to exactly one', async () => {
    const clock = new VirtualClock(T0);
    const handed: number[] = [];
    const instances = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const client = await mqtt.connectAsync(broker!.url, { clientId: `backend-${name}`, protocolVersion: 4 });
        const ingest = new MqttIngest(client, clock, { server: 'chirpstack', shareGroup: 'occupancy-backend' });
        ingest.attach(new UplinkProcessor(clock, { report: (_d, r) => handed.push(r.seq) }, undefined));
        await ingest.start();
        return { client, ingest };
      }),
    );
    const ns = await mqtt.connectAsync(broker!.url, { clientId: 'network-server', protocolVersion: 4 });
    const n = 60;
    for (let seq = 1; seq <= n; seq++) {
      const devEui = `70b3d57ed00102${(0x90 + (seq % 4)).toString(16)}`;
      const data = Buffer.from(encodeStopBatch([{ seq, departure: T0 - MIN, stop: 1, line: 5, course: 1, destination: 51, boardings: 1, alightings: 0, load: 1, flags: 0 }], T0)).toString('base64');
      await ns.publishAsync(`application/app-1/device/${devEui}/event/up`, JSON.stringify({ deviceInfo: { devEui }, fCnt: seq, fPort: 2, data }), { qos: 1 });
    }
    for (let i = 0; i < 500 && instances.reduce((s, x) => s + x.ingest.counters.uplinks, 0) < n; i++) await new Promise((r) => setTimeout(r, 5));
    const counts = instances.map((x) => x.ingest.counters.uplinks);
    assert.equal(counts[0]! + counts[1]!, n, `each uplink once in all (${counts.join(' + ')})`);
    assert.ok(counts[0]! > 0 && counts[1]! > 0, `both instances took a share (${counts.join(' + ')})`);
    assert.deepEqual([...handed].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i + 1));
    await Promise.all([ns.endAsync(), ...instances.map((x) => x.client.endAsync())]);
  });
});
