import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { DisconnectedError, ProtocolError, TimeoutError } from '../../../common/errors.js';
import { createDuplexPair } from '../../../common/duplex-pair.js';
import { uplinkTimeOnAirMs, offTimeMs } from '../../../firmware-bindings/lora/airtime.js';
import type { DialectOptions } from '../../../firmware-bindings/lora/dialect-common.js';
import type { Downlink } from '../../../firmware-bindings/lora/modem.js';
import { ModemSupervisor } from '../../../firmware-bindings/lora/modem-supervisor.js';
import { lora } from '../../../simulator/lorawan/lora-packet.js';
import { DIALECTS, RIG_START, TEST_DEVICE, modemRig, runWhile, type DialectFixture, type RigOptions } from '../../helpers/modem-rig.js';

function refusedWith(code: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

async function joinedRig(fixture: DialectFixture, options: RigOptions = {}) {
  const rig = modemRig(fixture, options);
  await runWhile(rig.clock, rig.modem.open());
  await runWhile(rig.clock, rig.modem.join());
  await runWhile(rig.clock, rig.modem.status());
  return rig;
}

/** A supervisor over the rig's driver; `connect` gives the rig's stream first, then whatever `reconnect` says. */
function supervised(fixture: DialectFixture, rig: ReturnType<typeof modemRig>, extra: { reconnect?: () => Promise<Duplex>; hardwareReset?: () => Promise<void> } = {}) {
  let first = true;
  const options: DialectOptions = { ...rig.driverOptions, commandTimeoutMs: 1000 };
  return new ModemSupervisor(
    {
      clock: rig.clock,
      dialect: fixture.dialect,
      connect: async () => {
        if (first) {
          first = false;
          return rig.host;
        }
        if (!extra.reconnect) throw new DisconnectedError('no port');
        return extra.reconnect();
      },
      driver: (stream) => fixture.driver(stream, rig.clock, options),
      ...(extra.hardwareReset ? { hardwareReset: extra.hardwareReset } : {}),
    },
    { maxConsecutiveTimeouts: 3, reconnectBackoffMs: { first: 1000, factor: 2, max: 8000 } },
  );
}

for (const fixture of DIALECTS) {
  describe(`LoRa modem, ${fixture.dialect} dialect: driver against its emulated module, the air and the network server`, () => {
    it('joins over OTAA and its uplinks reach the network server with a valid MIC', async () => {
      const rig = await joinedRig(fixture);
      const { clock, modem, ns, published, receptions, emulated } = rig;
      assert.equal(ns.stats.joins, 1);
      const status = await runWhile(clock, modem.status());
      assert.deepEqual(status, { joined: true, dr: 5, maxPayload: 222 });
      assert.deepEqual(await runWhile(clock, modem.send(2, Uint8Array.from([1, 2, 3, 4]))), { delivered: true, dr: 5 });
      await clock.advance(20_000);
      await runWhile(clock, modem.send(3, Uint8Array.from([5])));
      assert.deepEqual(
        published.map((u) => [u.fPort, u.fCnt, u.payload.toString('hex')]),
        [
          [2, 0, '01020304'],
          [3, 1, '05'],
        ],
      );
      assert.equal(ns.stats.micFailures, 0);
      // Independently of the network server: the frames on air carry the session's MIC and cipher.
      const session = emulated.mac.session!;
      const dataUps = receptions.map((r) => lora.fromWire(r.phy)).filter((p) => p.isDataMessage());
      assert.equal(dataUps.length, 2);
      for (const packet of dataUps) assert.equal(lora.verifyMIC(packet, session.nwkSKey), true);
      assert.equal(lora.decrypt(dataUps[0]!, session.appSKey, session.nwkSKey).toString('hex'), '01020304');
      // The key went to the module once, and nothing else the module was told carried it in clear elsewhere.
      assert.equal(rig.toModule.filter((l) => l.line.toLowerCase().includes(TEST_DEVICE.appKey)).length, 1);
    });

    it('reports a downlink heard in the receive window as a downlink event', async () => {
      const { clock, modem, ns } = await joinedRig(fixture);
      ns.enqueueDownlink(TEST_DEVICE.devEui, { fPort: 10, payload: Buffer.from('0807', 'hex'), confirmed: false });
      const got: Downlink[] = [];
      modem.on('downlink', (d) => got.push(d));
      assert.equal((await runWhile(clock, modem.send(1, Uint8Array.from([9])))).delivered, true);
      assert.equal(got.length, 1);
      assert.equal(got[0]!.fPort, 10);
      assert.equal(Buffer.from(got[0]!.payload).toString('hex'), '0807');
    });

    it('tells a confirmed uplink the network acknowledged from one whose ACK never came', async () => {
      let covered = true;
      const { clock, modem, published } = await joinedRig(fixture, { coverage: () => covered });
      assert.equal((await runWhile(clock, modem.send(5, Uint8Array.from([1]), { confirmed: true }))).delivered, true);
      await clock.advance(20_000);
      const sent = modem.send(5, Uint8Array.from([2]), { confirmed: true });
      await clock.advance(500);
      covered = false; // the uplink got through; its ACK does not
      assert.equal((await runWhile(clock, sent)).delivered, false);
      assert.deepEqual(
        published.map((u) => [u.payload.toString('hex'), u.confirmed]),
        [
          ['01', true],
          ['02', true],
        ],
      );
    });

    it('is refused with busy when a second uplink is asked while the first is on air', async () => {
      const { clock, modem, published } = await joinedRig(fixture);
      const first = modem.send(2, Uint8Array.from([1]));
      const second = modem.send(2, Uint8Array.from([2]));
      await assert.rejects(runWhile(clock, second), refusedWith('busy'));
      assert.equal((await runWhile(clock, first)).delivered, true);
      assert.deepEqual(
        published.map((u) => u.payload.toString('hex')),
        ['01'],
      );
    });

    it('is refused inside the duty-cycle off time, and sends once it is over', async () => {
      const { clock, modem, published } = await joinedRig(fixture);
      const start = clock.now();
      await runWhile(clock, modem.send(2, new Uint8Array(50)));
      await assert.rejects(runWhile(clock, modem.send(2, new Uint8Array(50))), refusedWith(fixture.dutyCycleCode));
      const toa = uplinkTimeOnAirMs(50, 5);
      await clock.runUntil(start + toa + offTimeMs(toa, 0.01) + 1);
      await runWhile(clock, modem.send(2, new Uint8Array(50)));
      assert.equal(published.length, 2);
    });

    it('refuses a payload over the data rate limit: itself before writing it, and when the module says so', async () => {
      const rig = await joinedRig(fixture);
      const { clock, modem, emulated, receptions } = rig;
      const written = rig.toModule.length;
      await assert.rejects(runWhile(clock, modem.send(2, new Uint8Array(223))), refusedWith('payload-too-long'));
      assert.equal(rig.toModule.length, written, 'nothing was written to the module');
      // The data rate falls under the driver (the module's own back-off): the module refuses.
      emulated.mac.dr = 0;
      const onAir = receptions.length;
      await assert.rejects(runWhile(clock, modem.send(2, new Uint8Array(60))), refusedWith('payload-too-long'));
      assert.equal(receptions.length, onAir, 'nothing went on air');
      assert.deepEqual(await runWhile(clock, modem.status()), { joined: true, dr: 0, maxPayload: 51 });
      await assert.rejects(runWhile(clock, modem.send(2, new Uint8Array(52))), refusedWith('payload-too-long'));
      await runWhile(clock, modem.send(2, new Uint8Array(51)));
      assert.equal(receptions.length, onAir + 1);
    });

    it('backs off longer after each failed join round, then joins once the network answers', async () => {
      const coverageFrom = RIG_START + 10 * 60_000;
      const rig = modemRig(fixture, { coverage: (t) => t >= coverageFrom });
      const { clock, modem, ns } = rig;
      await runWhile(clock, modem.open());
      await runWhile(clock, modem.join(), 3_600_000);
      assert.equal(ns.stats.joins, 1);
      assert.ok(clock.now() >= coverageFrom);
      const rounds = rig.toModule.filter((l) => fixture.joinCommand.test(l.line)).map((l) => l.at);
      const failures = rig.fromModule.filter((l) => l.line === fixture.joinFailedLine);
      assert.equal(failures.length, rounds.length - 1, 'every round but the last was refused by the module');
      assert.ok(rounds.length >= 4, `only ${rounds.length} join rounds`);
      const gaps = rounds.slice(1).map((t, i) => t - rounds[i]!);
      for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! >= gaps[i - 1]!, `gap ${i} shrank: ${gaps.join(', ')}`);
      assert.ok(gaps[2]! > gaps[1]! && gaps[1]! > gaps[0]!, `no back-off: ${gaps.join(', ')}`);
    });

    it('skips garbage and half lines on the port, counts them, and keeps working', async () => {
      const rig = await joinedRig(fixture, { maxChunk: 3 });
      const { clock, modem, emulated, published } = rig;
      const before = { ...modem.counters };
      emulated.writeRaw('\x00\xff\xfe\r\n');
      emulated.writeRaw('mac_tx_');
      emulated.writeRaw('\r\n');
      emulated.writeRaw('+EVT:TX_D\r\n');
      emulated.writeRaw(`${'~'.repeat(1500)}\r\n`);
      const sent = modem.send(2, Uint8Array.from([0xca, 0xfe]));
      emulated.writeRaw('\x1b[0m\r\n');
      assert.equal((await runWhile(clock, sent)).delivered, true);
      assert.equal(published.at(-1)!.payload.toString('hex'), 'cafe');
      assert.equal(modem.counters.droppedLines - before.droppedLines, 3, 'control bytes and the overlong line');
      assert.equal(modem.counters.unknownLines - before.unknownLines, 2, 'the two half lines');
      assert.equal(modem.counters.timeouts, 0);
    });

    it('resets a module that stops answering, configures it again, and the owner re-joins and sends', async () => {
      const rig = await joinedRig(fixture);
      const { clock, emulated, ns, published } = rig;
      const modem = supervised(fixture, rig);
      await runWhile(clock, modem.open());
      const recovered: string[] = [];
      modem.on('recovered', (how) => recovered.push(how));
      emulated.hang('wedged');
      const resetsBefore = rig.toModule.filter((l) => l.line === fixture.resetCommand).length;
      for (let i = 0; i < 3; i++) await assert.rejects(runWhile(clock, modem.status()), TimeoutError);
      const status = await runWhile(clock, modem.status());
      assert.equal(status.joined, false, 'a reset module is not joined');
      assert.deepEqual(recovered, ['reset']);
      assert.equal(modem.stats.softResets, 1);
      assert.equal(rig.toModule.filter((l) => l.line === fixture.resetCommand).length, resetsBefore + 1);
      await runWhile(clock, modem.join());
      await runWhile(clock, modem.send(4, Uint8Array.from([7])));
      assert.equal(ns.stats.joins, 2);
      assert.deepEqual([published.at(-1)!.fCnt, published.at(-1)!.payload.toString('hex')], [0, '07']);
    });

    it('brings back a module deaf to its reset command through the hardware reset, and only then', async () => {
      const rig = await joinedRig(fixture);
      const { clock, emulated } = rig;
      const noLine = supervised(fixture, rig);
      await runWhile(clock, noLine.open());
      emulated.hang('dead');
      for (let i = 0; i < 3; i++) await assert.rejects(runWhile(clock, noLine.status()), TimeoutError);
      await assert.rejects(runWhile(clock, noLine.status()), TimeoutError);
      assert.equal(noLine.stats.failedRecoveries, 1, 'without a reset line the module stays hung');

      const rig2 = await joinedRig(fixture);
      let pulled = 0;
      const withLine = supervised(fixture, rig2, {
        hardwareReset: async () => {
          pulled++;
          rig2.emulated.powerCycle();
        },
      });
      await runWhile(rig2.clock, withLine.open());
      rig2.emulated.hang('dead');
      for (let i = 0; i < 3; i++) await assert.rejects(runWhile(rig2.clock, withLine.status()), TimeoutError);
      assert.equal((await runWhile(rig2.clock, withLine.status())).joined, false);
      assert.deepEqual([pulled, withLine.stats.softResets, withLine.stats.hardResets], [1, 0, 1]);
      await runWhile(rig2.clock, withLine.join());
      await runWhile(rig2.clock, withLine.send(2, Uint8Array.from([1])));
      assert.equal(rig2.ns.stats.joins, 2);
    });

    it('opens a port that went away again, with back-off, and carries on over the new stream', async () => {
      const rig = modemRig(fixture);
      const { clock, emulated, published } = rig;
      const attempts: number[] = [];
      const modem = supervised(fixture, rig, {
        reconnect: async () => {
          attempts.push(clock.now());
          if (attempts.length < 4) throw new DisconnectedError('cannot open /dev/ttyUSB0: ENOENT');
          const [host, device] = createDuplexPair({ maxChunk: 5 });
          emulated.attach(device);
          return host;
        },
      });
      await runWhile(clock, modem.open());
      await runWhile(clock, modem.join());
      await runWhile(clock, modem.status());
      await runWhile(clock, modem.send(2, Uint8Array.from([1])));
      const disconnected: Error[] = [];
      modem.on('disconnected', (e) => disconnected.push(e));
      const back = new Promise<string>((resolve) => modem.once('recovered', resolve));
      const goneAt = clock.now();
      rig.host.destroy();
      await clock.advance(0);
      assert.equal(disconnected.length, 1);
      await assert.rejects(modem.status(), DisconnectedError);
      assert.equal(await runWhile(clock, back), 'reconnect');
      assert.deepEqual(
        attempts.map((t) => t - goneAt),
        [1000, 3000, 7000, 15000],
      );
      const status = await runWhile(clock, modem.status());
      if (!status.joined) await runWhile(clock, modem.join());
      await clock.advance(20_000);
      await runWhile(clock, modem.send(2, Uint8Array.from([2])));
      assert.deepEqual(
        published.map((u) => u.payload.toString('hex')),
        ['01', '02'],
      );
      await modem.close();
    });
  });
}
