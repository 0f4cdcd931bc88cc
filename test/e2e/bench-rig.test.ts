/**
 * `occupancy rig` as a technician uses it: the rig, the real `occupancy gateway` and the real
 * `occupancy provision selftest` run as separate processes, talking over socat pseudo-terminals
 * and the rig's MQTT broker; what the gateway sends must arrive on the broker as the network
 * server publishes it, and Ctrl-C must leave no socat and no links behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { decodeUplink, FPORT } from '../../proto/frames.js';
import { modelVersionCode, onnxMetadata } from '../../contracts/model-metadata.js';
import { SHIPPED_MODEL } from '../../gateway/estimation/shipped-model.js';
import type { RigDescription } from '../../provisioning/bench-rig/bench-rig.js';
import { socatAvailable } from '../helpers/pty.js';

const BIN = fileURLToPath(new URL('../../bin/occupancy.mjs', import.meta.url));

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function run(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function until<T>(what: string, probe: () => T | undefined, ms: number, proc?: Proc): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s${proc ? `\n--- output:\n${proc.out().slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Heard {
  topic: string;
  fPort: number;
  bytes: Buffer;
  devEui: string;
}

function listen(client: MqttClient, network: 'chirpstack' | 'tts'): Heard[] {
  const heard: Heard[] = [];
  client.on('message', (topic, payload) => {
    const m = JSON.parse(payload.toString()) as Record<string, unknown>;
    if (network === 'chirpstack') {
      const up = m as { fPort: number; data: string; deviceInfo: { devEui: string } };
      heard.push({ topic, fPort: up.fPort, bytes: Buffer.from(up.data ?? '', 'base64'), devEui: up.deviceInfo.devEui });
    } else {
      const up = m as { end_device_ids: { dev_eui: string }; uplink_message: { f_port: number; frm_payload?: string } };
      heard.push({ topic, fPort: up.uplink_message.f_port, bytes: Buffer.from(up.uplink_message.frm_payload ?? '', 'base64'), devEui: up.end_device_ids.dev_eui });
    }
  });
  return heard;
}

describe('occupancy rig, with the real gateway and self-test as processes', function () {
  this.timeout(300_000);
  let dir: string;
  const procs: Proc[] = [];
  let client: MqttClient | undefined;

  beforeEach(function () {
    if (!socatAvailable()) {
      if (process.env['REQUIRE_SOCAT'] === '1') throw new Error('socat is required (REQUIRE_SOCAT=1) but not installed');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'rig-'));
  });
  afterEach(async () => {
    await client?.endAsync(true);
    client = undefined;
    // Ctrl-C first, as a technician would: the rig then stops its socat cables; a kill only if it hangs.
    for (const p of procs.splice(0).reverse()) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      p.child.kill('SIGINT');
      const gone = await Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
      if (!gone) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function startRig(args: string[]): Promise<{ rig: Proc; d: RigDescription }> {
    const rig = run(['rig', '--dir', dir, '--mqtt-port', '0', ...args]);
    procs.push(rig);
    const d = await until('rig.json', () => (existsSync(join(dir, 'rig.json')) ? (JSON.parse(readFileSync(join(dir, 'rig.json'), 'utf8')) as RigDescription) : undefined), 60_000, rig);
    await until('the rig says it is ready', () => (rig.out().includes('ready (Ctrl-C stops the rig)') ? true : undefined), 10_000, rig);
    return { rig, d };
  }

  async function stopRig(rig: Proc, d: RigDescription): Promise<void> {
    rig.child.kill('SIGINT');
    assert.equal(await rig.exited, 0, rig.out());
    assert.match(rig.out(), /stopping: \d+ stops served, [1-9]\d* joins, [1-9]\d* uplinks received/);
    for (const port of Object.values(d.ports)) assert.ok(!existsSync(port), `${port} removed`);
    assert.ok(!existsSync(join(dir, 'rig.json')), 'rig.json removed');
  }

  it('RUI3 and ChirpStack: the gateway joins, the tram\'s stops come out as live frames on the broker; then the self-test passes', async () => {
    const { rig, d } = await startRig(['--dialect', 'rui3', '--network', 'chirpstack', '--stop-every', '8']);
    assert.equal(d.dialect, 'rui3');
    for (const port of Object.values(d.ports)) assert.ok(existsSync(port), `${port} is there`);
    client = await mqtt.connectAsync(d.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0 });
    const heard = listen(client, 'chirpstack');
    await client.subscribeAsync(d.uplinkTopic, { qos: 1 });

    const gateway = run(['gateway', '--config', d.config, '--secrets', d.secrets]);
    procs.push(gateway);
    // The health frame at start, then the level after a departure: door board -> counting -> uplink.
    const live = await until('a live frame on the broker', () => heard.find((h) => h.fPort === FPORT.live), 120_000, { ...gateway, out: () => `${gateway.out()}\n--- rig:\n${rig.out()}` });
    assert.equal(live.devEui, d.devEui);
    assert.match(live.topic, new RegExp(`^application/${d.applicationId}/device/${d.devEui}/event/up$`));
    const decoded = decodeUplink(live.fPort, live.bytes, Date.now());
    assert.equal(decoded.kind, 'live');
    // The health frame of the start goes too, after the live level when a departure came first.
    await until('the health frame of the start on the broker', () => (heard.some((h) => h.fPort === FPORT.health) ? true : undefined), 60_000, gateway);
    gateway.child.kill('SIGTERM');
    assert.equal(await gateway.exited, 0, gateway.out());

    // With the gateway stopped, as on the tram: the technician's self-test against the same devices.
    const before = heard.length;
    const selftest = run(['provision', 'selftest', '-c', d.config, '-s', d.secrets, '--join', '--uplink', '--sources', '--listen', '5']);
    procs.push(selftest);
    assert.equal(await selftest.exited, 0, selftest.out());
    const out = selftest.out();
    for (const name of ['modem answers', 'OTAA join', 'test uplink', 'door board', 'vehicle bus \\(IBIS\\): line 5', 'camera counter']) assert.match(out, new RegExp(`\\[ok\\]\\s+${name}`));
    const sent = /test uplink \(health frame\): sent (\d+) bytes/.exec(out);
    assert.ok(sent && Number(sent[1]) > 0, 'the test uplink carries a health frame, not an empty payload');
    await until('the self-test\'s uplink on the broker', () => (heard.slice(before).some((h) => h.fPort === FPORT.health && h.bytes.length === Number(sent[1])) ? true : undefined), 10_000);
    await stopRig(rig, d);
  });

  it('RN2483 and The Things Stack: the self-test joins and its uplink arrives as a TTS message', async () => {
    const { rig, d } = await startRig(['--dialect', 'rn2483', '--network', 'tts', '--vehicle', '812', '--type', 'MGT-M']);
    client = await mqtt.connectAsync(d.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0 });
    const heard = listen(client, 'tts');
    await client.subscribeAsync(d.uplinkTopic, { qos: 0 });
    const selftest = run(['provision', 'selftest', '-c', d.config, '-s', d.secrets, '--join', '--uplink']);
    procs.push(selftest);
    assert.equal(await selftest.exited, 0, selftest.out());
    assert.match(selftest.out(), /\[ok\]\s+modem answers and takes its settings: rn2483/);
    const up = await until('the uplink on the broker', () => heard[0], 10_000);
    assert.equal(up.topic, `v3/${d.applicationId}/devices/tram-812/up`);
    assert.equal(up.devEui.toLowerCase(), d.devEui);
    const health = decodeUplink(up.fPort, up.bytes, Date.now());
    assert.equal(health.kind, 'health');
    // The self-test says which model this gateway will run, as its health frames will.
    const shipped = modelVersionCode(onnxMetadata(readFileSync(SHIPPED_MODEL))['model_version']);
    assert.ok(shipped !== undefined && shipped >= 10_000);
    assert.equal(health.kind === 'health' ? health.message.modelVersion : undefined, shipped);
    await stopRig(rig, d);
  });
});
