/**
 * Firmata wire constants and pure codecs shared by the door-board binding and the simulator's
 * StandardFirmata emulator: MIDI-style 3-byte messages (digital port, analog pin, version) and
 * sysex frames (0xF0 … 0xF7) whose payload is 7-bit clean. Values above 7 bits travel as LSB/MSB
 * pairs of 7-bit bytes; strings as one such pair per character.
 *
 * Must never: touch a stream or a clock. These are functions of bytes only.
 */

/** Command bytes (the high bit set). A command byte below 0xF0 carries a channel in its low nibble. */
export const FIRMATA = {
  DIGITAL_MESSAGE: 0x90,
  ANALOG_MESSAGE: 0xe0,
  REPORT_ANALOG: 0xc0,
  REPORT_DIGITAL: 0xd0,
  START_SYSEX: 0xf0,
  SET_PIN_MODE: 0xf4,
  SET_DIGITAL_PIN_VALUE: 0xf5,
  END_SYSEX: 0xf7,
  REPORT_VERSION: 0xf9,
  SYSTEM_RESET: 0xff,
} as const;

/** Sysex command ids (the first payload byte). */
export const SYSEX = {
  ANALOG_MAPPING_QUERY: 0x69,
  ANALOG_MAPPING_RESPONSE: 0x6a,
  CAPABILITY_QUERY: 0x6b,
  CAPABILITY_RESPONSE: 0x6c,
  PIN_STATE_QUERY: 0x6d,
  PIN_STATE_RESPONSE: 0x6e,
  EXTENDED_ANALOG: 0x6f,
  STRING_DATA: 0x71,
  REPORT_FIRMWARE: 0x79,
  SAMPLING_INTERVAL: 0x7a,
} as const;

/** Pin modes as Firmata numbers them. */
export const PIN_MODE = {
  INPUT: 0x00,
  OUTPUT: 0x01,
  ANALOG: 0x02,
  PWM: 0x03,
  SERVO: 0x04,
  I2C: 0x06,
  PULLUP: 0x0b,
} as const;

/** The capability response ends each pin's (mode, resolution) pairs with this byte. */
export const CAPABILITY_PIN_END = 0x7f;
/** An analog mapping entry for a pin that has no analog channel. */
export const NO_ANALOG_CHANNEL = 0x7f;

/** A 14-bit value as LSB, MSB (7 bits each). */
export function to7Bit(value: number): [number, number] {
  return [value & 0x7f, (value >> 7) & 0x7f];
}

export function from7Bit(lsb: number, msb: number): number {
  return (lsb & 0x7f) | ((msb & 0x7f) << 7);
}

/** A string as Firmata sends names: each byte as a 7-bit LSB/MSB pair. */
export function encodeString7(text: string): number[] {
  const out: number[] = [];
  for (const byte of Buffer.from(text, 'utf8')) out.push(...to7Bit(byte));
  return out;
}


/** A sysex frame around a 7-bit payload (the payload's first byte is the sysex command). */
export function sysex(command: number, payload: readonly number[] = []): Buffer {
  for (const b of payload) if (b > 0x7f || b < 0) throw new RangeError(`sysex payload byte ${b} is not 7-bit`);
  return Buffer.from([FIRMATA.START_SYSEX, command, ...payload, FIRMATA.END_SYSEX]);
}

/** DIGITAL_MESSAGE: the input levels of one 8-pin port, one bit per pin. */
export function digitalMessage(port: number, bits: number): Buffer {
  return Buffer.from([FIRMATA.DIGITAL_MESSAGE | (port & 0x0f), bits & 0x7f, (bits >> 7) & 0x01]);
}

export function reportVersionMessage(major: number, minor: number): Buffer {
  return Buffer.from([FIRMATA.REPORT_VERSION, major & 0x7f, minor & 0x7f]);
}

export function firmwareMessage(major: number, minor: number, name: string): Buffer {
  return sysex(SYSEX.REPORT_FIRMWARE, [major & 0x7f, minor & 0x7f, ...encodeString7(name)]);
}
