import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VirtualClock } from '../../common/clock.js';
import { Rng } from '../../common/random.js';
import { fleetPage } from '../../backend/publish/dashboard-pages.js';
import { FleetHealth } from '../../backend/publish/fleet-health.js';
import { MODEL_VERSION_NO_MODEL, modelVersionCode, onnxMetadata } from '../../contracts/model-metadata.js';
import type { SendOptions, SendResult } from '../../firmware-bindings/lora/modem.js';
import { buildGateway, gatewaySettingsFrom, modelVehicleFrom, SOFTWARE_VERSION } from '../../gateway/build-gateway.js';
import { parseGatewayConfig } from '../../gateway/config.js';
import { estimatorFor } from '../../gateway/estimation/onnx-estimator.js';
import { OnnxLoadModel } from '../../gateway/estimation/onnx-model.js';
import { SHIPPED_MODEL } from '../../gateway/estimation/shipped-model.js';
import { Outbox } from '../../gateway/uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS } from '../../gateway/uplink/uplink-scheduler.js';
import { decodeUplink, FPORT, type Health } from '../../proto/frames.js';
import { FakeLoraModem } from '../helpers/fake-lora-modem.js';

/** The fake modem, keeping every uplink's payload. */
class RecordingModem extends FakeLoraModem {
  readonly frames: Array<{ fPort: number; payload: Uint8Array }> = [];
  override async send(fPort: number, payload: Uint8Array, options?: SendOptions): Promise<SendResult> {
    this.frames.push({ fPort, payload: Uint8Array.from(payload) });
    return super.send(fPort, payload, options);
  }
}

const T0 = Date.UTC(2026, 10, 23, 6, 0, 0);

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

  describe('the health frame says which model estimates', function () {
    this.timeout(60_000);

    /** The first health frame a gateway built by buildGateway sends after its start, decoded, with its size. */
    async function firstHealth(model: OnnxLoadModel | undefined): Promise<{ health: Health; bytes: number }> {
      const config = parseGatewayConfig({ ...MINIMAL, uplink: { ...MINIMAL.uplink, outboxPath: ':memory:' } });
      const clock = new VirtualClock(T0);
      const modem = new RecordingModem(clock, new Rng(3), { refusing: () => false, inCoverage: () => true, uplinkLoss: 0, downlinkLoss: 0, ackIntervalMs: Infinity });
      const outbox = new Outbox({ path: ':memory:' });
      const gateway = buildGateway(config, { clock, modem, outbox, estimator: estimatorFor(model, modelVehicleFrom(config)) });
      try {
        await gateway.start();
        for (let i = 0; i < 60 && !modem.frames.some((f) => f.fPort === FPORT.health); i++) await clock.advance(10_000);
        const frame = modem.frames.find((f) => f.fPort === FPORT.health);
        assert.ok(frame, 'a health frame after the start');
        const decoded = decodeUplink(frame.fPort, frame.payload, clock.now());
        assert.equal(decoded.kind, 'health');
        return { health: decoded.kind === 'health' ? decoded.message : undefined!, bytes: frame.payload.length };
      } finally {
        gateway.halt();
        outbox.close();
      }
    }

    const fleetPageOf = (health: Health) => {
      const fleet = new FleetHealth(() => '661');
      fleet.health(MINIMAL.lorawan.devEui, health, T0);
      return fleetPage(fleet.list(), T0);
    };

    it('with the shipped model: its version, read from the model file, and the fleet page shows it', async () => {
      const written = onnxMetadata(readFileSync(SHIPPED_MODEL))['model_version']!;
      const expected = modelVersionCode(written);
      assert.ok(expected !== undefined && expected >= 10_000, `the shipped model's version ${written} is major.minor.patch`);
      const model = await OnnxLoadModel.load(SHIPPED_MODEL);
      try {
        assert.equal(model.version, written);
        const { health, bytes } = await firstHealth(model);
        assert.equal(health.modelVersion, expected);
        assert.ok(bytes <= 51, `${bytes} bytes`);
        const page = fleetPageOf(health);
        const text = /^\d+\.\d+\.\d+/.exec(written)![0];
        assert.ok(page.includes(`<td>${text}</td>`), `the page shows model ${text}`);
        assert.ok(!page.includes('nicht gemeldet</td>'));
      } finally {
        await model.close();
      }
    });

    it('without a model: "no model" from the running sum, and the page says so', async () => {
      const { health } = await firstHealth(undefined);
      assert.equal(health.modelVersion, MODEL_VERSION_NO_MODEL);
      assert.ok(fleetPageOf(health).includes('<td>keines (Laufsumme)</td>'));
    });
  });
});
