import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gatewaySettingsFrom, SOFTWARE_VERSION } from '../../gateway/build-gateway.js';
import { parseGatewayConfig } from '../../gateway/config.js';
import { DEFAULT_SCHEDULER_OPTIONS } from '../../gateway/uplink/uplink-scheduler.js';

const MINIMAL = {
  vehicle: { id: '661', type: 'MGT-K1', seats: 52, capacity: 139, levels: { medium: 56, high: 104 } },
  modem: { dialect: 'rui3', port: '/dev/ttyAMA0' },
  lorawan: { devEui: '70b3d57ed0010295', joinEui: '70b3d57ed0000000' },
  uplink: { outboxPath: '/var/lib/tram-occupancy/outbox.db' },
};

describe('buildGateway: one settings mapping for the vehicle and the bench', () => {
  it('gives a provisioned config without tuning exactly the scheduler defaults', () => {
    const s = gatewaySettingsFrom(parseGatewayConfig(MINIMAL));
    assert.deepEqual(s.scheduler, DEFAULT_SCHEDULER_OPTIONS);
    assert.equal(s.departureGraceMs, 15_000);
    assert.equal(s.serviceHours, 19);
    assert.equal(s.dailyAirtimeMs, 30_000);
    assert.equal(s.softwareVersion, SOFTWARE_VERSION);
    // The budget's day starts at local midnight of the configured zone (CET in November).
    assert.equal(s.dayOf(Date.UTC(2026, 10, 23, 12, 0)), Date.UTC(2026, 10, 22, 23, 0));
  });

  it('carries every tuned setting through', () => {
    const s = gatewaySettingsFrom(
      parseGatewayConfig({
        ...MINIMAL,
        timeZone: 'Europe/Lisbon',
        uplink: { ...MINIMAL.uplink, maxBatch: 12, healthIntervalMin: 30, maxBatchDelayMinutes: 5, liveEnabled: false, serviceHours: 20 },
        counting: { departureGraceSeconds: 20 },
      }),
    );
    assert.equal(s.scheduler.maxBatch, 12);
    assert.equal(s.scheduler.healthIntervalMs, 30 * 60_000);
    assert.equal(s.scheduler.maxBatchDelayMs, 5 * 60_000);
    assert.equal(s.liveEnabled, false);
    assert.equal(s.serviceHours, 20);
    assert.equal(s.departureGraceMs, 20_000);
    assert.equal(s.dayOf(Date.UTC(2026, 10, 23, 12, 0)), Date.UTC(2026, 10, 23, 0, 0));
  });

  it('reports the version of this package in health frames', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
    assert.equal(SOFTWARE_VERSION, major * 10_000 + minor * 100 + patch);
  });
});
