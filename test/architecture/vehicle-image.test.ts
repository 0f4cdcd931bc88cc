/**
 * `npm run build` (bin/build-vehicle.mjs): the vehicle image names only the vehicle's packages, its
 * lockfile agrees with its package.json (`npm ci --omit=dev` takes it, from the npm cache the
 * checkout's own install filled), and the image runs with nothing but what that install put
 * beside it: no bench, back-office or build packages, no tsx, no TypeScript.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/vehicle-image.js';

const NOT_ON_THE_VEHICLE = ['aedes', 'mqtt', 'gtfs-realtime-bindings', 'lora-packet', 'pg', 'tsx', 'typescript', 'esbuild', 'mocha', 'sinon', 'eslint', 'fast-check'];

describe('the vehicle image (npm run build)', function () {
  this.timeout(240_000);
  let dir: string;
  let image: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vehicle-build-'));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/build-vehicle.mjs'), '--out', join(dir, 'vehicle')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    image = join(dir, 'vehicle');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names only the packages the compiled vehicle imports, pinned to the checkout lockfile', () => {
    const pkg = JSON.parse(readFileSync(join(image, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies?: unknown; main: string };
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    const deps = Object.keys(pkg.dependencies);
    for (const expected of ['onnxruntime-node', 'serialport', 'better-sqlite3', 'pino', 'zod', 'yaml', 'commander', 'protobufjs', 'johnny-five']) assert.ok(deps.includes(expected), `missing ${expected}: ${deps.join(', ')}`);
    for (const d of deps) assert.equal(pkg.dependencies[d], lock.packages[`node_modules/${d}`]!.version, d);
    assert.equal(pkg.devDependencies, undefined);
    assert.equal(pkg.main, 'gateway/main.js');
    const imageLock = JSON.parse(readFileSync(join(image, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    for (const name of NOT_ON_THE_VEHICLE) {
      assert.ok(!deps.includes(name), `the image depends on ${name}`);
      assert.ok(!(`node_modules/${name}` in imageLock.packages), `the image's lockfile installs ${name}`);
    }
    for (const asset of ['models/load-estimator.onnx', 'proto/occupancy.proto', 'gateway/main.js']) assert.ok(existsSync(join(image, asset)), asset);
    assert.ok(existsSync(join(dir, `tram-occupancy-vehicle-${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}.tgz`)));
  });

  it('installs with npm ci --omit=dev from its own lockfile and runs `gateway --check` with only those packages', function () {
    const installed = join(dir, 'installed');
    cpSync(image, installed, { recursive: true });
    // --offline: from the cache the checkout's `npm ci` filled (CI has no other registry access to rely on);
    // --ignore-scripts: better-sqlite3 would build from source here (its prebuilt binaries are on GitHub),
    // so its binary is taken from the checkout's install below, as the Pi builds its own (docs/vehicle-image.md).
    const ci = spawnSync('npm', ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: installed, encoding: 'utf8' });
    assert.equal(ci.status, 0, ci.stdout + ci.stderr);
    const present = new Set(readdirSync(join(installed, 'node_modules')).flatMap((n) => (n.startsWith('@') ? readdirSync(join(installed, 'node_modules', n)).map((m) => `${n}/${m}`) : [n])));
    for (const name of NOT_ON_THE_VEHICLE) assert.ok(!present.has(name), `npm ci installed ${name} on the vehicle`);
    assert.ok(present.has('onnxruntime-node') && present.has('serialport'));
    cpSync(join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'), join(installed, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'));

    const conf = mkdtempSync(join(tmpdir(), 'vehicle-conf-'));
    try {
      writeFileSync(join(conf, 'gateway.yaml'), `vehicle: { id: "661", type: MGT-K1, seats: 52, capacity: 139, levels: { medium: 56, high: 104 } }
modem: { dialect: rui3, port: /dev/null }
lorawan: { devEui: 70b3d57ed0010295, joinEui: 70b3d57ed0000000 }
uplink: { outboxPath: ${join(conf, 'outbox.db')} }
sources: { radio: { ble: false } }
`);
      writeFileSync(join(conf, 'secrets.yaml'), 'devEui: 70b3d57ed0010295\nappKey: 000102030405060708090a0b0c0d0e0f\n');
      chmodSync(join(conf, 'secrets.yaml'), 0o600);
      // Plain node, from a folder outside the checkout: nothing of the checkout's node_modules can be found.
      const r = spawnSync(process.execPath, [join(installed, 'gateway/main.js'), 'gateway', '--config', join(conf, 'gateway.yaml'), '--secrets', join(conf, 'secrets.yaml'), '--check'], { cwd: conf, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /config ok: vehicle 661[\s\S]*load model ok: version/);
    } finally {
      rmSync(conf, { recursive: true, force: true });
    }
  });
});
