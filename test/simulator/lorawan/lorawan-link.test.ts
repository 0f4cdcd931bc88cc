import assert from 'node:assert/strict';
import { lora } from '../../../simulator/lorawan/lora-packet.js';

// The RUI3 link tests (join, uplink, downlink, join back-off, duty cycle) run for both dialects in
// test/firmware-bindings/lora/modem-dialects.test.ts.

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
