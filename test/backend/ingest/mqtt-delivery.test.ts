import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAedes, type Broker } from '../../helpers/mqtt-broker.js';
import { MqttRig, T0 } from '../../helpers/lorawan-mqtt-rig.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * Every report the gateways stored was handed on exactly once; acks came back and emptied the
 * outboxes but for a few delivered reports whose ack is still to come (acks are few: 10 a day).
 */
function assertExactlyOnce(rig: MqttRig): void {
  for (const v of rig.vehicles) {
    const handed = rig.handedOn.get(v.devEui) ?? [];
    assert.ok(v.generated.length >= 10, `vehicle ${v.devEui} made only ${v.generated.length} reports`);
    assert.deepEqual([...handed].sort((a, b) => a - b), v.generated.map((r) => r.seq), `vehicle ${v.devEui}`);
    assert.ok(v.gateway.counters.acks > 0, 'acks came back as downlinks');
    const waiting = v.outbox.due(Number.MAX_SAFE_INTEGER, 1000);
    assert.ok(waiting.length <= 10, `${waiting.length} reports still waiting for an ack`);
    for (const r of waiting) assert.ok(r.sendCount > 0 && handed.includes(r.seq), `report ${r.seq} waits but was delivered`);
  }
  for (const [dev, stats] of rig.air.allStats()) assert.ok(stats.downlinks <= 10, `${dev}: ${stats.downlinks} downlinks in a day`);
}

describe('delivery over a real MQTT broker (aedes in-process)', function () {
  this.timeout(60_000);
  let broker: Broker;
  let rig: MqttRig | undefined;
  beforeEach(async () => (broker = await startAedes()));
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
    await broker.close();
  });

  it('ChirpStack v4 events: every report once, acks through the command topic, lost uplinks resent', async () => {
    rig = await MqttRig.create({ brokerUrl: broker.url, format: 'chirpstack', vehicles: 3, uplinkLoss: 0.15, downlinkLoss: 0.1, seed: 5 });
    rig.serveStops(T0, 40, 4 * MIN);
    // Until the next morning: late acks ride on the gateway's polls, which grow sparse at night.
    await rig.runUntil(T0 + 16 * HOUR);
    assertExactlyOnce(rig);
    const ingest = rig.backend!.ingest.counters;
    assert.equal(ingest.badEvent + ingest.badTopic + ingest.processorErrors, 0);
    assert.ok(ingest.downlinkNotices > 0, 'txack events arrived');
    assert.ok(rig.vehicles.some((v) => v.gateway.scheduler.stats.reportsResent > 0), 'with 15 % loss something was resent');
  });

  it('The Things Stack v3 messages: the same, on its topics and shapes', async () => {
    rig = await MqttRig.create({ brokerUrl: broker.url, format: 'tts', vehicles: 2, uplinkLoss: 0.05, downlinkLoss: 0.05, seed: 9 });
    rig.serveStops(T0, 25, 5 * MIN);
    await rig.runUntil(T0 + 16 * HOUR);
    assertExactlyOnce(rig);
    assert.ok(rig.backend!.ingest.counters.downlinkNotices > 0, 'down/sent messages arrived');
  });

  it('a backend restart (SQLite store) hands no report on twice and loses none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backend-store-'));
    try {
      rig = await MqttRig.create({ brokerUrl: broker.url, format: 'chirpstack', vehicles: 2, uplinkLoss: 0.05, downlinkLoss: 0.05, seed: 13, storePath: join(dir, 'reports.db') });
      rig.serveStops(T0, 40, 4 * MIN);
      await rig.runUntil(T0 + 70 * MIN);
      await rig.stopBackend();
      await rig.runUntil(T0 + 100 * MIN); // uplinks in this half hour reach nobody
      await rig.startBackend();
      await rig.runUntil(T0 + 16 * HOUR);
      assertExactlyOnce(rig);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
