/**
 * VDV 300 (IBIS) framing: a telegram is ASCII text, then CR (0x0D), then one checksum byte. The
 * checksum rule is one constant here (IBIS_CHECKSUM_SEED) with a golden test. Also the bus's serial
 * settings, for firmware-bindings/transport/serial-port.ts, which alone opens ports.
 * Pure functions and constants; no I/O.
 */
import type { SerialSettings } from '../transport/serial-port.js';

/** The end of a telegram's text. */
export const IBIS_CR = 0x0d;

/**
 * Checksum: XOR of every byte of the telegram text and the CR, starting from 0x7F (FIELD-FACTS.md;
 * pyFIS and ArduinoIBIS compute it the same way). Golden: "l005" -> 6C 30 30 35 0D 2B.
 */
export const IBIS_CHECKSUM_SEED = 0x7f;

/**
 * Longest telegram text accepted before a CR: the longest telegram read here is a destination text
 * of 15 blocks of 16 characters (243 bytes). Longer runs without a CR are line noise.
 */
export const IBIS_MAX_TELEGRAM = 256;

/** 1200 baud, 7 data bits, even parity, 2 stop bits (FIELD-FACTS.md; a level shifter makes the 24 V bus a UART). */
export const IBIS_SERIAL: Readonly<Omit<SerialSettings, 'path'>> = Object.freeze({
  baudRate: 1200,
  dataBits: 7,
  parity: 'even',
  stopBits: 2,
});

/** The checksum of a telegram's text (without CR; the CR is included in the sum). */
export function ibisChecksum(text: Uint8Array): number {
  let sum = IBIS_CHECKSUM_SEED;
  for (const b of text) sum ^= b;
  return sum ^ IBIS_CR;
}

/** One telegram as it goes on the wire: text, CR, checksum. The text must be 7-bit ASCII. */
export function frameTelegram(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  for (const b of bytes) if (b > 0x7f || b === IBIS_CR) throw new RangeError('IBIS telegram text must be 7-bit ASCII without CR');
  return Buffer.concat([bytes, Buffer.from([IBIS_CR, ibisChecksum(bytes)])]);
}
