import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../common/errors.js';
import { loadGatewayConfig, loadGatewaySecrets, parseGatewayConfig } from '../../gateway/config.js';

export const VALID_CONFIG = {
  vehicle: { id: '661', type: 'MGT-K1', seats: 50, capacity: 118, levels: { medium: 25, high: 73 } },
  modem: { dialect: 'rui3', port: '/dev/ttyAMA0' },
  lorawan: { devEui: '70b3d57ed0010295', joinEui: '70b3d57ed0000000' },
  uplink: { outboxPath: '/var/lib/tram-occupancy/outbox.db' },
};

function rejects(raw: unknown, field: RegExp): void {
  assert.throws(() => parseGatewayConfig(raw), (e: Error) => {
    assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
    assert.match(e.field, field);
    return true;
  });
}

describe('gateway config', () => {
  it('accepts a valid config, fills defaults and freezes it', () => {
    const c = parseGatewayConfig(VALID_CONFIG);
    assert.equal(c.uplink.dailyAirtimeMs, 30_000);
    assert.equal(c.counting.departureGraceSeconds, 15);
    assert.ok(Object.isFrozen(c.vehicle));
  });

  it('names the field that is wrong', () => {
    rejects({ ...VALID_CONFIG, modem: { ...VALID_CONFIG.modem, dialect: 'sx1276' } }, /^modem\.dialect$/);
    rejects({ ...VALID_CONFIG, lorawan: { ...VALID_CONFIG.lorawan, devEui: 'xyz' } }, /^lorawan\.devEui$/);
    rejects({ ...VALID_CONFIG, vehicle: { ...VALID_CONFIG.vehicle, levels: { medium: 80, high: 20 } } }, /^vehicle\.levels$/);
    rejects({ ...VALID_CONFIG, uplinkk: {} }, /^uplinkk$/);
    rejects({ ...VALID_CONFIG, uplink: { outboxPath: '/x', dailyAirtimeMs: -5 } }, /^uplink\.dailyAirtimeMs$/);
  });

  describe('files', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cfg-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads YAML and says which file is not valid', () => {
      const path = join(dir, 'gateway.yaml');
      writeFileSync(path, 'vehicle: [unclosed');
      assert.throws(() => loadGatewayConfig(path), /not valid YAML/);
      assert.throws(() => loadGatewayConfig(join(dir, 'missing.yaml')), /ENOENT/);
    });

    it('refuses a secrets file that others may read', () => {
      const path = join(dir, 'secrets.yaml');
      writeFileSync(path, 'devEui: 70b3d57ed0010295\nappKey: 000102030405060708090a0b0c0d0e0f\n');
      chmodSync(path, 0o644);
      assert.throws(() => loadGatewaySecrets(path), /chmod 600/);
      chmodSync(path, 0o600);
      assert.equal(loadGatewaySecrets(path).appKey, '000102030405060708090a0b0c0d0e0f');
    });
  });
});
