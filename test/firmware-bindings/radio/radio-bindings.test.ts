import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { BleScanner, type BleSighting, type NobleLike } from '../../../firmware-bindings/radio/ble-scanner.js';
import { parseProbeLine, WifiProbeParser, type WifiSighting } from '../../../firmware-bindings/radio/wifi-probe-parser.js';

class FakeNoble extends EventEmitter implements NobleLike {
  state = 'poweredOff';
  scanning: { allowDuplicates?: boolean } | undefined;
  async startScanningAsync(_uuids?: string[], allowDuplicates?: boolean): Promise<void> {
    this.scanning = { ...(allowDuplicates !== undefined ? { allowDuplicates } : {}) };
  }
  async stopScanningAsync(): Promise<void> {
    this.scanning = undefined;
  }
}

describe('BLE scanner', () => {
  it('waits for the adapter, scans with duplicates, and hands on address and RSSI', async () => {
    const noble = new FakeNoble();
    const got: BleSighting[] = [];
    const scanner = new BleScanner((s) => got.push(s), async () => noble);
    const started = scanner.start();
    await new Promise((r) => setImmediate(r));
    assert.equal(noble.scanning, undefined, 'not before the adapter is powered on');
    noble.state = 'poweredOn';
    noble.emit('stateChange', 'poweredOn');
    await started;
    assert.deepEqual(noble.scanning, { allowDuplicates: true });
    noble.emit('discover', { address: '4a:11:22:33:44:55', rssi: -60 });
    noble.emit('discover', { address: 'unknown', id: 'abcdef', rssi: -70 });
    noble.emit('discover', { address: '4a:11:22:33:44:56' });
    assert.deepEqual(got, [
      { address: '4a:11:22:33:44:55', rssi: -60 },
      { address: 'abcdef', rssi: -70 },
    ]);
    assert.equal(scanner.counters.withoutAddress, 1);
    await scanner.stop();
    assert.equal(noble.scanning, undefined);
  });
});

describe('WiFi probe parser', () => {
  async function parse(text: string, chunk = 7): Promise<{ sightings: WifiSighting[]; parser: WifiProbeParser }> {
    const parser = new WifiProbeParser();
    const sightings: WifiSighting[] = [];
    parser.on('data', (s: WifiSighting) => sightings.push(s));
    for (let i = 0; i < text.length; i += chunk) parser.write(text.slice(i, i + chunk));
    parser.end();
    await new Promise((r) => parser.on('end', r).resume());
    return { sightings, parser };
  }

  it('reads tshark field lines, across chunk boundaries', async () => {
    const { sightings } = await parse('1795413600.250\tDA:A1:19:00:11:22\t-67\n1795413601.000\t02:00:00:aa:bb:cc\t-71,-73\n');
    assert.deepEqual(sightings, [
      { at: 1795413600250, address: 'da:a1:19:00:11:22', rssi: -67 },
      { at: 1795413601000, address: '02:00:00:aa:bb:cc', rssi: -71 },
    ]);
  });

  it('counts bad lines by reason and reads the next good one', async () => {
    const { sightings, parser } = await parse(['x', '0\t02:00:00:00:00:01\t-50', '1\tnot-a-mac\t-50', '1\t02:00:00:00:00:01\tloud', `1\t${'a'.repeat(400)}`, '2\t02:00:00:00:00:02\t-55', ''].join('\n'));
    assert.equal(sightings.length, 1);
    assert.deepEqual(parser.errors, { fields: 1, time: 1, address: 1, signal: 1, 'too-long': 1 });
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (line) => {
        const r = parseProbeLine(line);
        assert.ok(typeof r === 'string' || (Number.isFinite(r.at) && r.rssi <= 0));
      }),
      { numRuns: 2000 },
    );
  });
});
