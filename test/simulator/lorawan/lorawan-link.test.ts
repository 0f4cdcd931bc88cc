import assert from 'node:assert/strict';
import { VirtualClock } from '../../../common/clock.js';
import { createDuplexPair } from '../../../common/duplex-pair.js';
import { Rng } from '../../../common/random.js';
import { Rui3Modem } from '../../../firmware-bindings/lora/rui3.js';
import { Air } from '../../../simulator/lorawan/air.js';
import { EmulatedRui3 } from '../../../simulator/lorawan/emulated-rui3.js';
import { lora } from '../../../simulator/lorawan/lora-packet.js';
import { NetworkServerEmulator } from '../../../simulator/lorawan/network-server.js';
import type { NsUplink } from '../../../simulator/lorawan/uplink-event.js';
import { chirpStackUplinkEvent } from '../../../simulator/lorawan/uplink-event.js';
import { runWhile } from '../../helpers/modem-rig.js';

// Plainly test keys.
const TEST_DEVICE = { devEui: '70b3d57ed0001234', joinEui: '70b3d57ed0000000', appKey: '000102030405060708090a0b0c0d0e0f' };

function rig(options: { uplinkLoss?: number; coverage?: (t: number) => boolean } = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 23, 5, 0, 0));
  const rng = new Rng(7);
  const air = new Air(clock, rng.fork('air'), {
    inCoverage: (_dev, t) => options.coverage?.(t) ?? true,
    uplinkLoss: options.uplinkLoss ?? 0,
    downlinkLoss: 0,
  });
  const published: NsUplink[] = [];
  const ns = new NetworkServerEmulator(clock, rng.fork('ns'), {
    applicationId: 'app-1',
    applicationName: 'havag-occupancy',
    tenantId: 'tenant-1',
    netId: '000013',
    publish: (u) => published.push(u),
  });
  air.attach(ns);
  ns.register({ ...TEST_DEVICE, name: 'tram-661' });
  const [host, device] = createDuplexPair({ maxChunk: 7 });
  const emulated = new EmulatedRui3(device, clock, air, rng.fork('modem'), { factoryDevEui: TEST_DEVICE.devEui });
  const modem = new Rui3Modem(host, clock, { credentials: TEST_DEVICE, joinBackoffMs: { first: 10_000, factor: 2, max: 60_000 } });
  return { clock, air, ns, published, emulated, modem };
}

describe('RUI3 driver against the emulated module, the air and the network server', () => {
  it('joins over OTAA and delivers an uplink the network server can decrypt', async () => {
    const { clock, modem, published, ns } = rig();
    await runWhile(clock, modem.open());
    await runWhile(clock, modem.join());
    assert.equal(ns.stats.joins, 1);
    const status = await runWhile(clock, modem.status());
    assert.equal(status.joined, true);
    const result = await runWhile(clock, modem.send(2, Uint8Array.from([1, 2, 3, 4])));
    assert.equal(result.delivered, true);
    assert.equal(published.length, 1);
    assert.deepEqual([...published[0]!.payload], [1, 2, 3, 4]);
    assert.equal(published[0]!.fPort, 2);
    const event = chirpStackUplinkEvent(published[0]!);
    assert.equal(event['data'], Buffer.from([1, 2, 3, 4]).toString('base64'));
    assert.equal('fCnt' in event, false, 'ChirpStack leaves out a zero fCnt');
  });

  it('delivers a queued downlink in RX1 as a downlink event', async () => {
    const { clock, modem, ns } = rig();
    await runWhile(clock, modem.open());
    await runWhile(clock, modem.join());
    await runWhile(clock, modem.status());
    ns.enqueueDownlink(TEST_DEVICE.devEui, { fPort: 10, payload: Buffer.from('0807', 'hex'), confirmed: false });
    const got: Array<{ fPort: number; payload: Uint8Array }> = [];
    modem.on('downlink', (d) => got.push(d));
    await runWhile(clock, modem.send(1, Uint8Array.from([9])));
    assert.equal(got.length, 1);
    assert.equal(got[0]!.fPort, 10);
    assert.equal(Buffer.from(got[0]!.payload).toString('hex'), '0807');
  });

  it('keeps trying to join with back-off while out of coverage, then joins', async () => {
    const start = Date.UTC(2026, 10, 23, 5, 0, 0);
    const { clock, modem, ns } = rig({ coverage: (t) => t > start + 5 * 60_000 });
    await runWhile(clock, modem.open());
    await runWhile(clock, modem.join(), 3_600_000);
    assert.equal(ns.stats.joins, 1);
    assert.ok(clock.now() > start + 5 * 60_000);
  });

  it('is refused by the module inside the duty-cycle off time', async () => {
    const { clock, modem } = rig();
    await runWhile(clock, modem.open());
    await runWhile(clock, modem.join());
    await runWhile(clock, modem.status());
    await runWhile(clock, modem.send(2, new Uint8Array(50)));
    await assert.rejects(runWhile(clock, modem.send(2, new Uint8Array(50))), (e: Error & { code?: string }) => e.code === 'busy');
  });
});

describe('lora-packet test vectors (FIELD-FACTS.md)', () => {
  it('checks the MIC and decrypts the reference data-up frame', () => {
    const packet = lora.fromWire(Buffer.from('40F17DBE4900020001954378762B11FF0D', 'hex'));
    const nwkSKey = Buffer.from('44024241ed4ce9a68c6a8bc055233fd3', 'hex');
    const appSKey = Buffer.from('ec925802ae430ca77fd3dd73cb2cc588', 'hex');
    assert.equal(packet.MIC!.toString('hex'), '2b11ff0d');
    assert.equal(lora.verifyMIC(packet, nwkSKey), true);
    assert.equal(lora.decrypt(packet, appSKey, nwkSKey).toString(), 'test');
  });

  it('derives the reference session keys from the AppKey', () => {
    const keys = lora.generateSessionKeys(
      Buffer.from('98929b92c49edba9676d646d3b612456', 'hex'),
      Buffer.from('aabbcc', 'hex'),
      Buffer.from('376338', 'hex'),
      Buffer.from('f18e', 'hex'),
    );
    assert.equal(keys.NwkSKey.toString('hex'), '4e3d6e6afbcc67af2ba3c8e8ec4acf4b');
    assert.equal(keys.AppSKey.toString('hex'), '610897aa6f1460623443b527d3ac6a9d');
  });
});
