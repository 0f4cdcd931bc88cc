/**
 * `occupancy gateway --check`, as a technician runs it: a good config is confirmed with the model
 * and each port's presence; a broken one is refused with the field named and a non-zero exit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/occupancy.mjs', import.meta.url));

describe('occupancy gateway --check', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'check-'));
    writeFileSync(join(dir, 'secrets.yaml'), 'devEui: 70b3d57ed0010295\nappKey: 000102030405060708090a0b0c0d0e0f\n');
    chmodSync(join(dir, 'secrets.yaml'), 0o600);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const check = (config: string) => {
    writeFileSync(join(dir, 'gateway.yaml'), config);
    return spawnSync(process.execPath, [BIN, 'gateway', '--config', join(dir, 'gateway.yaml'), '--secrets', join(dir, 'secrets.yaml'), '--check'], { encoding: 'utf8' });
  };
  const base = `vehicle: { id: "661", type: MGT-K1, seats: 52, capacity: 139, levels: { medium: 56, high: 104 } }
timeZone: Europe/Berlin
lorawan: { devEui: 70b3d57ed0010295, joinEui: 70b3d57ed0000000 }
uplink: { outboxPath: /tmp/outbox.db }
`;

  it('confirms the config and the model, and says which ports are there', () => {
    const r = check(`${base}modem: { dialect: rn2483, port: /dev/null }\nsources: { ibis: { port: /dev/no-ibis-here }, radio: { ble: true } }\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /config ok: vehicle 661 \(MGT-K1\), modem rn2483 on \/dev\/null/);
    assert.match(r.stdout, /load model ok: version \d+\.\d+\.\d+, features match/);
    assert.match(r.stdout, /modem: \/dev\/null present/);
    assert.match(r.stdout, /vehicle bus \(IBIS\): \/dev\/no-ibis-here NOT PRESENT/);
    assert.match(r.stdout, /radio scanner: BLE/);
  });

  it('refuses a broken config, naming the field, with a non-zero exit', () => {
    const r = check(`${base}modem: { dialect: rn2903, port: /dev/null }\n`);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, /modem\.dialect/);
    assert.doesNotMatch(r.stderr + r.stdout, /at .*\.ts:\d+/, 'an error for people, not a stack trace');
  });

  it('refuses the secrets file of another vehicle, and a broken one without showing the key', () => {
    const key = '98929b92c49edba9676d646d3b612456';
    const config = `${base}modem: { dialect: rn2483, port: /dev/null }\nestimation: { useModel: false }\n`;
    writeFileSync(join(dir, 'secrets.yaml'), `devEui: 70b3d57ed0010296\nappKey: ${key}\n`);
    const wrong = check(config);
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.match(wrong.stderr, /secrets\.devEui: .*belongs to DevEUI 70B3D57ED0010296, but the config is for 70B3D57ED0010295/);
    for (const broken of [`devEui: 70b3d57ed0010295\nappKey: [${key}\n`, `devEui: 70b3d57ed0010295\nappKey: *${key}\n`, `devEui: 70b3d57ed0010295\n${key}: 1\n`]) {
      writeFileSync(join(dir, 'secrets.yaml'), broken);
      const r = check(config);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /configuration error: secrets/);
      for (const form of [key, key.toUpperCase(), key.slice(0, 8), key.slice(-8)]) assert.ok(!(r.stdout + r.stderr).includes(form), `${form} in:\n${r.stderr}`);
    }
    writeFileSync(join(dir, 'secrets.yaml'), `devEui: 70B3D57ED0010295\nappKey: ${key}\n`);
    const ok = check(config);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /secrets ok: for DevEUI 70B3D57ED0010295/);
    assert.ok(!ok.stdout.includes(key));
  });
});
