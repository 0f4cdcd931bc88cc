import assert from 'node:assert/strict';
import { ProtocolError, TimeoutError } from '../../../common/errors.js';
import { RN2483_ERRORS, Rn2483Modem, parseMacRx } from '../../../firmware-bindings/lora/rn2483.js';
import type { EmulatedRn2483 } from '../../../simulator/lorawan/emulated-rn2483.js';
import { DIALECTS, TEST_DEVICE, modemRig, runWhile, scriptedPeer } from '../../helpers/modem-rig.js';

const RN2483 = DIALECTS.find((d) => d.dialect === 'rn2483')!;
const BANNER = 'RN2483 1.0.5 Oct 31 2018 15:06:52';

function scriptedModule(script: (line: string) => string[] | undefined) {
  return scriptedPeer(script, (host, clock) => new Rn2483Modem(host, clock, { credentials: TEST_DEVICE, commandTimeoutMs: 500, joinBackoffMs: { first: 1000, factor: 2, max: 4000 } }));
}

/** Answers the set-up commands as a fresh module does; `tx` and `join` as the test says. */
function setupScript(rest: (line: string) => string[] | undefined): (line: string) => string[] | undefined {
  return (line) => {
    if (line === 'sys get ver' || line === 'sys reset') return [BANNER];
    if (line === 'mac get status') return ['00000000'];
    if (line === 'mac get dr') return ['5'];
    if (line.startsWith('mac reset') || line.startsWith('mac set ')) return ['ok'];
    return rest(line);
  };
}

describe('RN2483 driver: the exact strings', () => {
  it('configures the module with the documented commands, in order, keys in upper case', async () => {
    const rig = modemRig(RN2483, { driver: { adr: false, dr: 3 } });
    await runWhile(rig.clock, rig.modem.open());
    assert.deepEqual(
      rig.toModule.map((l) => l.line),
      [
        'sys get ver',
        'mac reset 868',
        'mac set deveui 70B3D57ED0001234',
        'mac set appeui 70B3D57ED0000000',
        'mac set appkey 000102030405060708090A0B0C0D0E0F',
        'mac set adr off',
        'mac set dr 3',
        'mac get status',
      ],
    );
    assert.deepEqual(
      rig.fromModule.map((l) => l.line),
      [BANNER, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', '00000000'],
    );
  });

  it('joins with `mac join otaa` (ok, then accepted) and sends `mac tx uncnf|cnf <port> <HEX>`', async () => {
    const rig = modemRig(RN2483);
    const { clock, modem } = rig;
    await runWhile(clock, modem.open());
    await runWhile(clock, modem.join());
    await runWhile(clock, modem.status());
    await runWhile(clock, modem.send(17, Uint8Array.from([0xab, 0x01])));
    await clock.advance(30_000);
    assert.equal((await runWhile(clock, modem.send(18, Uint8Array.from([0xcd]), { confirmed: true }))).delivered, true);
    const sent = rig.toModule.map((l) => l.line).filter((l) => l.startsWith('mac join') || l.startsWith('mac tx'));
    assert.deepEqual(sent, ['mac join otaa', 'mac tx uncnf 17 AB01', 'mac tx cnf 18 CD']);
    const replies = rig.fromModule.map((l) => l.line).filter((l) => ['accepted', 'mac_tx_ok', 'denied', 'mac_err'].includes(l));
    assert.deepEqual(replies, ['accepted', 'mac_tx_ok', 'mac_tx_ok']);
    assert.deepEqual(
      rig.published.map((u) => [u.fPort, u.confirmed]),
      [
        [17, false],
        [18, true],
      ],
    );
  });

  for (const [word, code] of Object.entries(RN2483_ERRORS)) {
    it(`maps \`${word}\` in answer to mac tx to the ProtocolError code '${code}'`, async () => {
      const { clock, modem } = scriptedModule(setupScript((line) => (line.startsWith('mac tx') ? [word] : undefined)));
      await runWhile(clock, modem.open());
      await runWhile(clock, modem.status());
      await assert.rejects(runWhile(clock, modem.send(2, Uint8Array.from([1]))), (error: unknown) => {
        assert.ok(error instanceof ProtocolError);
        assert.equal(error.code, code);
        assert.match(error.message, new RegExp(`^mac tx: ${word}$`));
        return true;
      });
    });
  }

  it('reads the second response of mac tx: mac_err is an undelivered frame, invalid_data_len a payload too long', async () => {
    let second = 'mac_err';
    const { clock, modem } = scriptedModule(setupScript((line) => (line.startsWith('mac tx') ? ['ok', second] : undefined)));
    await runWhile(clock, modem.open());
    await runWhile(clock, modem.status());
    assert.deepEqual(await runWhile(clock, modem.send(2, Uint8Array.from([1]), { confirmed: true })), { delivered: false, dr: 5 });
    second = 'invalid_data_len';
    await assert.rejects(runWhile(clock, modem.send(2, Uint8Array.from([1]))), (e: ProtocolError) => e.code === 'payload-too-long');
    second = 'mac_rx 9 0A0B';
    const downlinks: string[] = [];
    modem.on('downlink', (d) => downlinks.push(`${d.fPort}:${Buffer.from(d.payload).toString('hex')}`));
    assert.equal((await runWhile(clock, modem.send(2, Uint8Array.from([1])))).delivered, true);
    assert.deepEqual(downlinks, ['9:0a0b']);
  });

  it('names the command, never the key, when the module does not answer', async () => {
    const silent = scriptedModule((line) => (line === 'sys get ver' ? [BANNER] : line.startsWith('mac set appkey') ? undefined : ['ok']));
    await assert.rejects(runWhile(silent.clock, silent.modem.open()), (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.command, 'mac set appkey');
      assert.ok(!error.message.toLowerCase().includes(TEST_DEVICE.appKey));
      return true;
    });
  });

  it('lets only a response of the expected shape finish a command; anything else is skipped and counted', async () => {
    const setup = setupScript(() => undefined);
    const { clock, modem } = scriptedModule((line) => (line === 'mac get dr' ? ['constructor', 'ok', '00000001', 'mac_tx_ok', '3'] : setup(line)));
    await runWhile(clock, modem.open());
    const before = modem.counters.unknownLines;
    assert.equal((await runWhile(clock, modem.status())).dr, 3);
    assert.equal(modem.counters.unknownLines - before, 3, 'constructor, ok and 00000001 (mac_tx_ok is a known second response)');
  });

  it('parses mac_rx strictly', () => {
    assert.deepEqual(parseMacRx('mac_rx 1 00FF'), { fPort: 1, payload: Buffer.from([0, 255]) });
    assert.deepEqual(parseMacRx('mac_rx 223'), { fPort: 223, payload: Buffer.alloc(0) });
    for (const bad of ['mac_rx 0 00', 'mac_rx 224 00', 'mac_rx 1 0', 'mac_rx 1 zz', 'mac_rx', 'mac_rx  1 00']) assert.equal(parseMacRx(bad), undefined, bad);
  });
});

describe('RN2483 driver: recovering from what the module says', () => {
  async function joined() {
    const rig = modemRig(RN2483);
    await runWhile(rig.clock, rig.modem.open());
    await runWhile(rig.clock, rig.modem.join());
    await runWhile(rig.clock, rig.modem.status());
    return { ...rig, emulated: rig.emulated as EmulatedRn2483 };
  }

  it('frame_counter_err_rejoin_needed: not joined any more; a join gives a new session', async () => {
    const { clock, modem, emulated, ns } = await joined();
    emulated.mac.session!.fCntUp = 0xffffffff;
    await assert.rejects(runWhile(clock, modem.send(2, Uint8Array.from([1]))), (e: ProtocolError) => e.code === 'not-joined');
    await runWhile(clock, modem.join());
    await runWhile(clock, modem.send(2, Uint8Array.from([1])));
    assert.equal(ns.stats.joins, 2);
  });

  it('mac_paused: the driver resumes the MAC, says busy, and the next send goes', async () => {
    const { clock, modem, host, published, toModule } = await joined();
    host.write('mac pause\r\n');
    await clock.advance(10);
    await assert.rejects(runWhile(clock, modem.send(2, Uint8Array.from([1]))), (e: ProtocolError) => e.code === 'busy');
    assert.equal(toModule.at(-1)!.line, 'mac resume');
    await runWhile(clock, modem.send(2, Uint8Array.from([1])));
    assert.equal(published.length, 1);
  });

  it('silent: refused, and the driver does not lift the network\'s silence itself', async () => {
    const { clock, modem, emulated, toModule } = await joined();
    emulated.silence();
    await assert.rejects(runWhile(clock, modem.send(2, Uint8Array.from([1]))), (e: ProtocolError) => e.code === 'rejected' && /silent/.test(e.message));
    assert.ok(!toModule.some((l) => l.line === 'mac forceENABLE'));
  });

  it('a module that restarted on its own (banner unasked) is configured again before it joins', async () => {
    const { clock, modem, emulated, toModule, ns } = await joined();
    emulated.powerCycle();
    emulated.writeRaw(`${emulated.banner}\r\n`);
    await clock.advance(10);
    assert.equal((await runWhile(clock, modem.status())).joined, false);
    const mark = toModule.length;
    await runWhile(clock, modem.join());
    const after = toModule.slice(mark).map((l) => l.line);
    assert.deepEqual(after.slice(0, 2), ['mac reset 868', 'mac set deveui 70B3D57ED0001234']);
    assert.equal(after.at(-1), 'mac join otaa');
    assert.equal(ns.stats.joins, 2);
    assert.equal(modem.counters.unknownLines, 0, 'the banner is understood, not skipped');
  });

  it('keys_not_init on join: the driver configures the module again and the next round joins', async () => {
    const rig = modemRig(RN2483);
    const { clock, modem, ns, toModule } = rig;
    await runWhile(clock, modem.open());
    // Behind the driver's back, the module loses its settings (a reset whose banner was lost in noise).
    rig.host.write('mac reset 868\r\n');
    await clock.advance(10);
    await runWhile(clock, modem.join());
    assert.equal(ns.stats.joins, 1);
    const joins = toModule.filter((l) => l.line === 'mac join otaa').length;
    assert.equal(joins, 2, 'one refused with keys_not_init, one accepted');
    assert.ok(rig.fromModule.some((l) => l.line === 'keys_not_init'));
  });
});
