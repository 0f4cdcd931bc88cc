import assert from 'node:assert/strict';
import fc from 'fast-check';
import { configureLogging, currentLogLevel } from '../../../common/log.js';
import { redactModemLine } from '../../../firmware-bindings/lora/redact.js';
import { Rn2483Modem } from '../../../firmware-bindings/lora/rn2483.js';
import { Rui3Modem } from '../../../firmware-bindings/lora/rui3.js';
import { runWhile, scriptedPeer } from '../../helpers/modem-rig.js';

// A key no test elsewhere uses, so a hit can only come from this test's module.
const KEY = 'c3a1f00dbeefcafe0123456789abcdef';
const CREDENTIALS = { devEui: '70b3d57ed0001234', joinEui: '70b3d57ed0000000', appKey: KEY };
const hexKey = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex'));

/** Every spelling of the key a log could carry it in. */
function keyForms(key: string): string[] {
  return [key.toLowerCase(), key.toUpperCase(), Buffer.from(key, 'hex').toString('base64')];
}

describe('modem line redaction', () => {
  it('removes any AppKey from key commands, their echoes and stray key-length tokens', () => {
    fc.assert(
      fc.property(
        hexKey,
        fc.constantFrom('AT+APPKEY=', 'AT+APPKEY = ', 'at+appkey=', 'AT+NWKSKEY=', 'AT+APPSKEY=', 'mac set appkey ', 'MAC SET APPKEY ', 'mac set nwkskey ', '', '+EVT:', 'AT+APPKEY=?\r'),
        fc.boolean(),
        fc.string({ maxLength: 20 }),
        (key, prefix, upper, tail) => {
          const line = `${prefix}${upper ? key.toUpperCase() : key}${tail.replace(/[0-9a-fA-F]/g, 'x')}`;
          const out = redactModemLine(line);
          for (const form of keyForms(key).slice(0, 2)) assert.ok(!out.includes(form), `${JSON.stringify(line)} -> ${JSON.stringify(out)}`);
        },
      ),
    );
  });

  it('removes the secrets it is given wherever they stand, in any case', () => {
    fc.assert(
      fc.property(hexKey, fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (key, before, after) => {
        const out = redactModemLine(`${before}${key.toUpperCase()}${after}`, [key]);
        assert.ok(!out.toLowerCase().includes(key));
      }),
    );
  });

  it('leaves lines without keys alone', () => {
    for (const line of ['+EVT:JOINED', 'AT+SEND=2:0a0b0c', 'mac_rx 10 0a0b', 'RN2483 1.0.5 Oct 31 2019 10:14:29', 'AT+DEVEUI=70B3D57ED0001234']) {
      assert.equal(redactModemLine(line, [KEY]), line);
    }
  });
});

describe('modem drivers never log the AppKey a module echoes', () => {
  const logs: string[] = [];
  let level: ReturnType<typeof currentLogLevel>;
  beforeEach(() => {
    logs.length = 0;
    level = currentLogLevel();
    configureLogging({ destination: { write: (line: string) => logs.push(line) }, level: 'trace' });
  });
  afterEach(() => configureLogging({ destination: { write: (line: string) => process.stderr.write(line) }, level }));

  function assertNoKey(): void {
    assert.ok(logs.some((l) => l.includes('unrecognised line') && l.includes('<redacted>')), `the echoes were logged (redacted):\n${logs.join('')}`);
    const all = logs.join('');
    for (const form of keyForms(KEY)) assert.ok(!all.includes(form), `the AppKey (${form}) is in the log`);
  }

  it('RUI3 with command echo on (AT+APPKEY=… comes back), and a key query answered unasked', async () => {
    const { clock, modem, heard } = scriptedPeer(
      (line) => {
        if (line === 'AT+NJS=?') return [line, 'AT+NJS=0', '', 'OK'];
        return [line, '', 'OK'];
      },
      (host, c) => new Rui3Modem(host, c, { credentials: CREDENTIALS, commandTimeoutMs: 500, joinBackoffMs: { first: 1000, factor: 2, max: 4000 } }),
    );
    await runWhile(clock, modem.open());
    assert.ok(heard.includes(`AT+APPKEY=${KEY.toUpperCase()}`), 'the key went to the module');
    assertNoKey();
    await modem.close();
  });

  it('RN2483 echoing `mac set appkey …`', async () => {
    const { clock, modem } = scriptedPeer(
      (line) => {
        if (line === 'sys get ver') return [line, 'RN2483 1.0.5 Oct 31 2019 10:14:29'];
        if (line === 'mac get status') return [line, '00000000'];
        if (line === 'mac get dr') return [line, '5'];
        // A confused module also prints the key on its own line.
        if (line.startsWith('mac set appkey')) return [line, KEY, 'ok'];
        return [line, 'ok'];
      },
      (host, c) => new Rn2483Modem(host, c, { credentials: CREDENTIALS, commandTimeoutMs: 500, joinBackoffMs: { first: 1000, factor: 2, max: 4000 } }),
    );
    await runWhile(clock, modem.open());
    assertNoKey();
    await modem.close();
  });
});
