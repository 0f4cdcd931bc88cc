import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { SystemClock } from '../../../common/clock.js';
import { connected, ingestConnectOptions, MqttIngest } from '../../../backend/ingest/mqtt-ingest.js';
import { UplinkProcessor } from '../../../backend/ingest/uplink-processor.js';
import { PostgresReportStore } from '../../../backend/store/postgres-store.js';
import { SqliteReportStore, type ReportStore } from '../../../backend/store/report-store.js';
import { encodeStopBatch, type StopReport } from '../../../proto/frames.js';
import { mosquittoOrSkip, type Broker } from '../../helpers/mqtt-broker.js';
import { postgresOrSkip } from '../../helpers/postgres.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const DEVICES = ['70b3d57ed0010291', '70b3d57ed0010292', '70b3d57ed0010293'];
const REPORTS = 40;

const rep = (seq: number): StopReport => ({ seq, departure: T0 + seq * 60_000, stop: 1 + (seq % 12), line: 5, course: 2, destination: 51, boardings: seq % 7, alightings: seq % 5, load: 20 + (seq % 30), flags: 0 });

/**
 * What a gateway with a lossy ack path sends: overlapping batches (each report in two or three
 * frames), frame counters rising. The two instances see different frames of the same device, so
 * the same report reaches both.
 */
function frames(): Array<{ devEui: string; fCnt: number; reports: StopReport[] }> {
  const out: Array<{ devEui: string; fCnt: number; reports: StopReport[] }> = [];
  for (const devEui of DEVICES) {
    let fCnt = 0;
    for (let first = 1; first <= REPORTS; first += 2) {
      const seqs = [first, first + 1, first + 2, first + 3].filter((q) => q <= REPORTS);
      out.push({ devEui, fCnt: fCnt++, reports: seqs.map(rep) });
    }
  }
  return out;
}

async function instance(url: string, name: string, store: ReportStore, handed: string[]) {
  const client = mqtt.connect(url, { ...ingestConnectOptions('chirpstack', `occupancy-backend-${name}`), reconnectPeriod: 0 });
  const clock = new SystemClock();
  const ingest = new MqttIngest(client, clock, { server: 'chirpstack', shareGroup: 'occupancy' });
  const processor = new UplinkProcessor(clock, { report: (devEui, r) => handed.push(`${devEui}/${r.seq}`) }, undefined, { store });
  ingest.attach(processor);
  await connected(client);
  await ingest.start();
  return { client, ingest, processor, store };
}

const stores: Array<{ name: string; make(ctx: Mocha.Context): Promise<{ open(): Promise<ReportStore>; cleanup(): Promise<void> }> }> = [
  {
    name: 'PostgreSQL',
    make: async (ctx) => {
      const db = await postgresOrSkip(ctx);
      return { open: () => PostgresReportStore.open({ url: db.url, schema: db.schema }), cleanup: () => db.drop() };
    },
  },
  {
    name: 'one SQLite file',
    make: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'shared-store-'));
      return { open: async () => new SqliteReportStore(join(dir, 'reports.db')), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];

for (const kind of stores) {
  describe(`two backend instances on a shared subscription (mosquitto, $share) and ${kind.name}`, function () {
    this.timeout(30_000);
    let broker: Broker | undefined;
    let ns: MqttClient | undefined;
    let backing: Awaited<ReturnType<(typeof kind)['make']>> | undefined;
    beforeEach(async function () {
      broker = await mosquittoOrSkip(this);
      backing = await kind.make(this);
      ns = await mqtt.connectAsync(broker.url, { clientId: 'network-server', protocolVersion: 4, reconnectPeriod: 0 });
    });
    afterEach(async () => {
      await ns?.endAsync();
      await broker?.close();
      await backing?.cleanup();
    });

    it('store each report exactly once and hand it on once in all, though both instances receive it', async () => {
      const handed: string[] = [];
      const a = await instance(broker!.url, 'a', await backing!.open(), handed);
      const b = await instance(broker!.url, 'b', await backing!.open(), handed);
      const all = frames();
      for (const f of all) {
        const data = Buffer.from(encodeStopBatch(f.reports, T0 + REPORTS * 60_000)).toString('base64');
        await ns!.publishAsync(`application/app-1/device/${f.devEui}/event/up`, JSON.stringify({ deviceInfo: { devEui: f.devEui }, fCnt: f.fCnt, fPort: 2, data }), { qos: 1 });
      }
      const total = () => a.ingest.counters.uplinks + b.ingest.counters.uplinks;
      for (let t = 0; t < 10_000 && total() < all.length; t += 10) await new Promise((r) => setTimeout(r, 10));
      await Promise.all([a.processor.idle(), b.processor.idle()]);
      assert.equal(total(), all.length, 'each frame to one instance');
      assert.ok(a.ingest.counters.uplinks > 0 && b.ingest.counters.uplinks > 0, `both took a share (${a.ingest.counters.uplinks} + ${b.ingest.counters.uplinks})`);
      assert.ok(a.processor.counters.duplicateReports + b.processor.counters.duplicateReports > 0, 'the same reports reached both');
      const expected = DEVICES.flatMap((d) => Array.from({ length: REPORTS }, (_, i) => `${d}/${i + 1}`)).sort();
      assert.deepEqual([...handed].sort(), expected, 'handed on once in all');
      const stored = (await a.store.since(0, 10_000)).map((r) => `${r.devEui}/${r.seq}`).sort();
      assert.deepEqual(stored, expected, 'stored once');
      for (const x of [a, b]) {
        await x.client.endAsync();
        x.processor.close();
        await x.store.close();
      }
    });
  });
}
