/**
 * The Pi's install helper: the generated udev rules are valid rules that give each device its
 * stable name by its /dev/serial/by-id link, and install.sh, run against a scratch root with the
 * system tools replaced by recorders, creates the service user in dialout, the directories with
 * their modes and owners, and installs and reloads the udev rules and the unit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installFiles, udevRules, type InstallOptions } from '../../provisioning/install-files.js';

const OPTIONS: InstallOptions = {
  user: 'tram-occupancy', installDir: '/opt/tram-occupancy', configPath: '/etc/tram-occupancy/gateway.yaml', secretsPath: '/etc/tram-occupancy/secrets.yaml',
  stateDir: '/var/lib/tram-occupancy', node: '/usr/bin/node',
  devices: {
    doorBoard: '/dev/serial/by-id/usb-Arduino__www.arduino.cc__0043_75833353035351A0F0A1-if00',
    camera: 'usb-FTDI_FT232R_USB_UART_A10KQ2ZP-if00-port0',
    modem: 'ttyAMA0',
  },
};

/** udev's rule syntax: comma-separated KEY[{attr}] OP "value", with the keys and operators we use. */
function parseRule(line: string): Array<{ key: string; op: string; value: string }> {
  const parts: Array<{ key: string; op: string; value: string }> = [];
  const re = /\s*([A-Z_]+(?:\{[A-Za-z0-9_]+\})?)(==|!=|\+=|-=|:=|=)"([^"]*)"\s*(,|$)/y;
  let at = 0;
  while (at < line.length) {
    re.lastIndex = at;
    const m = re.exec(line);
    if (!m) throw new Error(`not a udev rule at column ${at}: ${line}`);
    parts.push({ key: m[1]!, op: m[2]!, value: m[3]! });
    at = re.lastIndex;
  }
  return parts;
}

describe('install helper for the Pi', () => {
  it('udev rules: valid lines; each given device gets its /dev/tram-* name from its by-id link, group dialout', () => {
    const rules = udevRules(OPTIONS.devices);
    const lines = rules.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    const parsed = lines.map(parseRule);
    const MATCH = new Set(['SUBSYSTEM', 'KERNEL', 'SYMLINK']);
    const ASSIGN = new Set(['SYMLINK', 'GROUP', 'MODE']);
    for (const rule of parsed) {
      for (const p of rule) assert.ok(p.op === '==' ? MATCH.has(p.key) : ASSIGN.has(p.key) && ['=', '+='].includes(p.op), JSON.stringify(p));
      assert.ok(rule.some((p) => p.key === 'GROUP' && p.value === 'dialout') && rule.some((p) => p.key === 'MODE' && p.value === '0660'));
    }
    const byName = new Map(parsed.map((r) => [r.find((p) => p.key === 'SYMLINK' && p.op === '+=')!.value, r]));
    assert.deepEqual([...byName.keys()].sort(), ['tram-camera', 'tram-doors', 'tram-modem']);
    assert.deepEqual(byName.get('tram-doors')!.find((p) => p.key === 'SYMLINK' && p.op === '=='), { key: 'SYMLINK', op: '==', value: 'serial/by-id/usb-Arduino__www.arduino.cc__0043_75833353035351A0F0A1-if00' });
    assert.deepEqual(byName.get('tram-modem')!.find((p) => p.key === 'KERNEL'), { key: 'KERNEL', op: '==', value: 'ttyAMA0' });
    assert.match(rules, /# vehicle bus \(IBIS\) level shifter: not given .*--ibis/);
    assert.throws(() => udevRules({ camera: 'usb-x", RUN+="/bin/sh' }), /not a name from \/dev\/serial\/by-id/);
  });

  it('install.sh: shell syntax; against a scratch root it makes the user, directories, rules and unit, and reloads udev and systemd', () => {
    const dir = mkdtempSync(join(tmpdir(), 'install-'));
    try {
      const files = installFiles(OPTIONS);
      for (const [name, [text, mode]] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode });
      assert.equal(spawnSync('sh', ['-n', join(dir, 'install.sh')]).status, 0, 'sh -n');
      assert.match(files['tram-occupancy.service']![0], /^User=tram-occupancy$/m);

      // The system's tools, replaced by recorders: nothing on this machine changes.
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      const log = join(dir, 'calls.log');
      for (const tool of ['getent', 'useradd', 'usermod', 'chown', 'udevadm', 'systemctl']) {
        writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${log}"\n${tool === 'getent' ? 'exit 2\n' : ''}`);
        chmodSync(join(bin, tool), 0o755);
      }
      const root = join(dir, 'root');
      mkdirSync(join(root, 'etc/tram-occupancy'), { recursive: true });
      writeFileSync(join(root, 'etc/tram-occupancy/secrets.yaml'), 'appKey: x\n', { mode: 0o644 });
      const run = spawnSync('sh', [join(dir, 'install.sh')], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env['PATH']}`, ROOT: root } });
      assert.equal(run.status, 0, run.stderr + run.stdout);
      const calls = readFileSync(log, 'utf8').trim().split('\n');
      assert.deepEqual(calls, [
        'getent passwd tram-occupancy',
        'useradd --system --user-group --no-create-home --home-dir /var/lib/tram-occupancy --shell /usr/sbin/nologin --groups dialout tram-occupancy',
        `chown root:tram-occupancy ${root}/etc/tram-occupancy`,
        `chown tram-occupancy:tram-occupancy ${root}/var/lib/tram-occupancy`,
        `chown tram-occupancy:tram-occupancy ${root}/etc/tram-occupancy/secrets.yaml`,
        'udevadm control --reload-rules',
        'udevadm trigger --subsystem-match=tty --action=add',
        'systemctl daemon-reload',
      ]);
      const mode = (p: string) => statSync(join(root, p)).mode & 0o777;
      assert.equal(mode('opt/tram-occupancy'), 0o755);
      assert.equal(mode('etc/tram-occupancy'), 0o750);
      assert.equal(mode('var/lib/tram-occupancy'), 0o750);
      assert.equal(mode('etc/tram-occupancy/secrets.yaml'), 0o600);
      assert.equal(readFileSync(join(root, 'etc/udev/rules.d/99-tram-occupancy.rules'), 'utf8'), files['99-tram-occupancy.rules']![0]);
      assert.equal(readFileSync(join(root, 'etc/systemd/system/tram-occupancy.service'), 'utf8'), files['tram-occupancy.service']![0]);
      assert.ok(existsSync(join(root, 'etc/udev/rules.d')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a user name or path that would break the script', () => {
    assert.throws(() => installFiles({ ...OPTIONS, user: 'tram occupancy' }), /--user/);
    assert.throws(() => installFiles({ ...OPTIONS, installDir: '/opt/tram $(reboot)' }), /--install-dir/);
  });
});
