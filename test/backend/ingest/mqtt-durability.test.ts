import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { SystemClock } from '../../../common/clock.js';
import { ConfigError } from '../../../common/errors.js';
import { connected, ingestConnectOptions, MqttIngest } from '../../../backend/ingest/mqtt-ingest.js';
import { UplinkProcessor } from '../../../backend/ingest/uplink-processor.js';
import { SqliteReportStore } from '../../../backend/store/report-store.js';
import { encodeStopBatch } from '../../../proto/frames.js';
import { mosquittoOrSkip, type Broker } from '../../helpers/mqtt-broker.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const DEV = '70b3d57ed001029d';
const N = 60;

function uplinkEvent(seq: number): string {
  const report = { seq, departure: T0 + seq * 60_000, stop: 1 + (seq % 9), line: 5, course: 1, destination: 51, boardings: 2, alightings: 1, load: seq % 50, flags: 0 };
  const data = Buffer.from(encodeStopBatch([report], T0 + seq * 60_000 + 30_000)).toString('base64');
  return JSON.stringify({ time: new Date(T0 + seq * 60_000 + 30_000).toISOString(), deviceInfo: { devEui: DEV, applicationId: 'app-1' }, fCnt: seq, fPort: 2, data });
}

/** One backend instance as `occupancy backend` builds it: persistent session, SQLite store. */
async function startBackend(url: string, storePath: string, clean?: boolean) {
  const options = ingestConnectOptions('chirpstack', 'occupancy-backend-durability');
  // As the CLI does: ingest and processor in place before the session's queued messages arrive.
  const client = mqtt.connect(url, { ...options, ...(clean !== undefined ? { clean } : {}), reconnectPeriod: 0 });
  const store = new SqliteReportStore(storePath);
  const clock = new SystemClock();
  const ingest = new MqttIngest(client, clock, { server: 'chirpstack' });
  const processor = new UplinkProcessor(clock, { report: () => undefined }, undefined, { store });
  ingest.attach(processor);
  await connected(client);
  await ingest.start();
  return {
    ingest,
    store,
    /** As a crash would: the connection drops, nothing is said to the broker. */
    kill: async () => {
      await client.endAsync(true);
      processor.close();
      store.close();
    },
  };
}

async function until(done: () => boolean, ms = 5000): Promise<void> {
  for (let t = 0; t < ms && !done(); t += 10) await new Promise((r) => setTimeout(r, 10));
}

// On mosquitto, the broker ChirpStack ships with (aedes drops QoS 1 messages in flight to a client
// whose connection died without a word, so it cannot stand in here). REQUIRE_MOSQUITTO=1 in CI.
{
  const start = (ctx: Mocha.Context) => mosquittoOrSkip(ctx);
  describe('no uplink lost across a backend restart (ChirpStack, QoS 1, persistent session; mosquitto)', function () {
    this.timeout(30_000);
    let broker: Broker | undefined;
    let ns: MqttClient | undefined;
    let dir = '';
    beforeEach(async function () {
      broker = await start(this);
      ns = await mqtt.connectAsync(broker.url, { clientId: 'network-server', protocolVersion: 4, reconnectPeriod: 0 });
      dir = mkdtempSync(join(tmpdir(), 'backend-durability-'));
    });
    afterEach(async () => {
      await ns?.endAsync();
      await broker?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const publish = async (from: number, to: number) => {
      for (let seq = from; seq <= to; seq++) await ns!.publishAsync(`application/app-1/device/${DEV}/event/up`, uplinkEvent(seq), { qos: 1 });
    };

    it('stores every uplink once though the backend was down while a third of them were published', async () => {
      const path = join(dir, 'reports.db');
      const first = await startBackend(broker!.url, path);
      await publish(1, 20);
      await until(() => first.ingest.counters.uplinks >= 20);
      await first.kill();
      await publish(21, 40); // nobody is listening: the broker keeps them for the session
      const second = await startBackend(broker!.url, path);
      await publish(41, N);
      await until(() => second.store.since(0, 1000).length >= N);
      const seqs = second.store.since(0, 1000).map((r) => r.seq);
      assert.deepEqual(seqs, Array.from({ length: N }, (_, i) => i + 1), 'every uplink stored, once, in order');
      assert.ok(second.ingest.counters.uplinks >= 40, `the ones published while down came to the new instance (${second.ingest.counters.uplinks})`);
      await second.kill();
    });

    it('with a clean session (as before) the uplinks published while down are lost: what the persistent session prevents', async () => {
      const path = join(dir, 'reports.db');
      const first = await startBackend(broker!.url, path, true);
      await publish(1, 10);
      await until(() => first.ingest.counters.uplinks >= 10);
      await first.kill();
      await publish(11, 20);
      const second = await startBackend(broker!.url, path, true);
      await publish(21, 30);
      await until(() => second.store.since(0, 1000).length >= 20);
      const seqs = second.store.since(0, 1000).map((r) => r.seq);
      assert.deepEqual(seqs, [...Array.from({ length: 10 }, (_, i) => i + 1), ...Array.from({ length: 10 }, (_, i) => i + 21)]);
      await second.kill();
    });
  });
}

describe('The Things Stack limits', () => {
  it('subscribes at QoS 0 on a clean session, and refuses a shared subscription with a clear message', () => {
    const fake = {} as MqttClient;
    assert.equal(new MqttIngest(fake, new SystemClock(), { server: 'tts' }).qos, 0);
    assert.equal(new MqttIngest(fake, new SystemClock(), { server: 'chirpstack' }).qos, 1);
    assert.equal(ingestConnectOptions('tts', 'x').clean, true);
    assert.equal(ingestConnectOptions('chirpstack', 'x').clean, false);
    assert.throws(() => new MqttIngest(fake, new SystemClock(), { server: 'tts', shareGroup: 'g' }), (e: unknown) => e instanceof ConfigError && /does not allow shared subscriptions/.test(e.message));
  });
});
