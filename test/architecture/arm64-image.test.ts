/**
 * The vehicle image as the Pi runs it, linux-arm64, under user-mode emulation on this (x86) host:
 * Debian 13's qemu-aarch64 (10.x) runs Debian 13's arm64 node; the image's packages are installed
 * for arm64 from its own lockfile (the ONNX runtime's and serialport's arm64 libraries come in the npm
 * packages) and better-sqlite3 is cross-compiled (.ci/prepare-arm64 puts these in .tmp/arm64;
 * ARM64_DIR overrides). Checks: node says arm64; `gateway --check` exits 0; the shipped model's
 * estimates under arm64 are the x64 ones; the gateway runs against the emulated RUI3 module on a
 * pseudo-terminal until it sends its first frame and stops on SIGTERM with 0, the outbox (written by
 * the arm64 SQLite) closed and intact. Skipped unless the tools are there; REQUIRE_ARM64=1 (CI) makes
 * their absence a failure. Slow by nature (emulation): about a minute here. docs/vehicle-image.md.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/vehicle-image.js';
import { outboxAfterExit, startGateway, until } from '../helpers/vehicle-process.js';
import { socatAvailable } from '../helpers/pty.js';
import { jemallocPath, unitEnvironment, VEHICLE_NODE_FLAGS } from '../../gateway/node-runtime.js';

const DIR = process.env['ARM64_DIR'] ?? join(ROOT, '.tmp/arm64');
const QEMU = join(DIR, 'bin/qemu-aarch64');
const SYSROOT = join(DIR, 'root');
const SQLITE = join(DIR, 'better_sqlite3.node');
/** The arm64 node under qemu, as a command line (the arm64 libraries from SYSROOT: qemu's -L). */
const NODE = [QEMU, '-L', SYSROOT, join(SYSROOT, 'usr/bin/node')];

/** What is missing for this suite, or undefined. */
function missingTools(): string | undefined {
  const absent = [QEMU, join(SYSROOT, 'usr/bin/node'), join(SYSROOT, jemallocPath('arm64')!), SQLITE].filter((p) => !existsSync(p));
  return absent.length ? `not prepared (run .ci/prepare-arm64): ${absent.join(', ')}` : undefined;
}

/** ELF e_machine of a shared object: 183 is AArch64, 62 x86-64. */
function elfMachine(path: string): number {
  return readFileSync(path).readUInt16LE(18);
}

/** Runs the image's load model on a few fixed rows and prints its outputs as JSON (argv: the image folder). */
const INFERENCE_PROBE = `
const image = process.argv[1];
const { OnnxLoadModel } = await import(image + '/gateway/estimation/onnx-model.js');
const { SHIPPED_MODEL } = await import(image + '/gateway/estimation/shipped-model.js');
const { FEATURES, FEATURE_INDEX } = await import(image + '/gateway/estimation/features.js');
const rows = 4;
const x = new Float32Array(rows * FEATURES.length).map((_, k) => ((Math.floor(k / FEATURES.length) * 13 + (k % FEATURES.length) * 7) % 11) / 10);
for (let r = 0; r < rows; r++) { x[r * FEATURES.length + FEATURE_INDEX.capacity] = 139; x[r * FEATURES.length + FEATURE_INDEX.cum_in] = 20 + 30 * r; }
const model = await OnnxLoadModel.load(SHIPPED_MODEL);
const out = await model.predict(x, new Float32Array(rows * 2).map((_, i) => (i % 2 ? 104 : 56)));
console.log(JSON.stringify({ arch: process.arch, version: model.version, load: [...out.load], uncertainty: [...out.uncertainty], level: [...out.level] }));
await model.close();
`;

describe('the vehicle image on linux-arm64 (qemu user emulation; .ci/prepare-arm64)', function () {
  this.timeout(240_000);
  let dir: string;
  let image: string;
  before(function () {
    const missing = missingTools();
    if (missing) {
      if (process.env['REQUIRE_ARM64'] === '1') throw new Error(`the arm64 suite is required (REQUIRE_ARM64=1) but ${missing}`);
      console.log(`      (arm64 image suite skipped: ${missing})`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'vehicle-arm64-'));
    image = join(dir, 'vehicle');
    const build = spawnSync(process.execPath, [join(ROOT, 'bin/build-vehicle.mjs'), '--out', image, '--no-pack'], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stdout + build.stderr);
    // As on the Pi, for arm64 (--os/--cpu: npm's platform checks as on the vehicle), offline from the
    // cache the checkout's install filled; --ignore-scripts: better-sqlite3's own install would build for
    // this host, so the cross-compiled binary goes in its place.
    const ci = spawnSync('npm', ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--os=linux', '--cpu=arm64'], { cwd: image, encoding: 'utf8' });
    assert.equal(ci.status, 0, ci.stdout + ci.stderr);
    const release = join(image, 'node_modules/better-sqlite3/build/Release');
    cpSync(SQLITE, join(release, 'better_sqlite3.node'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('node is arm64 under the emulator, and the native libraries it will load are AArch64', () => {
    const r = spawnSync(NODE[0]!, [...NODE.slice(1), '-p', 'process.arch + " " + process.version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout.trim(), /^arm64 v2\d\.\d+\.\d+$/);
    for (const lib of ['node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/libonnxruntime.so.1', 'node_modules/@serialport/bindings-cpp/prebuilds/linux-arm64/@serialport+bindings-cpp.armv8.glibc.node']) {
      const path = join(image, lib);
      assert.ok(existsSync(path), `${lib} not installed`);
      assert.equal(elfMachine(path), 183, `${lib} is not an AArch64 object`);
    }
  });

  it('`gateway --check` exits 0 (config, secrets, load model, modem port) with the arm64 node', () => {
    const conf = mkdtempSync(join(tmpdir(), 'vehicle-arm64-conf-'));
    try {
      writeFileSync(join(conf, 'gateway.yaml'), `vehicle: { id: "661", type: MGT-K1, seats: 52, capacity: 139, levels: { medium: 56, high: 104 } }
modem: { dialect: rui3, port: /dev/null }
lorawan: { devEui: 70b3d57ed0010295, joinEui: 70b3d57ed0000000 }
uplink: { outboxPath: ${join(conf, 'outbox.db')} }
sources: { radio: { ble: false } }
`);
      writeFileSync(join(conf, 'secrets.yaml'), 'devEui: 70b3d57ed0010295\nappKey: 000102030405060708090a0b0c0d0e0f\n');
      chmodSync(join(conf, 'secrets.yaml'), 0o600);
      const r = spawnSync(NODE[0]!, [...NODE.slice(1), join(image, 'gateway/main.js'), 'gateway', '--config', join(conf, 'gateway.yaml'), '--secrets', join(conf, 'secrets.yaml'), '--check'], { cwd: conf, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /config ok: vehicle 661[\s\S]*load model ok: version/);
    } finally {
      rmSync(conf, { recursive: true, force: true });
    }
  });

  it('the shipped load model estimates under arm64 what it estimates on this host', () => {
    const probe = (node: string[]) => {
      const r = spawnSync(node[0]!, [...node.slice(1), '--input-type=module', '-e', INFERENCE_PROBE, image], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { arch: string; version: string; load: number[]; uncertainty: number[]; level: number[] };
    };
    const arm = probe(NODE);
    const host = probe([process.execPath]);
    assert.equal(arm.arch, 'arm64');
    assert.equal(arm.version, host.version);
    assert.equal(arm.load.length, 4);
    for (const [i, load] of arm.load.entries()) {
      assert.ok(Number.isFinite(load) && load >= 0, `row ${i}: load ${load}`);
      assert.ok(Math.abs(load - host.load[i]!) <= 1e-3 * Math.max(1, Math.abs(host.load[i]!)), `row ${i}: ${load} on arm64, ${host.load[i]} on ${host.arch}`);
      assert.ok(Math.abs(arm.uncertainty[i]! - host.uncertainty[i]!) <= 1e-3 * Math.max(1, Math.abs(host.uncertainty[i]!)), `row ${i}: uncertainty`);
    }
    assert.deepEqual(arm.level, host.level);
  });

  it('runs against the emulated modem on a pseudo-terminal until its first frame, then stops on SIGTERM with 0, the outbox closed and intact', async function () {
    if (!socatAvailable()) {
      if (process.env['REQUIRE_SOCAT'] === '1') throw new Error('socat is required (REQUIRE_SOCAT=1) but not installed');
      this.skip();
    }
    // As the unit runs it on the Pi: its node flags, glibc's settings and jemalloc preloaded (from the arm64 root, through qemu's -L).
    const run = await startGateway(this, { image, node: NODE, nodeArgs: VEHICLE_NODE_FLAGS, env: unitEnvironment('arm64') });
    try {
      await until(() => run.heard.some((l) => l.startsWith('AT+SEND=')), 180_000, 'the first frame (AT+SEND=)').catch((error: Error) => {
        throw new Error(`${error.message}: ${run.stderr().slice(-1500)}`);
      });
      assert.equal(run.child.exitCode, null, run.stderr().slice(-1500));
      run.child.kill('SIGTERM');
      const exit = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
      assert.ok(exit, `did not stop within 30 s of SIGTERM: ${run.stderr().slice(-1500)}`);
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, run.stderr().slice(-1500));
      assert.match(run.stderr(), /"load model loaded"/);
      assert.match(run.stderr(), /"allocator":"jemalloc"[^\n]*"msg":"running"/);
      assert.match(run.stderr(), /"outbox":"closed","msg":"stopped"/);
      assert.deepEqual(outboxAfterExit(run.outboxPath), { wal: false, integrity: 'ok' });
    } finally {
      await run.close();
    }
  });
});
