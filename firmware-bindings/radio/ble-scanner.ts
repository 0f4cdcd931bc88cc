/**
 * Bluetooth LE advertisements from the Pi's own radio, through @stoprocent/noble. Hands on the
 * advertiser's address and RSSI the moment they are heard, to a callback that must pseudonymise
 * them at once; this module keeps nothing, logs no address, and never connects to a device.
 * noble's types do not leave this file; noble is imported only when a scan starts, so machines
 * without Bluetooth (the bench, CI) never load it.
 */
import type { EventEmitter } from 'node:events';
import { moduleLogger } from '../../common/log.js';

const log = moduleLogger('radio.ble');

/** The part of noble this scanner uses (so a test can hand in a stand-in). */
export interface NobleLike extends EventEmitter {
  readonly state?: string;
  startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

interface PeripheralLike {
  address?: string;
  id?: string;
  rssi?: number;
}

export interface BleSighting {
  address: string;
  rssi: number;
}

export class BleScanner {
  private noble: NobleLike | undefined;
  readonly counters = { advertisements: 0, withoutAddress: 0 };
  private readonly onDiscover = (p: PeripheralLike): void => {
    const address = p.address && p.address !== 'unknown' ? p.address : p.id;
    if (!address || typeof p.rssi !== 'number') {
      this.counters.withoutAddress++;
      return;
    }
    this.counters.advertisements++;
    this.onSighting({ address, rssi: p.rssi });
  };

  constructor(
    private readonly onSighting: (sighting: BleSighting) => void,
    private readonly load: () => Promise<NobleLike> = loadNoble,
  ) {}

  async start(): Promise<void> {
    this.noble = await this.load();
    const noble = this.noble;
    noble.on('discover', this.onDiscover);
    if (noble.state !== 'poweredOn') {
      await new Promise<void>((resolve) => {
        const onState = (state: string): void => {
          if (state === 'poweredOn') {
            noble.off('stateChange', onState);
            resolve();
          } else log.warn({ state }, 'Bluetooth adapter not powered on; waiting');
        };
        noble.on('stateChange', onState);
      });
    }
    // Duplicates allowed: a phone that stays on board is heard again at every stop.
    await noble.startScanningAsync([], true);
    log.info('BLE scan running');
  }

  async stop(): Promise<void> {
    if (!this.noble) return;
    this.noble.off('discover', this.onDiscover);
    await this.noble.stopScanningAsync();
  }
}

async function loadNoble(): Promise<NobleLike> {
  const mod = (await import('@stoprocent/noble')) as unknown as { default?: NobleLike } & NobleLike;
  return mod.default ?? mod;
}
