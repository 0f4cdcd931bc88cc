import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkChirpStackId, checkTtsApplicationId, chirpStackRequests, chirpStackScript, ttsImportFile } from '../../provisioning/fleet-registration.js';

const BIN = fileURLToPath(new URL('../../bin/occupancy.mjs', import.meta.url));
const APP = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const PROFILE = 'a1b2c3d4-0000-4000-8000-00000000beef';
const fleet = [
  { vehicleId: '661', devEui: '70b3d57ed0010295', joinEui: '70b3d57ed0000000', appKey: '000102030405060708090a0b0c0d0e0f' },
  { vehicleId: '852', devEui: '70b3d57ed0010852', joinEui: '70b3d57ed0000000', appKey: 'f0e0d0c0b0a090807060504030201000' },
];

/** The Things Stack reads an import file as a stream of JSON objects, one after the other. */
function jsonStream(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

describe('fleet registration export', () => {
  it('refuses placeholder and all-zero ids, and ids of the wrong form', () => {
    assert.throws(() => checkChirpStackId('--application-id', undefined), /required/);
    assert.throws(() => checkChirpStackId('--device-profile-id', '00000000-0000-0000-0000-000000000000'), /all-zero UUID is a placeholder/);
    assert.throws(() => checkChirpStackId('--application-id', 'havag-occupancy'), /not a ChirpStack id/);
    assert.equal(checkChirpStackId('--application-id', APP.toUpperCase()), APP);
    assert.throws(() => checkTtsApplicationId('--application-id', 'my-app'), /placeholder/);
    assert.throws(() => checkTtsApplicationId('--application-id', 'Havag_Occupancy'), /not a The Things Stack id/);
    assert.equal(checkTtsApplicationId('--application-id', 'havag-occupancy'), 'havag-occupancy');
    assert.throws(() => ttsImportFile(fleet, { applicationId: 'example-app', frequencyPlanId: 'EU_863_870_TTN' }), /placeholder/);
    assert.throws(() => chirpStackRequests(fleet, { applicationId: APP, deviceProfileId: '00000000-0000-0000-0000-000000000000' }), /placeholder/);
  });

  it('The Things Stack: one EndDevice per vehicle with ids, JoinEUI, DevEUI, root key, LoRaWAN 1.0.3 and EU_863_870_TTN', () => {
    type EndDevice = { ids: object; root_keys: { app_key: { key: string } }; lorawan_version: string; frequency_plan_id: string; supports_join: boolean };
    const devices = jsonStream(ttsImportFile(fleet, { applicationId: 'havag-occupancy', frequencyPlanId: 'EU_863_870_TTN' })) as EndDevice[];
    assert.equal(devices.length, 2);
    assert.deepEqual(devices[1]!.ids, { device_id: 'tram-852', dev_eui: '70B3D57ED0010852', join_eui: '70B3D57ED0000000', application_ids: { application_id: 'havag-occupancy' } });
    assert.equal(devices[1]!.root_keys.app_key.key, 'F0E0D0C0B0A090807060504030201000');
    assert.equal(devices[0]!.lorawan_version, 'MAC_V1_0_3');
    assert.equal(devices[0]!.frequency_plan_id, 'EU_863_870_TTN');
    assert.equal(devices[0]!.supports_join, true);
  });

  it('ChirpStack: the REST bodies, and a script that posts them with curl (against a stand-in server)', async function () {
    if (spawnSync('curl', ['--version'], { stdio: 'ignore' }).status !== 0) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'cs-'));
    const requests = chirpStackRequests(fleet, { applicationId: APP, deviceProfileId: PROFILE });
    for (const r of requests) {
      writeFileSync(join(dir, `${r.devEui}-device.json`), JSON.stringify(r.device));
      writeFileSync(join(dir, `${r.devEui}-keys.json`), JSON.stringify(r.deviceKeys));
    }
    writeFileSync(join(dir, 'register.sh'), chirpStackScript());
    // What ChirpStack's REST API does with them: creates the device, then its keys; the second device exists already.
    type Body = { device?: Record<string, unknown> & { devEui: string }; deviceKeys?: { nwkKey: string } };
    const seen: Array<{ url: string; auth: string | undefined; body: Body }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const parsed = JSON.parse(body) as Body;
        seen.push({ url: req.url!, auth: req.headers['grpc-metadata-authorization'] as string | undefined, body: parsed });
        const exists = req.url === '/api/devices' && parsed.device?.devEui === '70b3d57ed0010852';
        res.writeHead(exists ? 409 : 200, { 'content-type': 'application/json' });
        res.end(exists ? '{"code":6,"message":"Object already exists"}' : '{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const child = spawn('sh', [join(dir, 'register.sh')], { env: { ...process.env, CHIRPSTACK_URL: url, CHIRPSTACK_API_TOKEN: 'tok-123' } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const status = await new Promise<number | null>((r) => child.once('exit', r));
      assert.equal(status, 1, out);
      assert.match(out, /device 70b3d57ed0010295: registered/);
      assert.match(out, /device 70b3d57ed0010852: create failed \(HTTP 409\): .*already exists/);
      assert.deepEqual(seen.map((s) => s.url), ['/api/devices', '/api/devices/70b3d57ed0010295/keys', '/api/devices']);
      assert.ok(seen.every((s) => s.auth === 'Bearer tok-123'));
      assert.deepEqual(seen[0]!.body.device, {
        devEui: '70b3d57ed0010295', name: 'tram-661', description: 'HAVAG tram 661, occupancy gateway', applicationId: APP, deviceProfileId: PROFILE,
        joinEui: '70b3d57ed0000000', skipFcntCheck: false, isDisabled: false, tags: { vehicle: '661' },
      });
      assert.equal(seen[1]!.body.deviceKeys?.nwkKey, fleet[0]!.appKey, 'LoRaWAN 1.0.x: the AppKey goes in nwkKey');
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('occupancy provision export', function () {
    this.timeout(60_000);
    it('exports every vehicle of the inventory from its folder, mode 600; refuses without real ids', () => {
      const dir = mkdtempSync(join(tmpdir(), 'export-'));
      const env = { ...process.env, OCCUPANCY_INVENTORY: join(dir, 'fleet.db') };
      const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'provision', ...args], { encoding: 'utf8', cwd: dir, env });
      try {
        for (const [v, eui, type] of [['661', '70B3D57ED0010295', 'MGT-K1'], ['852', '70B3D57ED0010852', 'MGT-XL']]) {
          const r = run(['new', v!, '--type', type!, '--dev-eui', eui!, '--out', join(dir, 'vehicles', v!)]);
          assert.equal(r.status, 0, r.stderr);
        }
        const refused = run(['export', '--network', 'chirpstack', '--application-id', APP]);
        assert.notEqual(refused.status, 0);
        assert.match(refused.stderr, /--device-profile-id: required/);
        const ok = run(['export', '--network', 'tts', '--application-id', 'havag-occupancy', '--out', join(dir, 'reg')]);
        assert.equal(ok.status, 0, ok.stderr);
        const file = join(dir, 'reg', 'tts-end-devices.json');
        assert.equal(statSync(file).mode & 0o777, 0o600);
        const devices = jsonStream(readFileSync(file, 'utf8')) as Array<{ ids: { device_id: string }; root_keys: { app_key: { key: string } } }>;
        assert.deepEqual(devices.map((d) => d.ids.device_id), ['tram-661', 'tram-852']);
        const key661 = /appKey: ([0-9a-f]{32})/.exec(readFileSync(join(dir, 'vehicles', '661', 'secrets.yaml'), 'utf8'))![1]!;
        assert.equal(devices[0]!.root_keys.app_key.key, key661.toUpperCase(), 'the key from the vehicle\'s secrets file');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
