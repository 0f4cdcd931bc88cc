/**
 * The command-line conventions of docs/cli.md, checked on the real commands as people run them:
 * `--version` on every entry point, the exit codes, output folders created before a run (and a path
 * that cannot be written refused before it), `--quiet` printing nothing at device depth, and a
 * reader that closes the pipe early ending the output without a stack trace.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/occupancy.mjs');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const SHORT = join(ROOT, 'test/fixtures/scenarios/short.yaml');
/** Half an hour of one tram: a run of a few seconds. */
const TINY = ['--scenario', SHORT, '--set', 'end=07:30', '--set', 'drainMinutes=20', '--set', 'lines.0.maxVehicles=1'];

/** The environment of a technician's shell: no LOG_LEVEL or DEBUG from the test run. */
const { LOG_LEVEL: _level, DEBUG: _debug, ...ENV } = process.env;

function occupancy(args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: ENV });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command whose standard output is closed before it writes: every write meets EPIPE. */
function withClosedStdout(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('command-line conventions', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-conventions-'));
    writeFileSync(
      join(dir, 'gateway.yaml'),
      `vehicle: { id: "661", type: MGT-K1, seats: 50, capacity: 118, levels: { medium: 25, high: 73 } }
modem: { dialect: rui3, port: /dev/null }
lorawan: { devEui: 70b3d57ed0010295, joinEui: 70b3d57ed0000000 }
uplink: { outboxPath: ${join(dir, 'outbox.db')} }
sources: { ibis: { port: /dev/no-ibis }, camera: { port: /dev/no-camera }, radio: { ble: true } }
`,
    );
    writeFileSync(join(dir, 'secrets.yaml'), 'devEui: 70b3d57ed0010295\nappKey: 000102030405060708090a0b0c0d0e0f\n');
    chmodSync(join(dir, 'secrets.yaml'), 0o600);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the version from package.json on every entry point', () => {
    for (const entry of ['provisioning/cli/main.ts', 'gateway/main.ts', 'backend/main.ts']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, entry), '--version'], { cwd: ROOT, env: ENV, encoding: 'utf8' });
      assert.equal(r.status, 0, `${entry}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), VERSION, entry);
    }
    const r = occupancy(['gateway', '--version']);
    assert.equal(r.stdout.trim(), VERSION);
  });

  describe('exit codes', () => {
    it('2 for a wrong flag or argument, with the usage', () => {
      const unknown = occupancy(['provision', 'list', '--no-such-flag']);
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /unknown option '--no-such-flag'/);
      const seed = occupancy(['simulate', '--scenario', 'demo', '--seed', 'seven']);
      assert.equal(seed.status, 2);
      assert.match(seed.stderr, /--seed <n>.*'seven' is invalid/);
      assert.equal(occupancy(['no-such-command']).status, 2);
    });

    it('2 for an invalid scenario or config, naming the field, without a stack trace', () => {
      const scenario = occupancy(['simulate', ...TINY, '--set', 'network.datarate=3']);
      assert.equal(scenario.status, 2);
      assert.match(scenario.stderr, /network\.datarate: unknown field.*did you mean dataRate/);
      writeFileSync(join(dir, 'typo.yaml'), readFileSync(join(dir, 'gateway.yaml'), 'utf8').replace('MGT-K1', 'MGT-K9'));
      const config = occupancy(['gateway', '--config', join(dir, 'typo.yaml'), '--secrets', join(dir, 'secrets.yaml'), '--check']);
      assert.equal(config.status, 2);
      assert.match(config.stderr, /vehicle\.type: unknown vehicle type "MGT-K9"/);
      assert.doesNotMatch(config.stderr, /at .*\.ts:\d+/);
      const inventory = join(dir, 'refused.db');
      const xl = occupancy(['provision', 'new', '663', '--type', 'MGT-XL', '--dev-eui', '70B3D57ED0010299', '--out', join(dir, 'v663'), '--inventory', inventory]);
      assert.equal(xl.status, 2);
      assert.match(xl.stderr, /fleet number 663 is not an MGT-XL \(its fleet numbers are 851-867\)/);
      assert.ok(!existsSync(join(dir, 'v663')), 'nothing written for a refused vehicle');
    });

    it('3 when a device does not answer: the self-test of a modem that is not there', () => {
      const r = occupancy(['selftest', '--config', join(dir, 'gateway.yaml'), '--secrets', join(dir, 'secrets.yaml')]);
      assert.equal(r.status, 3, r.stdout + r.stderr);
      assert.match(r.stdout, /\[FAIL\] modem answers/);
    });

    it('0 for help and for a command that did its work', () => {
      assert.equal(occupancy(['provision', '--help']).status, 0);
      const check = occupancy(['gateway', '--config', join(dir, 'gateway.yaml'), '--secrets', join(dir, 'secrets.yaml'), '--check']);
      assert.equal(check.status, 0, check.stderr);
    });
  });

  describe('output paths', () => {
    it('creates the folders of --json and --html, and --quiet prints nothing, even at device depth with device faults', () => {
      const json = join(dir, 'new', 'nested', 'report.json');
      const html = join(dir, 'other', 'page.html');
      const r = occupancy(['simulate', ...TINY, '--set', 'depth=device', '--set', 'faults=[{sensor: camera, from: "07:05", to: "07:15"}, {sensor: door-board, from: "07:10", to: "07:20"}]', '--json', json, '--html', html, '--quiet']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, '');
      const report = JSON.parse(readFileSync(json, 'utf8')) as { scenario: string; stopEvents: number };
      assert.equal(report.scenario, 'short');
      assert.ok(report.stopEvents > 0);
      assert.ok(existsSync(html));
    });

    it('refuses a path that cannot be written before the run starts', () => {
      writeFileSync(join(dir, 'a-file'), '');
      const r = occupancy(['simulate', ...TINY, '--json', join(dir, 'a-file', 'report.json')]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--json: cannot create the folder .*a-file: it or a folder above it is a file/);
      assert.doesNotMatch(r.stderr, /occupancy bench|simulating/, 'refused before the run');
    });

    it('--out is a folder and --json a file in the technicians\' commands too', () => {
      const unitDir = join(dir, 'etc', 'systemd', 'system');
      const service = occupancy(['provision', 'service', '--config', join(dir, 'gateway.yaml'), '--out', unitDir]);
      assert.equal(service.status, 0, service.stderr);
      const unit = readFileSync(join(unitDir, 'tram-occupancy.service'), 'utf8');
      assert.match(unit, /ExecStart=.* gateway --config /);
      // Written for the Pi (arm64) unless told otherwise; a made-up architecture is a usage error.
      assert.match(unit, /^Environment=LD_PRELOAD=\/usr\/lib\/aarch64-linux-gnu\/libjemalloc\.so\.2$/m);
      const x64 = occupancy(['provision', 'service', '--config', join(dir, 'gateway.yaml'), '--arch', 'x64']);
      assert.equal(x64.status, 0, x64.stderr);
      assert.match(x64.stdout, /^Environment=LD_PRELOAD=\/usr\/lib\/x86_64-linux-gnu\/libjemalloc\.so\.2$/m);
      const bad = occupancy(['provision', 'service', '--config', join(dir, 'gateway.yaml'), '--arch', 'aarch64']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--arch: must be arm64 \(the Pi\), arm or x64, got "aarch64"/);
      const inventory = join(dir, 'listed.db');
      assert.equal(occupancy(['provision', 'new', '663', '--type', 'MGT-K1', '--dev-eui', '70B3D57ED0010297', '--out', join(dir, 'v663k1'), '--inventory', inventory]).status, 0);
      const list = occupancy(['provision', 'list', '--inventory', inventory, '--json', join(dir, 'lists', 'fleet.json')]);
      assert.equal(list.status, 0, list.stderr);
      const rows = JSON.parse(readFileSync(join(dir, 'lists', 'fleet.json'), 'utf8')) as Array<{ vehicleId: string }>;
      assert.deepEqual(rows.map((r) => r.vehicleId), ['663']);
    });

    it('writes the report to standard output with --json -', () => {
      const r = occupancy(['simulate', ...TINY, '--json', '-', '--quiet']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { scenario: string }).scenario, 'short');
    });
  });

  describe('a reader that closes the pipe early', () => {
    it('ends `gateway --check` without an EPIPE stack, exit 0', async () => {
      const r = await withClosedStdout(['gateway', '--config', join(dir, 'gateway.yaml'), '--secrets', join(dir, 'secrets.yaml'), '--check']);
      assert.doesNotMatch(r.stderr, /EPIPE|Unhandled 'error' event/);
      assert.equal(r.status, 0, r.stderr);
    });

    it('ends `provision list` without an EPIPE stack, exit 0', async () => {
      const inventory = join(dir, 'inventory.db');
      const made = occupancy(['provision', 'new', '662', '--type', 'MGT-K1', '--dev-eui', '70B3D57ED0010296', '--out', join(dir, 'v662'), '--inventory', inventory]);
      assert.equal(made.status, 0, made.stderr);
      const r = await withClosedStdout(['provision', 'list', '--inventory', inventory]);
      assert.doesNotMatch(r.stderr, /EPIPE|Unhandled 'error' event/);
      assert.equal(r.status, 0, r.stderr);
    });
  });

  describe('npm and onnxruntime (docs/cli.md)', () => {
    it('passes the ORT install skip from .npmrc to install scripts, and npm prints no warning', () => {
      // A fresh shell's environment: nothing npm exported to this test run.
      const env = Object.fromEntries(Object.entries(ENV).filter(([k]) => !/^npm_/i.test(k)));
      const r = spawnSync('npm', ['run', 'env'], { cwd: ROOT, env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      // What node_modules/onnxruntime-node/script/install-utils.js reads.
      assert.match(r.stdout, /^npm_config_onnxruntime_node_install=skip$/m);
      assert.doesNotMatch(r.stdout + r.stderr, /npm warn/i);
    });
  });
});
