import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { createDuplexPair } from '../../../common/duplex-pair.js';
import { DisconnectedError, TimeoutError } from '../../../common/errors.js';
import { configureLogging, currentLogLevel } from '../../../common/log.js';
import { ModemSupervisor } from '../../../firmware-bindings/lora/modem-supervisor.js';
import { DIALECTS, TEST_DEVICE, modemRig, runWhile } from '../../helpers/modem-rig.js';

const RN2483 = DIALECTS.find((d) => d.dialect === 'rn2483')!;

/** A supervisor whose connect hands out the streams `next` returns (undefined: the port is not there). */
function supervisorOver(rig: ReturnType<typeof modemRig>, next: () => Duplex | undefined) {
  const connects: number[] = [];
  const modem = new ModemSupervisor(
    {
      clock: rig.clock,
      dialect: 'rn2483',
      connect: async () => {
        connects.push(rig.clock.now());
        const stream = next();
        if (!stream) throw new DisconnectedError('cannot open /dev/ttyUSB0: ENOENT');
        return stream;
      },
      driver: (stream) => RN2483.driver(stream, rig.clock, { ...rig.driverOptions, commandTimeoutMs: 1000 }),
    },
    { maxConsecutiveTimeouts: 3, reconnectBackoffMs: { first: 1000, factor: 2, max: 4000 } },
  );
  return { modem, connects };
}

describe('ModemSupervisor', () => {
  it('fails a send in flight when the port goes away, and stops reopening once closed', async () => {
    const rig = modemRig(RN2483);
    let handedOut = 0;
    const { modem, connects } = supervisorOver(rig, () => (handedOut++ === 0 ? rig.host : undefined));
    await runWhile(rig.clock, modem.open());
    await runWhile(rig.clock, modem.join());
    await runWhile(rig.clock, modem.status());
    const sending = modem.send(2, Uint8Array.from([1]));
    await rig.clock.advance(100);
    rig.host.destroy();
    await assert.rejects(runWhile(rig.clock, sending), DisconnectedError);
    await rig.clock.advance(1000 + 2000 + 4000 + 4000 + 1);
    assert.equal(connects.length, 5, 'the first open, then attempts at 1, 3, 7 and 11 s');
    await modem.close();
    await rig.clock.advance(60_000);
    assert.equal(connects.length, 5, 'no attempt after close');
    assert.equal(rig.clock.pendingTimers, 0);
  });

  it('a close during a hardware reset aborts the reset and fails the calls waiting for it at once', async () => {
    const rig = modemRig(RN2483);
    let resetSignal: AbortSignal | undefined;
    const modem = new ModemSupervisor(
      {
        clock: rig.clock,
        dialect: 'rn2483',
        connect: async () => rig.host,
        driver: (stream) => RN2483.driver(stream, rig.clock, { ...rig.driverOptions, commandTimeoutMs: 1000 }),
        // A reset line that never comes back on its own: only the abort ends it.
        hardwareReset: (signal) => {
          resetSignal = signal;
          return new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('reset aborted')), { once: true }));
        },
      },
      { maxConsecutiveTimeouts: 3 },
    );
    await runWhile(rig.clock, modem.open());
    rig.emulated.hang('dead');
    for (let i = 0; i < 3; i++) await assert.rejects(runWhile(rig.clock, modem.status()), TimeoutError);
    // Soft reset (its boot wait and the probe that gets no answer), then the hardware reset, which hangs.
    for (let t = 0; t < 20_000 && !resetSignal; t += 250) await rig.clock.advance(250);
    assert.ok(resetSignal && !resetSignal.aborted, 'the hardware reset is under way');
    const waiting = modem.status();
    let settled = false;
    waiting.catch(() => undefined).finally(() => (settled = true));
    await rig.clock.advance(1000);
    assert.equal(settled, false, 'a call waits for the reset');
    await modem.close();
    assert.equal(resetSignal.aborted, true);
    await assert.rejects(waiting, DisconnectedError);
  });

  it('hands a module that is back on the port but silent to the hang recovery', async () => {
    const rig = modemRig(RN2483);
    let handedOut = 0;
    let second: Duplex | undefined;
    const { modem } = supervisorOver(rig, () => {
      if (handedOut++ === 0) return rig.host;
      const [host, device] = createDuplexPair();
      rig.emulated.attach(device);
      second = host;
      return host;
    });
    await runWhile(rig.clock, modem.open());
    rig.emulated.hang('wedged');
    rig.host.destroy();
    const back = new Promise<string>((resolve) => modem.once('recovered', resolve));
    // Reopened after 1 s; the module does not answer `sys get ver`: one timeout, the stream stays.
    await rig.clock.advance(2500);
    assert.ok(second);
    assert.equal(modem.stats.reconnects, 0);
    for (let i = 0; i < 2; i++) await assert.rejects(runWhile(rig.clock, modem.status()), TimeoutError);
    assert.equal(await runWhile(rig.clock, back), 'reset');
    assert.equal((await runWhile(rig.clock, modem.status())).joined, false);
    await modem.close();
  });

  it('never logs the AppKey, even at trace, through open, join, send, timeouts and a reset', async () => {
    const lines: string[] = [];
    const level = currentLogLevel();
    configureLogging({ level: 'trace', destination: { write: (line: string) => lines.push(line) } });
    try {
      const rig = modemRig(RN2483);
      const { modem } = supervisorOver(rig, () => rig.host);
      await runWhile(rig.clock, modem.open());
      await runWhile(rig.clock, modem.join());
      await runWhile(rig.clock, modem.status());
      await runWhile(rig.clock, modem.send(2, Uint8Array.from([1])));
      rig.emulated.hang('wedged');
      for (let i = 0; i < 3; i++) await assert.rejects(runWhile(rig.clock, modem.status()), TimeoutError);
      await runWhile(rig.clock, modem.status());
      assert.ok(lines.length > 10, 'the test saw the logs');
      const text = lines.join('\n').toLowerCase();
      assert.ok(!text.includes(TEST_DEVICE.appKey), 'AppKey in the logs');
      assert.ok(text.includes('mac set appkey'), 'commands are named');
    } finally {
      configureLogging({ level, destination: { write: (line: string) => process.stderr.write(line) } });
    }
  });
});
