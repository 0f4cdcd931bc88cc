import assert from 'node:assert/strict';
import { ProtocolError } from '../../../common/errors.js';
import { Rui3Modem } from '../../../firmware-bindings/lora/rui3.js';
import { TEST_DEVICE, runWhile, scriptedPeer } from '../../helpers/modem-rig.js';

/** A RUI3 module that takes every setting, is not joined, runs at DR5, and answers JOIN and SEND as the test says. */
function rui3Module(onJoin: () => string[], onSend: (line: string) => string[]) {
  return scriptedPeer(
    (line) => {
      if (line === 'AT+NJS=?') return ['AT+NJS=0', '', 'OK'];
      if (line === 'AT+DR=?') return ['AT+DR=5', '', 'OK'];
      if (line.startsWith('AT+JOIN=')) return onJoin();
      if (line.startsWith('AT+SEND=')) return onSend(line);
      return ['', 'OK'];
    },
    (host, clock) => new Rui3Modem(host, clock, { credentials: TEST_DEVICE, commandTimeoutMs: 500, joinBackoffMs: { first: 1000, factor: 2, max: 4000 } }),
  );
}

describe('RUI3 driver: spellings and statuses', () => {
  it('takes the old firmware spellings of the join and confirmed-send events', async () => {
    let joins = 0;
    const { clock, modem } = rui3Module(
      () => (++joins === 1 ? ['OK', '+EVT:JOIN FAILED RX TIMEOUT'] : ['OK', '+EVT:JOINED']),
      () => ['OK', '+EVT:SEND CONFIRMED OK'],
    );
    await runWhile(clock, modem.open());
    await runWhile(clock, modem.join());
    assert.equal(joins, 2, 'the first round failed in the old spelling, the second joined');
    await runWhile(clock, modem.status());
    assert.deepEqual(await runWhile(clock, modem.send(2, Uint8Array.from([1]), { confirmed: true })), { delivered: true, dr: 5 });
  });

  for (const [status, code] of [
    ['AT_BUSY_ERROR', 'busy'],
    ['AT_DUTYCYCLE_RESTRICTED', 'duty-cycle'],
    ['AT_NO_NETWORK_JOINED', 'not-joined'],
    ['AT_PARAM_ERROR', 'rejected'],
    ['AT_ERROR', 'rejected'],
  ] as const) {
    it(`maps ${status} on AT+SEND to '${code}'`, async () => {
      const { clock, modem } = rui3Module(() => ['OK', '+EVT:JOINED'], () => ['', status]);
      await runWhile(clock, modem.open());
      await runWhile(clock, modem.status());
      await assert.rejects(runWhile(clock, modem.send(2, Uint8Array.from([1]))), (e: unknown) => e instanceof ProtocolError && e.code === code);
    });
  }
});
