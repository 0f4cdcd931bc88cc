import assert from 'node:assert/strict';
import { createDuplexPair } from '../../common/duplex-pair.js';
import { DisconnectedError } from '../../common/errors.js';
import type { SerialSettings } from '../../firmware-bindings/transport/serial-port.js';
import { parseGatewayConfig } from '../../gateway/config.js';
import { commandReset, vehicleModem } from '../../gateway/vehicle-modem.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIALECTS, RIG_START, TEST_DEVICE, radioWorld, runWhile, tapLines } from '../helpers/modem-rig.js';
import { VirtualClock } from '../../common/clock.js';
import { Rng } from '../../common/random.js';

const CONFIG = {
  vehicle: { id: '661', type: 'MGT-K1', seats: 50, capacity: 118, levels: { medium: 25, high: 73 } },
  lorawan: { devEui: TEST_DEVICE.devEui, joinEui: TEST_DEVICE.joinEui },
  uplink: { outboxPath: '/var/lib/tram-occupancy/outbox.db' },
};

const FIRST_COMMAND = { rui3: 'AT', rn2483: 'sys get ver' } as const;

describe('the vehicle modem chosen by modem.dialect', () => {
  for (const fixture of DIALECTS) {
    it(`${fixture.dialect}: opens the configured port with the dialect's settings and speaks the dialect`, async () => {
      const config = parseGatewayConfig({ ...CONFIG, modem: { dialect: fixture.dialect, port: '/dev/ttyUSB0' } });
      const clock = new VirtualClock(RIG_START);
      const rng = new Rng(3);
      const { air } = radioWorld(clock, rng);
      const opened: SerialSettings[] = [];
      let heard: ReturnType<typeof tapLines> = [];
      const modem = vehicleModem(config, { devEui: TEST_DEVICE.devEui, appKey: TEST_DEVICE.appKey }, clock, async (settings) => {
        opened.push(settings);
        const [host, device] = createDuplexPair();
        heard = tapLines(device, clock);
        fixture.emulate(device, clock, air, rng.fork('modem'), { factoryDevEui: TEST_DEVICE.devEui });
        return host;
      });
      assert.equal(modem.dialect, fixture.dialect);
      await runWhile(clock, modem.open());
      await runWhile(clock, modem.join());
      assert.deepEqual(opened, [{ path: '/dev/ttyUSB0', ...fixture.serial }]);
      assert.equal(heard[0]!.line, FIRST_COMMAND[fixture.dialect]);
      assert.ok(heard.some((l) => fixture.joinCommand.test(l.line)));
      assert.equal((await runWhile(clock, modem.status())).joined, true);
      await modem.close();
    });
  }

  it('takes a baud rate from the config over the dialect default', async () => {
    const config = parseGatewayConfig({ ...CONFIG, modem: { dialect: 'rn2483', port: '/dev/ttyAMA0', baudRate: 19200 } });
    const opened: SerialSettings[] = [];
    const modem = vehicleModem(config, { devEui: TEST_DEVICE.devEui, appKey: TEST_DEVICE.appKey }, new VirtualClock(0), async (settings) => {
      opened.push(settings);
      throw new DisconnectedError(`cannot open ${settings.path}: ENOENT`);
    });
    await assert.rejects(modem.open(), (e: Error) => e instanceof DisconnectedError && /ttyAMA0/.test(e.message));
    assert.equal(opened[0]!.baudRate, 19200);
  });

  it('pulls the reset line with the configured command, and says when the command fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reset-'));
    try {
      const mark = join(dir, 'pulled');
      await commandReset([process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(mark)}, 'x')`])();
      assert.ok(existsSync(mark), 'the command ran');
      await assert.rejects(commandReset([process.execPath, '-e', 'process.exit(3)'])(), /exit code 3/);
      await assert.rejects(commandReset([join(dir, 'no-such-tool')])(), /failed to start/);
      const config = parseGatewayConfig({ ...CONFIG, modem: { dialect: 'rui3', port: '/dev/ttyAMA0', resetCommand: ['gpioset', 'gpiochip0', '17=0'] } });
      assert.deepEqual(config.modem.resetCommand, ['gpioset', 'gpiochip0', '17=0']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

