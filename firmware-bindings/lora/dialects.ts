/**
 * The modem dialects this build speaks, by the name the vehicle config uses: each one's serial
 * settings and driver. Adding a dialect means a driver file and a line here; nothing above the
 * LoraModem interface changes. Must never open ports (the caller hands in the stream).
 */
import type { Duplex } from 'node:stream';
import type { Clock } from '../../common/clock.js';
import type { SerialSettings } from '../transport/serial-port.js';
import type { DialectDriver, DialectOptions } from './dialect-common.js';
import type { ModemDialect } from './modem.js';
import { RN2483_SERIAL, Rn2483Modem } from './rn2483.js';
import { RUI3_SERIAL, Rui3Modem } from './rui3.js';

export interface ModemDialectEntry {
  serial: Omit<SerialSettings, 'path'>;
  create(stream: Duplex, clock: Clock, options: DialectOptions): DialectDriver;
}

export const MODEM_DIALECTS: Readonly<Record<ModemDialect, ModemDialectEntry>> = Object.freeze({
  rui3: { serial: RUI3_SERIAL, create: (stream, clock, options) => new Rui3Modem(stream, clock, options) },
  rn2483: { serial: RN2483_SERIAL, create: (stream, clock, options) => new Rn2483Modem(stream, clock, options) },
});
