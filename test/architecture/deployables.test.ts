/**
 * The layers and deployables of docs/engineering.md, checked the way they matter:
 * - the vehicle's entry point, compiled as the vehicle image is (tsconfig.vehicle.json), reaches
 *   only vehicle folders, and started with plain node loads no bench, training or back-office file
 *   and none of their packages, nor tsx or typescript;
 * - the tools' command line imports a subcommand's code only when it runs;
 * - a reversed import fails `npm run lint`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { vehicleImage } from '../helpers/vehicle-image.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RECORDER = fileURLToPath(new URL('../helpers/record-modules.mjs', import.meta.url));
const VEHICLE_FOLDERS = ['common', 'contracts', 'proto', 'firmware-bindings', 'gateway'];
const NOT_ON_THE_VEHICLE = ['mqtt', 'aedes', 'lora-packet', 'gtfs-realtime-bindings', 'typescript', 'tsx', 'esbuild', 'pg'];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Project folder (first path segment under `root`) or npm package of a loaded module. */
function classify(entry: string, root: string): { folder?: string; pkg?: string } {
  const path = entry.startsWith('file://') ? fileURLToPath(entry) : entry;
  const nm = path.lastIndexOf(`${sep}node_modules${sep}`);
  if (nm >= 0) {
    const parts = path.slice(nm + 14).split(sep);
    return { pkg: parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]! };
  }
  if (path.startsWith(root)) return { folder: relative(root, path).split(sep)[0]! };
  return {};
}

function recordModules(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string; modules: string[] } {
  const out = join(mkdtempSync(join(tmpdir(), 'modules-')), 'loaded.txt');
  writeFileSync(out, '');
  const r = spawnSync(process.execPath, ['--import', RECORDER, ...args], { cwd, encoding: 'utf8', env: { ...process.env, RECORD_MODULES: out } });
  const modules = readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('file://') || l.startsWith('/'));
  rmSync(dirname(out), { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}

describe('deployables and layers', function () {
  this.timeout(120_000);

  describe('the vehicle image', () => {
    let image: string;
    let vehicleDir: string;
    before(() => {
      // Built as `npm run build` builds it (bin/build-vehicle.mjs), with this checkout's node_modules beside it.
      image = vehicleImage();
      vehicleDir = mkdtempSync(join(tmpdir(), 'vehicle-config-'));
      writeFileSync(join(vehicleDir, 'gateway.yaml'), `vehicle: { id: "661", type: MGT-K1, seats: 52, capacity: 139, levels: { medium: 56, high: 104 } }
modem: { dialect: rui3, port: /dev/null }
lorawan: { devEui: 70b3d57ed0010295, joinEui: 70b3d57ed0000000 }
uplink: { outboxPath: ${join(vehicleDir, 'outbox.db')} }
sources: { ibis: { port: /dev/no-ibis-here }, camera: { port: /dev/no-camera-here }, radio: { ble: false } }
`);
      writeFileSync(join(vehicleDir, 'secrets.yaml'), 'devEui: 70b3d57ed0010295\nappKey: 000102030405060708090a0b0c0d0e0f\n');
      chmodSync(join(vehicleDir, 'secrets.yaml'), 0o600);
    });
    after(() => {
      rmSync(vehicleDir, { recursive: true, force: true });
    });

    it('compiles from the vehicle entry point to vehicle folders only', () => {
      const folders = new Set(walk(image).filter((p) => p.endsWith('.js') && !p.includes(`${sep}node_modules${sep}`)).map((p) => relative(image, p).split(sep)[0]!));
      assert.ok(folders.has('gateway') && folders.has('firmware-bindings'), `compiled: ${[...folders].join(', ')}`);
      for (const folder of folders) assert.ok(VEHICLE_FOLDERS.includes(folder), `the vehicle image contains ${folder}/`);
    });

    it('starts with plain node and loads no bench, training or back-office code', () => {
      const r = recordModules([join(image, 'gateway/main.js'), 'gateway', '--config', join(vehicleDir, 'gateway.yaml'), '--secrets', join(vehicleDir, 'secrets.yaml'), '--check'], vehicleDir);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /load model ok/);
      const folders = new Set<string>();
      const packages = new Set<string>();
      for (const m of r.modules) {
        const c = classify(m, image);
        if (c.folder) folders.add(c.folder);
        if (c.pkg) packages.add(c.pkg);
      }
      // The recorder saw the vehicle's own code and its native packages: it can see what it must not.
      assert.ok(folders.has('gateway') && folders.has('firmware-bindings') && folders.has('contracts'), [...folders].join(', '));
      assert.ok(packages.has('onnxruntime-node') && packages.has('commander'), [...packages].join(', '));
      for (const folder of folders) assert.ok(VEHICLE_FOLDERS.includes(folder), `the vehicle loaded ${folder}/`);
      for (const pkg of NOT_ON_THE_VEHICLE) assert.ok(!packages.has(pkg), `the vehicle loaded the package ${pkg}`);
    });
  });

  it('the tools load a subcommand only when it runs', () => {
    const r = recordModules([join(ROOT, 'bin/occupancy.mjs'), 'provision', 'list', '--help'], ROOT);
    assert.equal(r.status, 0, r.stderr);
    const folders = new Set(r.modules.map((m) => classify(m, ROOT).folder).filter(Boolean));
    assert.ok(folders.has('provisioning'), [...folders].join(', '));
    for (const other of ['simulator', 'backend', 'models']) assert.ok(!folders.has(other), `provision loaded ${other}/`);
  });

  it('the back office loads no vehicle drivers or bench code', () => {
    const r = recordModules([join(ROOT, 'bin/occupancy.mjs'), 'backend', '--help'], ROOT);
    assert.equal(r.status, 0, r.stderr);
    const loaded = r.modules.map((m) => classify(m, ROOT));
    const folders = new Set(loaded.map((c) => c.folder).filter(Boolean));
    const packages = new Set(loaded.map((c) => c.pkg).filter(Boolean));
    assert.ok(folders.has('backend') && packages.has('mqtt'), `${[...folders].join(', ')} / ${[...packages].join(', ')}`);
    for (const other of ['gateway', 'firmware-bindings', 'simulator', 'models', 'provisioning']) assert.ok(!folders.has(other), `the backend loaded ${other}/`);
    for (const pkg of ['serialport', 'johnny-five', 'onnxruntime-node']) assert.ok(!packages.has(pkg), `the backend loaded ${pkg}`);
  });

  it('lint fails an import that points up a layer', async () => {
    const probe = join(ROOT, 'gateway', `zz-layer-probe-${process.pid}.ts`);
    writeFileSync(probe, "import { loadScenario } from '../simulator/scenario.js';\nimport mqtt from 'mqtt';\nexport const probe = [loadScenario, mqtt];\n");
    try {
      const [result] = await new ESLint({ cwd: ROOT }).lintFiles([probe]);
      const messages = result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
      assert.equal(messages.length, 2, JSON.stringify(result!.messages));
      assert.match(messages[0]!, /gateway\/ must not import simulator\//);
      assert.match(messages[1]!, /must not depend on this package/);
    } finally {
      rmSync(probe, { force: true });
    }
  });
});
