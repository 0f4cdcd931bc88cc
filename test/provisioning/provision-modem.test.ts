/**
 * `occupancy provision modem` against the emulated modules over a real socat pseudo-terminal: the
 * command (a separate process) writes the credentials, saves them, resets the module and reads them
 * back; the module then holds them over a power cycle. And what it says when a module does not
 * keep what was written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import sinon from 'sinon';
import { SystemClock } from '../../common/clock.js';
import { createDuplexPair } from '../../common/duplex-pair.js';
import { Rng } from '../../common/random.js';
import { Rn2483Modem } from '../../firmware-bindings/lora/rn2483.js';
import { openSerialPort } from '../../firmware-bindings/transport/serial-port.js';
import { writeModemCredentials } from '../../provisioning/modem-credentials.js';
import { formatChecks } from '../../gateway/self-test.js';
import { DIALECTS, radioWorld } from '../helpers/modem-rig.js';
import { ptyFixture } from '../helpers/pty.js';

const BIN = fileURLToPath(new URL('../../bin/occupancy.mjs', import.meta.url));
const FACTORY_EUI = '0004a30b001c0530';
const WANT = { devEui: '70b3d57ed0001234', joinEui: '70b3d57ed0000000', appKey: '000102030405060708090a0b0c0d0e0f' };

describe('occupancy provision modem, over a pseudo-terminal to the emulated module', function () {
  this.timeout(60_000);
  const ptys = ptyFixture();
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'modem-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const fixture of DIALECTS) {
    it(`${fixture.dialect}: writes, saves, resets and reads back; the module holds them over a power cycle`, async function () {
      const pty = await ptys.open(this);
      const clock = new SystemClock();
      const rng = new Rng(5);
      const { air } = radioWorld(clock, rng);
      const port = ptys.track(await openSerialPort({ path: pty.b, ...fixture.serial }));
      const module = fixture.emulate(port, clock, air, rng.fork('m'), { factoryDevEui: FACTORY_EUI });
      writeFileSync(join(dir, 'gateway.yaml'), `vehicle: { id: "661", type: MGT-K1, seats: 50, capacity: 118, levels: { medium: 25, high: 73 } }
modem: { dialect: ${fixture.dialect}, port: /dev/not-this-one }
lorawan: { devEui: ${WANT.devEui}, joinEui: ${WANT.joinEui} }
uplink: { outboxPath: ${join(dir, 'outbox.db')} }
`);
      writeFileSync(join(dir, 'secrets.yaml'), `devEui: ${WANT.devEui}\nappKey: ${WANT.appKey}\n`);
      chmodSync(join(dir, 'secrets.yaml'), 0o600);

      const child = spawn(process.execPath, [BIN, 'provision', 'modem', '-c', join(dir, 'gateway.yaml'), '-s', join(dir, 'secrets.yaml'), '--port', pty.a], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      assert.equal(await new Promise((r) => child.once('exit', r)), 0, out);
      assert.match(out, new RegExp(`\\[ok\\]\\s+write credentials: ${fixture.dialect}`));
      assert.match(out, /\[ok\]\s+reset the module/);
      assert.match(out, /\[ok\]\s+read back after the reset: DevEUI 70B3D57ED0001234 and JoinEUI 70B3D57ED0000000 match the config/);
      assert.ok(!out.toLowerCase().includes(WANT.appKey), 'the key is never printed');
      // The module holds them after the command is gone, as after a power cycle.
      module.powerCycle();
      assert.equal(module.mac.devEui, WANT.devEui);
      assert.equal(module.mac.joinEui, WANT.joinEui);
      assert.equal(module.mac.appKey.toLowerCase(), WANT.appKey);
    });
  }

  it('RN2483 that does not keep its settings over a reset: the read-back fails and says what to do', async () => {
    const fixture = DIALECTS.find((d) => d.dialect === 'rn2483')!;
    const clock = new SystemClock();
    const rng = new Rng(6);
    const { air } = radioWorld(clock, rng);
    const [host, device] = createDuplexPair() as [Duplex, Duplex];
    fixture.emulate(device, clock, air, rng.fork('m'), { factoryDevEui: FACTORY_EUI });
    const driver = new Rn2483Modem(host, clock, { credentials: WANT });
    // `mac save` that did not happen (a worn EEPROM, a command lost on the line).
    sinon.stub(driver, 'saveCredentials').resolves();
    const results = await writeModemCredentials(driver, WANT);
    assert.deepEqual(results.map((r) => r.ok), [true, true, true, false]);
    assert.match(formatChecks(results), /FAIL.*read back after the reset: the module holds DevEUI 0004A30B001C0530 \(expected 70B3D57ED0001234\), JoinEUI 0000000000000000/);
    assert.match(results[3]!.action!, /did not keep/);
    await driver.close();
  });
});
