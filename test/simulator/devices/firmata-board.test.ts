import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { SystemClock, VirtualClock } from '../../../common/clock.js';
import { DisconnectedError } from '../../../common/errors.js';
import { DoorBoardMappingSchema } from '../../../contracts/door-board-mapping.js';
import { DoorBoardSource } from '../../../firmware-bindings/door-board/door-board.js';
import { openSerialPort } from '../../../firmware-bindings/transport/serial-port.js';
import type { SourceEvent } from '../../../contracts/source-events.js';
import { ARDUINO_MEGA, FirmataBoardEmulator } from '../../../simulator/devices/firmata-board.js';
import { ptyFixture } from '../../helpers/pty.js';

const hex = (bytes: readonly number[]) => Buffer.from(bytes).toString('hex');
const NAME = [...Buffer.from('StandardFirmata.ino')].flatMap((b) => [b, 0]);
const BOOT = hex([0xf9, 2, 5, 0xf0, 0x79, 2, 5, ...NAME, 0xf7]);

describe('FirmataBoardEmulator (StandardFirmata 2.5, byte for byte)', () => {
  let clock: VirtualClock;
  let board: FirmataBoardEmulator;
  let host: Duplex;
  let received: number[];

  function setUp(options: ConstructorParameters<typeof FirmataBoardEmulator>[1] = {}): void {
    clock = new VirtualClock(0);
    board = new FirmataBoardEmulator(clock, options);
    host = board.openHostPort();
    received = [];
    host.on('data', (chunk: Buffer) => received.push(...chunk));
  }
  afterEach(() => board?.close());

  /** Sends bytes as the host and returns what the board answered. */
  async function ask(bytes: number[]): Promise<string> {
    received = [];
    host.write(Buffer.from(bytes));
    await clock.settle();
    return hex(received);
  }

  it('announces its protocol version and firmware name when it boots, after the boot time', async () => {
    setUp({ bootMs: 1600 });
    await clock.advance(1599);
    assert.equal(hex(received), '');
    await clock.advance(1);
    assert.equal(hex(received), BOOT);
    assert.equal(await ask([0xf9]), 'f90205');
    assert.equal(await ask([0xf0, 0x79, 0xf7]), BOOT.slice(6));
  });

  it('answers the capability, analog mapping and pin state queries as an Uno does', async () => {
    setUp();
    await clock.settle();
    const caps = await ask([0xf0, 0x6b, 0xf7]);
    // Pins 0 and 1 (serial) have no modes; 2 is digital; 3 has PWM too; A0 = 14 has ANALOG; 18 has I2C.
    const digital = '00010b010101040e7f';
    const pwm = '00010b0101010308040e7f';
    assert.ok(caps.startsWith(`f06c7f7f${digital}${pwm}`), caps.slice(0, 60));
    assert.ok(caps.includes('00010b010101020a040e7f'), 'A0: digital + analog (10 bits)');
    assert.ok(caps.endsWith('00010b010101020a040e06017ff7'), 'A5/19: digital, analog, servo, I2C');
    assert.equal(await ask([0xf0, 0x69, 0xf7]), `f06a${'7f'.repeat(14)}000102030405f7`);
    // After reset a digital pin is an OUTPUT at 0; set it to PULLUP and ask again.
    assert.equal(await ask([0xf0, 0x6d, 2, 0xf7]), 'f06e020100f7');
    assert.equal(await ask([0xf4, 2, 0x0b]), '');
    assert.equal(await ask([0xf0, 0x6d, 2, 0xf7]), 'f06e020b01f7');
    assert.equal(board.pinMode(2), 0x0b);
    // A pin that does not exist gets no answer.
    assert.equal(await ask([0xf0, 0x6d, 99, 0xf7]), '');
  });

  it('reports a port at once when reporting is switched on, then each change of its input pins', async () => {
    setUp();
    await clock.settle();
    board.setPin(2, true);
    board.setPin(9, true);
    await ask([0xf4, 2, 0x00, 0xf4, 3, 0x0b, 0xf4, 9, 0x00]);
    assert.equal(await ask([0xd0, 1]), '900400');
    received = [];
    board.setPin(3, true);
    board.setPin(4, true); // an OUTPUT pin: not reported
    board.setPin(9, false); // port 1 is not reported
    board.setPin(2, false);
    await clock.settle();
    assert.equal(hex(received), '900c00' + '900800');
    // Pin 7 is bit 7: the MSB byte.
    await ask([0xf4, 7, 0x00]);
    received = [];
    board.setPin(7, true);
    await clock.settle();
    assert.equal(hex(received), '900801');
    assert.equal(await ask([0xd0, 0]), '');
    board.setPin(3, false);
    await clock.settle();
    assert.equal(hex(received), '', 'reporting off: nothing');
  });

  it('takes sampling interval, digital writes and reset; says so for a mode a pin lacks', async () => {
    setUp();
    await clock.settle();
    await ask([0xf0, 0x7a, 0x64, 0x00, 0xf7]);
    assert.equal(board.samplingInterval, 100);
    await ask([0x90, 0x20, 0x00]); // port 0, pin 5 high (an OUTPUT after reset)
    assert.equal(board.outputLevel(5), 1);
    await ask([0xf5, 6, 1]);
    assert.equal(board.outputLevel(6), 1);
    const unknown = await ask([0xf4, 0, 0x00]);
    assert.equal(Buffer.from(unknown, 'hex').subarray(0, 2).toString('hex'), 'f071');
    await ask([0xf4, 2, 0x00, 0xd0, 1]);
    await ask([0xff]);
    assert.equal(board.pinMode(2), 0x01, 'reset: digital pins back to OUTPUT');
    assert.equal(board.pinMode(14), 0x02, 'reset: analog pins back to ANALOG');
  });

  it('counts and drops what it cannot read, and still answers the next good command', async () => {
    setUp();
    await clock.settle();
    assert.equal(await ask([0x13, 0x42, 0xa5, 0xf0, 0x6b, 0x90, 0xf9]), 'f90205');
    assert.ok(board.counters.droppedBytes >= 5, `${board.counters.droppedBytes}`);
    // An overlong sysex is dropped whole.
    assert.equal(await ask([0xf0, ...Array.from({ length: 100 }, () => 0x11), 0xf7, 0xf9]), 'f90205');
    assert.equal(await ask([0xf0, 0x55, 0xf7]), '');
    assert.equal(board.counters.unsupportedSysex, 1);
  });

  it('hangs (silent) and unplugs on demand, and comes back', async () => {
    setUp();
    await clock.settle();
    board.disconnect('silent');
    assert.equal(await ask([0xf9]), '');
    board.reconnect();
    await clock.settle();
    assert.equal(hex(received), BOOT, 'a hung board reboots');
    let ended = false;
    host.on('close', () => (ended = true));
    board.disconnect('unplug');
    await clock.settle();
    assert.ok(ended);
    assert.throws(() => board.openHostPort(), DisconnectedError);
    board.reconnect();
    host = board.openHostPort();
    received = [];
    host.on('data', (chunk: Buffer) => received.push(...chunk));
    await clock.settle();
    assert.equal(hex(received), BOOT);
  });

  it('has the Mega layout: 70 pins, A0 on 54', async () => {
    setUp({ profile: ARDUINO_MEGA });
    await clock.settle();
    assert.equal(await ask([0xf0, 0x69, 0xf7]), `f06a${'7f'.repeat(54)}${Array.from({ length: 16 }, (_, i) => i.toString(16).padStart(2, '0')).join('')}f7`);
  });

  describe('over a real pseudo-terminal at 57600 baud', () => {
    let source: DoorBoardSource | undefined;
    let emulator: FirmataBoardEmulator | undefined;
    afterEach(() => {
      source?.close();
      emulator?.close();
    });
    // Registered after the hook above, so it runs after it: ports and socat go once the source has.
    const ptys = ptyFixture();

    it('johnny-five reaches the emulated board through serialport on both ends', async function () {
      const pty = await ptys.open(this);
      const clock = new SystemClock();
      const boardPort = ptys.track(await openSerialPort({ path: pty.b, baudRate: 57_600 }));
      emulator = new FirmataBoardEmulator(clock);
      emulator.setPin(2, true); // door 1 closed
      const events: SourceEvent[] = [];
      let onEvent: () => void = () => undefined;
      source = new DoorBoardSource({
        clock,
        sink: {
          handle: (e) => {
            events.push(e);
            onEvent();
          },
        },
        mapping: DoorBoardMappingSchema.parse({ doors: [{ door: 1, contact: 2, outer: 3, inner: 4 }] }),
        timing: { contactDebounceMs: 0, beamDebounceMs: 0 },
        open: async () => {
          const port = ptys.track(await openSerialPort({ path: pty.a, baudRate: 57_600 }));
          // The board boots when its line opens, as an Uno resets on DTR.
          emulator!.attach(boardPort);
          return port;
        },
      });
      const waitFor = (n: number) =>
        new Promise<void>((resolve) => {
          onEvent = () => events.length >= n && resolve();
          onEvent();
        });
      source.start();
      await source.whenReady();
      assert.equal(source.boardInfo?.firmware, 'StandardFirmata.ino');
      emulator.setPin(2, false);
      await waitFor(1);
      // Someone boards. No debouncing here (0 ms), so however the pty groups the bytes, the
      // edges are read in the order they were written.
      for (const [pin, high] of [
        [3, true],
        [4, true],
        [3, false],
        [4, false],
      ] as const)
        emulator.setPin(pin, high);
      await waitFor(2);
      assert.deepEqual(
        events.map(({ at: _at, ...rest }) => rest),
        [
          { type: 'door', door: 1, open: true },
          { type: 'passage', door: 1, direction: 'in' },
        ],
      );
      assert.equal(source.framing.dropped, 0);
    });
  });
});
