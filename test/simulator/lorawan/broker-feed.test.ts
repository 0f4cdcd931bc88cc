import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { SystemClock } from '../../../common/clock.js';
import { MqttIngest } from '../../../backend/ingest/mqtt-ingest.js';
import { UplinkProcessor } from '../../../backend/ingest/uplink-processor.js';
import { decodeFeed, vehiclePositionsFeed } from '../../../backend/publish/gtfs-rt.js';
import { Publishing } from '../../../backend/publish/publishing.js';
import { SqliteReportStore } from '../../../backend/store/report-store.js';
import { FleetInventory } from '../../../contracts/fleet-inventory.js';
import { brokerUrl } from '../../../simulator/lorawan/broker-feed.js';
import { staticGtfsForScenario, writeStaticGtfs } from '../../../simulator/gtfs/static-gtfs.js';
import { loadScenario } from '../../../simulator/scenario.js';
import { startAedes, type Broker } from '../../helpers/mqtt-broker.js';

const SCENARIO = 'test/fixtures/scenarios/short.yaml';

function occupancy(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/occupancy.mjs', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'error' } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('occupancy simulate --broker: a bench morning watched live by a backend on a real broker', function () {
  this.timeout(120_000);
  let broker: Broker;
  let dir: string;

  before(async () => {
    broker = await startAedes();
    dir = mkdtempSync(join(tmpdir(), 'broker-feed-'));
  });
  after(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every report the bench delivered to the live backend once, which publishes the trams by fleet number on their trips', async () => {
    const fleetFile = join(dir, 'fleet.db');
    const gtfsDir = join(dir, 'gtfs');
    // The backend, as `occupancy backend --inventory --gtfs --dashboard --replay` wires it, subscribed first.
    writeStaticGtfs(join(dir, 'gtfs-expected'), staticGtfsForScenario(loadScenario(SCENARIO)));
    const clock = new SystemClock();
    const client = await mqtt.connectAsync(broker.url);
    const store = new SqliteReportStore(join(dir, 'reports.db'));
    const ingest = new MqttIngest(client, clock, { server: 'chirpstack' });
    const fleetEntries = () => {
      const inv = new FleetInventory(fleetFile);
      const list = inv.list();
      inv.close();
      return list;
    };
    const publishing = await Publishing.start({ dashboard: 0, host: '127.0.0.1', gtfsDir: join(dir, 'gtfs-expected'), store, fleet: fleetEntries, replay: true }, clock);
    const processor = new UplinkProcessor(clock, publishing, ingest, { store });
    ingest.attach(processor);
    await ingest.start();
    try {
      const run = await occupancy(['simulate', '--scenario', SCENARIO, '--set', 'gateway.estimator=running-sum', '--broker', broker.url, '--inventory-out', fleetFile, '--gtfs-out', gtfsDir, '--json', join(dir, 'run.json'), '--quiet']);
      assert.equal(run.code, 0, run.stderr);
      const bench = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { delivery: { delivered: number; liveDelivered: number }; vehicles: number };
      // The feed waited for its publishes before it exited; give the backend time to take them in.
      for (let i = 0; i < 200 && processor.counters.reports < bench.delivery.delivered; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(processor.counters.reports, bench.delivery.delivered, 'each delivered report reached the live backend');
      assert.equal(processor.counters.malformed, 0);
      assert.ok(processor.counters.liveFrames >= bench.delivery.liveDelivered, `${processor.counters.liveFrames} live frames, the bench's backend had ${bench.delivery.liveDelivered}`);
      assert.ok(processor.counters.health > 0, 'health frames too');
      assert.ok(ingest.counters.downlinkNotices > 0, 'txack and join notices');
      // The GTFS the run wrote is the one the backend was given.
      for (const f of readdirSync(gtfsDir)) assert.equal(readFileSync(join(gtfsDir, f), 'utf8'), readFileSync(join(dir, 'gtfs-expected', f), 'utf8'), f);
      // Fleet numbers from the inventory the run wrote; trips from the GTFS; "now" is the newest event.
      const base = `http://127.0.0.1:${(publishing.servers[0]!.address() as AddressInfo).port}`;
      const health = (await (await fetch(`${base}/api/fleet.json`)).json()) as { gateways: Array<{ vehicle: string; health: unknown }> };
      assert.deepEqual(health.gateways.map((g) => g.vehicle), ['661', '662', '663']);
      assert.ok(health.gateways.every((g) => g.health !== null));
      const { matched, unmatched, unpublished } = publishing.board.counters;
      assert.ok(matched >= 0.9 * processor.counters.liveFrames, `${matched} of ${processor.counters.liveFrames} live levels matched to a trip (${unmatched} not, ${unpublished} before the inventory was read)`);
      const load = (await (await fetch(`${base}/api/history/load.json?date=2026-11-23&line=5`)).json()) as { cells: Array<{ trips: number }> };
      assert.equal(load.cells.reduce((n, c) => n + c.trips, 0), bench.delivery.delivered);
      // The feed as it stood at the last live level (after the service the replay clock moves on
      // with the health frames of the evening, and the levels go stale).
      const lastLive = Math.max(...publishing.fleetHealth.list().map((g) => g.lastLive ?? 0));
      const feed = decodeFeed(vehiclePositionsFeed(publishing.board.current(lastLive), lastLive));
      assert.ok(feed.entity.length >= 1);
      for (const e of feed.entity) {
        assert.match(e.vehicle.vehicle.label, /^66\d$/);
        assert.match(e.vehicle.trip.tripId, /^halle-5-[01]-\d{4}$/);
      }
      assert.equal(decodeFeed(new Uint8Array(await (await fetch(`${base}/gtfs-rt/vehicle-positions.pb`)).arrayBuffer())).entity.length, 0, 'stale after the service');
    } finally {
      processor.close();
      await publishing.close();
      await client.endAsync();
      store.close();
    }
  });

  it('publishes as The Things Stack v3 with network.server=tts, and a backend with --server tts takes every report', async () => {
    const client = await mqtt.connectAsync(broker.url);
    const clock = new SystemClock();
    const store = new SqliteReportStore(join(dir, 'tts.db'));
    const ingest = new MqttIngest(client, clock, { server: 'tts' });
    const processor = new UplinkProcessor(clock, { report: () => undefined }, ingest, { store });
    ingest.attach(processor);
    await ingest.start();
    try {
      const run = await occupancy(['simulate', '--scenario', SCENARIO, '--set', 'gateway.estimator=running-sum', '--set', 'network.server=tts', '--broker', broker.url, '--json', join(dir, 'tts.json'), '--quiet']);
      assert.equal(run.code, 0, run.stderr);
      const bench = JSON.parse(readFileSync(join(dir, 'tts.json'), 'utf8')) as { delivery: { delivered: number } };
      for (let i = 0; i < 200 && processor.counters.reports < bench.delivery.delivered; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(processor.counters.reports, bench.delivery.delivered);
      assert.equal(ingest.counters.badEvent + ingest.counters.badTopic, 0);
    } finally {
      processor.close();
      await client.endAsync();
      store.close();
    }
  });

  it('refuses a broker address without a scheme, or with one MQTT does not speak, saying what to write', async () => {
    assert.throws(() => brokerUrl('localhost:1883'), /unsupported scheme localhost: .*mqtt:\/\/host:port/);
    assert.throws(() => brokerUrl('http://localhost:1883'), /unsupported scheme http:/);
    assert.throws(() => brokerUrl('mqtt//x'), /not a URL/);
    assert.equal(brokerUrl('mqtt://127.0.0.1:1883'), 'mqtt://127.0.0.1:1883');
    const run = await occupancy(['simulate', '--scenario', SCENARIO, '--broker', 'localhost:1883', '--quiet']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /configuration error: --broker: unsupported scheme/);
  });
});
