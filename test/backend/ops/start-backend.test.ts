import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { SystemClock } from '../../../common/clock.js';
import { ConfigError } from '../../../common/errors.js';
import { brokerUrl, startBackend, storeLabel, type RunningBackend } from '../../../backend/ops/start-backend.js';
import { FleetInventory } from '../../../contracts/fleet-inventory.js';
import { encodeStopBatch } from '../../../proto/frames.js';
import { startAedes, type Broker } from '../../helpers/mqtt-broker.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const TRAM = '70b3d57ed001029d';
const FORGED = '0102030405060708';

function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/occupancy.mjs', 'backend', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'error' } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    });
  });
}

describe('occupancy backend: start errors', function () {
  this.timeout(60_000);

  it('checks the broker URL: a scheme is required, said in one line', () => {
    assert.throws(() => brokerUrl('localhost:1883'), (e: unknown) => e instanceof ConfigError && e.message === '--broker: "localhost:1883" has no scheme: write mqtt://localhost:1883 (or mqtts://, ws://, wss://)');
    assert.throws(() => brokerUrl('http://broker:1883'), /not an MQTT transport/);
    assert.equal(brokerUrl('mqtts://broker.example:8883').port, '8883');
    assert.equal(storeLabel('postgres://occupancy:secret@db/occupancy'), 'postgres://occupancy:***@db/occupancy');
  });

  it('exits non-zero with one line for a broker URL without scheme, and for an HTTP port in use (nothing left running)', async () => {
    const bad = await cli(['--broker', 'localhost:1883']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim(), 'configuration error: --broker: "localhost:1883" has no scheme: write mqtt://localhost:1883 (or mqtts://, ws://, wss://)');
    // The inventory flag means what it means in every command; --fleet is still read as its old name (with a warning in the log).
    const missing = await cli(['--broker', 'mqtt://127.0.0.1:9', '--fleet', '/no/such/fleet.db']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /configuration error: --inventory: \/no\/such\/fleet\.db does not exist/);

    const broker = await startAedes();
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as net.AddressInfo;
    const dir = mkdtempSync(join(tmpdir(), 'backend-cli-'));
    try {
      const busy = await cli(['--broker', broker.url, '--store', join(dir, 'r.db'), '--http', String(port)]);
      assert.equal(busy.code, 1, 'exits by itself, non-zero');
      assert.equal(busy.stderr.trim(), `error: --http: port ${port} on 127.0.0.1 is in use: choose another port or stop what listens there`);
      const tts = await cli(['--broker', broker.url, '--server', 'tts', '--share', 'g']);
      assert.equal(tts.code, 2);
      assert.match(tts.stderr.trim(), /^configuration error: --share: The Things Stack does not allow shared subscriptions/);
    } finally {
      taken.close();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('occupancy backend: allowlist, /healthz and /metrics over a real broker', function () {
  this.timeout(30_000);
  let broker: Broker | undefined;
  let backend: RunningBackend | undefined;
  let dir = '';
  beforeEach(async () => {
    broker = await startAedes();
    dir = mkdtempSync(join(tmpdir(), 'backend-ops-'));
  });
  afterEach(async () => {
    await backend?.stop();
    backend = undefined;
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('quarantines what the inventory does not list, and reports ingest, rejections and last seen', async () => {
    const inventory = new FleetInventory(join(dir, 'fleet.db'));
    inventory.record({ vehicleId: '669', type: 'MGT-K1', devEui: TRAM, joinEui: '70b3d57ed0000000', modemDialect: 'rui3', provisionedAt: '2026-11-01T10:00:00Z' });
    inventory.close();
    const handed: string[] = [];
    backend = await startBackend(
      { broker: broker!.url, server: 'chirpstack', store: join(dir, 'reports.db'), fleet: join(dir, 'fleet.db'), ops: 0, clientId: 'ops-test' },
      new SystemClock(),
      { report: (devEui, r) => handed.push(`${devEui}/${r.seq}/${r.load}`) },
    );
    const ns = await mqtt.connectAsync(broker!.url, { clientId: 'ns', protocolVersion: 4 });
    const up = (devEui: string, fCnt: number, seq: number, load: number) => {
      const data = Buffer.from(encodeStopBatch([{ seq, departure: T0, stop: 3, line: 5, course: 1, destination: 51, boardings: 4, alightings: 1, load, flags: 0 }], T0 + 60_000)).toString('base64');
      return ns.publishAsync(`application/app/device/${devEui}/event/up`, JSON.stringify({ time: new Date(T0 + 60_000).toISOString(), deviceInfo: { devEui }, fCnt, fPort: 2, data }), { qos: 1 });
    };
    await up(FORGED, 1, 1, 100); // not in the inventory
    await up(TRAM, 7, 1, 40);
    await up(TRAM, 8, 2, 999); // 999 on a 118-place tram
    await up(TRAM, 3, 3, 20); // an old frame counter
    for (let i = 0; i < 300 && backend.processor.counters.uplinks + backend.trust.quarantinedMessages < 4; i++) await new Promise((r) => setTimeout(r, 10));
    await ns.endAsync();
    assert.deepEqual(handed, [`${TRAM}/1/40`]);

    const base = `http://127.0.0.1:${backend.opsPort}`;
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual({ ...((await health.json()) as Record<string, unknown>), uptimeSeconds: 0 }, { status: 'ok', mqtt: 'connected', store: 'up', uptimeSeconds: 0, lastUplinkAt: new Date(T0 + 60_000).toISOString(), uplinks: 3 });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const line of [
      'occupancy_reports_ingested_total 1',
      'occupancy_rejected_total{reason="unknown-device"} 1',
      'occupancy_rejected_total{reason="implausible-load"} 1',
      'occupancy_rejected_total{reason="fcnt-replay"} 1',
      'occupancy_quarantined_messages_total 1',
      `occupancy_device_last_seen_timestamp_seconds{dev_eui="${TRAM}",vehicle="669"} ${Math.floor((T0 + 60_000) / 1000)}`,
      'occupancy_up 1',
    ]) {
      assert.ok(metrics.split('\n').includes(line), `metrics lack: ${line}\n${metrics}`);
    }
    assert.ok(!metrics.includes(FORGED), 'a quarantined device gets no series of its own');
    assert.equal((await fetch(`${base}/nothing`)).status, 404);

    await broker!.close();
    broker = undefined;
    for (let i = 0; i < 200 && (await fetch(`${base}/healthz`)).status === 200; i++) await new Promise((r) => setTimeout(r, 10));
    const down = await fetch(`${base}/healthz`);
    assert.equal(down.status, 503);
    assert.equal(((await down.json()) as { mqtt: string }).mqtt, 'disconnected');
  });
});
