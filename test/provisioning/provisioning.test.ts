import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../common/clock.js';
import { createDuplexPair } from '../../common/duplex-pair.js';
import { Rng } from '../../common/random.js';
import { loadGatewayConfig, loadGatewaySecrets } from '../../gateway/config.js';
import { Rui3Modem } from '../../firmware-bindings/lora/rui3.js';
import { FleetInventory } from '../../contracts/fleet-inventory.js';
import { chirpStackRegistration, ttsRegistration } from '../../provisioning/registration.js';
import { formatChecks, selfTestModem } from '../../gateway/self-test.js';
import { gatewayUnit } from '../../provisioning/systemd.js';
import { JEMALLOC_CONF } from '../../gateway/node-runtime.js';
import { buildVehicleConfig, newAppKey, writeVehicleFiles } from '../../provisioning/vehicle-files.js';
import { Air } from '../../simulator/lorawan/air.js';
import { EmulatedRui3 } from '../../simulator/lorawan/emulated-rui3.js';
import { NetworkServerEmulator } from '../../simulator/lorawan/network-server.js';
import { loadVehicleTypes } from '../../contracts/vehicle-types.js';

const K1 = loadVehicleTypes().get('MGT-K1')!;
const setup = { vehicleId: '661', type: K1, devEui: '70B3D57ED0010295', joinEui: '70b3d57ed0000000', modemDialect: 'rui3' as const, modemPort: '/dev/ttyAMA0', outboxPath: '/var/lib/tram-occupancy/outbox.db' };

describe('provisioning', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'prov-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a config the gateway accepts and a key file only its owner can read', () => {
    const files = writeVehicleFiles(dir, buildVehicleConfig(setup), newAppKey());
    const config = loadGatewayConfig(files.configPath);
    assert.equal(config.vehicle.capacity, K1.capacity);
    assert.equal(config.lorawan.devEui, '70b3d57ed0010295');
    assert.equal(statSync(files.secretsPath).mode & 0o777, 0o600);
    assert.match(loadGatewaySecrets(files.secretsPath).appKey, /^[0-9a-f]{32}$/);
    assert.ok(!readFileSync(files.configPath, 'utf8').includes(loadGatewaySecrets(files.secretsPath).appKey), 'the key is not in the config');
  });

  it('fits the sources: the vehicle type\'s door-board mapping, the bus and camera ports, BLE', () => {
    const files = writeVehicleFiles(
      dir,
      buildVehicleConfig({ ...setup, doorBoardPort: '/dev/tram-doors', ibisPort: '/dev/tram-ibis', cameraPort: '/dev/tram-camera', ble: true }),
      newAppKey(),
    );
    const { sources } = loadGatewayConfig(files.configPath);
    assert.equal(sources.doorBoard?.port, '/dev/tram-doors');
    assert.deepEqual(sources.doorBoard?.mapping.doors.map((d) => d.door), Array.from({ length: K1.doors }, (_, i) => i + 1));
    assert.equal(sources.ibis?.port, '/dev/tram-ibis');
    assert.equal(sources.camera?.baudRate, 115_200);
    assert.equal(sources.radio?.ble, true);
    assert.equal(sources.keyRotationHour, 3);
  });

  it('never replaces a key silently', () => {
    writeVehicleFiles(dir, buildVehicleConfig(setup), newAppKey());
    assert.throws(() => writeVehicleFiles(dir, buildVehicleConfig(setup), newAppKey()), /exists.*--force/);
    assert.doesNotThrow(() => writeVehicleFiles(dir, buildVehicleConfig(setup), newAppKey(), true));
  });

  it('keeps one DevEUI on one vehicle in the inventory', () => {
    const inventory = new FleetInventory(join(dir, 'fleet.db'));
    const entry = { vehicleId: '661', type: 'MGT-K1', devEui: '70B3D57ED0010295', joinEui: '0000000000000000', modemDialect: 'rui3', provisionedAt: '2026-11-22T10:00:00Z' };
    inventory.record(entry);
    assert.throws(() => inventory.record({ ...entry, vehicleId: '662' }), /already fitted to vehicle 661/);
    inventory.recordSelfTest('661', '2026-11-22T11:00:00Z', true);
    assert.deepEqual(inventory.list().map((r) => [r.vehicleId, r.devEui, r.lastSelfTestOk]), [['661', '70b3d57ed0010295', true]]);
    assert.equal(inventory.remove('661'), true);
    inventory.record({ ...entry, vehicleId: '662' });
    assert.equal(inventory.list()[0]!.vehicleId, '662');
    inventory.close();
  });

  it('writes registration objects in the shapes the network servers take', () => {
    const input = { vehicleId: '661', devEui: '70b3d57ed0010295', joinEui: '70b3d57ed0000000', appKey: '000102030405060708090a0b0c0d0e0f' };
    const cs = chirpStackRegistration(input, { applicationId: 'app', deviceProfileId: 'profile' }) as { device: { devEui: string }; deviceKeys: { nwkKey: string } };
    assert.equal(cs.device.devEui, '70b3d57ed0010295');
    assert.equal(cs.deviceKeys.nwkKey, input.appKey, 'LoRaWAN 1.0.x: ChirpStack v4 keeps the AppKey in nwkKey');
    const tts = ttsRegistration(input, { applicationId: 'app', frequencyPlanId: 'EU_863_870_TTN' }) as { ids: { dev_eui: string }; root_keys: { app_key: { key: string } } };
    assert.equal(tts.ids.dev_eui, '70B3D57ED0010295');
    assert.equal(tts.root_keys.app_key.key, input.appKey.toUpperCase());
  });

  it('self-tests a gateway against an emulated module: configure, join, test uplink', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 23, 8, 0, 0));
    const rng = new Rng(3);
    const air = new Air(clock, rng.fork('air'), { inCoverage: () => true, uplinkLoss: 0, downlinkLoss: 0 });
    const uplinks: number[] = [];
    const ns = new NetworkServerEmulator(clock, rng.fork('ns'), { applicationId: 'a', applicationName: 'a', tenantId: 't', netId: '000013', publish: (u) => uplinks.push(u.fPort) });
    air.attach(ns);
    const appKey = newAppKey();
    ns.register({ devEui: setup.devEui, joinEui: setup.joinEui, appKey, name: 'tram-661' });
    const [host, device] = createDuplexPair();
    new EmulatedRui3(device, clock, air, rng.fork('m'), { factoryDevEui: setup.devEui });
    const modem = new Rui3Modem(host, clock, { credentials: { devEui: setup.devEui, joinEui: setup.joinEui, appKey } });
    const running = selfTestModem(modem, clock, { join: true, joinTimeoutMs: 120_000, sendTestUplink: true });
    let results: Awaited<typeof running> | undefined;
    void running.then((r) => (results = r));
    for (let i = 0; i < 400 && !results; i++) await clock.advance(500);
    assert.ok(results, 'self-test finished');
    assert.deepEqual(results.map((r) => r.ok), [true, true, true], formatChecks(results));
    assert.deepEqual(uplinks, [3], 'the network server got the health frame');
  });

  it('says what to do when the modem does not answer', async () => {
    const clock = new VirtualClock(0);
    const [host] = createDuplexPair();
    const modem = new Rui3Modem(host, clock, { credentials: { devEui: setup.devEui, joinEui: setup.joinEui, appKey: newAppKey() }, commandTimeoutMs: 1000 });
    const running = selfTestModem(modem, clock, { join: true, joinTimeoutMs: 10_000, sendTestUplink: false });
    let results: Awaited<typeof running> | undefined;
    void running.then((r) => (results = r));
    for (let i = 0; i < 20 && !results; i++) await clock.advance(500);
    assert.equal(results?.length, 1);
    assert.equal(results[0]!.ok, false);
    assert.match(formatChecks(results), /FAIL.*no answer[\s\S]*-> check the modem cable/);
  });

  it('writes a systemd unit that runs the compiled image with plain node, restarts on failure, has a watchdog and is hardened', () => {
    const unit = gatewayUnit({ installDir: '/opt/tram-occupancy', configPath: '/etc/tram-occupancy/gateway.yaml', secretsPath: '/etc/tram-occupancy/secrets.yaml', user: 'tram-occupancy', node: '/usr/bin/node' });
    assert.match(unit, /^ExecStart=\/usr\/bin\/node --lite-mode --no-expose-wasm --max-semi-space-size=1 \/opt\/tram-occupancy\/gateway\/main\.js gateway --config \/etc\/tram-occupancy\/gateway\.yaml --secrets \/etc\/tram-occupancy\/secrets\.yaml$/m);
    assert.doesNotMatch(unit, /tsx|occupancy\.mjs/);
    for (const line of ['Type=notify', 'NotifyAccess=all', 'Restart=on-failure', 'WatchdogSec=30', 'User=tram-occupancy', 'SupplementaryGroups=dialout', 'ProtectSystem=strict', 'NoNewPrivileges=true', 'PrivateTmp=true', 'ProtectHome=true', 'DevicePolicy=closed', 'DeviceAllow=char-ttyAMA rw', 'CapabilityBoundingSet=', 'RestrictAddressFamilies=AF_UNIX AF_NETLINK', 'Environment=MALLOC_ARENA_MAX=1', 'Environment=LD_PRELOAD=/usr/lib/aarch64-linux-gnu/libjemalloc.so.2', `Environment=MALLOC_CONF=${JEMALLOC_CONF}`]) {
      assert.ok(unit.split('\n').includes(line), `missing ${line}`);
    }
    // The outbox folder is the state directory: writable without ReadWritePaths.
    assert.ok(unit.includes('StateDirectory=tram-occupancy') && !unit.includes('ReadWritePaths='));
    const other = gatewayUnit({ installDir: '/opt/t', configPath: '/etc/g.yaml', secretsPath: '/etc/s.yaml', user: 'tram', node: '/usr/bin/node', outboxDir: '/data/outbox', ble: true, gpio: true });
    for (const line of ['ReadWritePaths=/data/outbox', 'SupplementaryGroups=dialout gpio', 'DeviceAllow=char-gpiochip rw', 'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN', 'RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_BLUETOOTH']) {
      assert.ok(other.split('\n').includes(line), `missing ${line}`);
    }
  });

  it('the unit passes systemd-analyze verify (and the check sees a broken one)', function () {
    if (spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status !== 0) {
      if (process.env['REQUIRE_SYSTEMD'] === '1') throw new Error('systemd-analyze is required (REQUIRE_SYSTEMD=1) but not installed');
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'unit-'));
    try {
      // ExecStart must name files that exist for verify: a stand-in install folder.
      mkdirSync(join(dir, 'gateway'));
      writeFileSync(join(dir, 'gateway/main.js'), '');
      const unit = gatewayUnit({ installDir: dir, configPath: '/etc/tram-occupancy/gateway.yaml', secretsPath: '/etc/tram-occupancy/secrets.yaml', user: 'tram-occupancy', node: process.execPath, ble: true, gpio: true, wifi: true });
      const verify = (text: string) => {
        writeFileSync(join(dir, 'tram-occupancy.service'), text);
        const r = spawnSync('systemd-analyze', ['verify', join(dir, 'tram-occupancy.service')], { encoding: 'utf8' });
        return { status: r.status, messages: `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('tram-occupancy.service')) };
      };
      assert.deepEqual(verify(unit), { status: 0, messages: [] });
      const broken = verify(unit.replace('Restart=on-failure', 'Restart=sometimes').replace('ProtectSystem=', 'ProtectSystm='));
      assert.equal(broken.messages.length, 2, broken.messages.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
