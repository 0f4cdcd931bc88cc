/**
 * The IBIS (VDV 300) telegrams this gateway reads, both ways: `decodeTelegram` turns the text of one
 * checksum-verified telegram into a typed value, `encodeTelegram` writes one (for the emulated
 * on-board computer). Pure functions, no I/O, no logging.
 *
 * Sources for the telegram letters (VDV 300 itself is not public): /work/shared/docs/FIELD-FACTS.md,
 * and two open implementations that agree with each other: CatoLynx/pyFIS
 * (pyfis/ibis/ibis_protocol.py) and iUltimateLP/ArduinoIBIS (src/ArduinoIBIS.h): DS005 time is
 * `u` + HHMM, DS006 date is `d` + DDMMY (one year digit), DS007 is `w` + train length (not personal).
 *
 * Must never: return a telegram that identifies a person (driver or staff number). Such telegrams
 * decode to `{ type: 'personal' }` without their digits, so no caller can keep or log them.
 */

/** VDV hex digits: 0-9 then ':' ';' '<' '=' '>' '?' for 10..15 (used in block counts). */
export const VDV_HEX_DIGITS = '0123456789:;<=>?';

/**
 * VDV 300 writes German letters in the places of seven ASCII characters (7-bit bus):
 * ä '{', ö '|', ü '}', ß '~', Ä '[', Ö '\', Ü ']'.
 */
export const UMLAUT_MAP: Readonly<Record<string, string>> = {
  ä: '{',
  ö: '|',
  ü: '}',
  ß: '~',
  Ä: '[',
  Ö: '\\',
  Ü: ']',
};
const UMLAUT_BACK: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(UMLAUT_MAP).map(([k, v]) => [v, k]));

/** Telegram letters of DS005 (time) and DS006 (date). Both sources above agree; change here only. */
export const TIME_TELEGRAM_PREFIX = 'u';
export const DATE_TELEGRAM_PREFIX = 'd';

/** Text blocks: the destination text (zA) comes in blocks of 16 characters, the next-stop text (zI) in blocks of 4. */
export const DESTINATION_TEXT_BLOCK = 16;
export const STOP_TEXT_BLOCK = 4;
/** A block count is one VDV hex digit, so texts have at most 15 blocks. */
const MAX_BLOCKS = 15;

/**
 * Telegrams that carry the number of a person (driver log-on, staff number). The open sources above
 * list none among DS001-DS010 (DS004 `e` carries ticket-validator attributes, DS007 `w` the train
 * length), but on-board computers send the driver's number to ticket printers as a vendor telegram.
 * ASSUMED letter, unconfirmed: `f` + 1-8 digits. Whatever the real letter, a telegram not in the
 * table below is dropped unread as 'unknown', so a wrong guess here changes a counter, never what
 * is kept. `prefix` decides the drop; `pattern` is the strict form used while resynchronising.
 */
export const PERSONAL_TELEGRAMS: ReadonlyArray<{ name: string; prefix: string; pattern: RegExp }> = [
  { name: 'driver number', prefix: 'f', pattern: /^f\d{1,8}$/ },
];

export type IbisTelegram =
  | { kind: 'line'; ds: 'DS001'; line: number }
  | { kind: 'lineText'; ds: 'DS001neu'; line: string }
  | { kind: 'course'; ds: 'DS002'; course: number }
  | { kind: 'destination'; ds: 'DS003'; destination: number }
  | { kind: 'destinationText'; ds: 'DS003a'; text: string }
  | { kind: 'nextStopText'; ds: 'DS003c'; text: string }
  | { kind: 'validatorStop'; ds: 'DS004b'; stop: number }
  | { kind: 'time'; ds: 'DS005'; hour: number; minute: number }
  | { kind: 'date'; ds: 'DS006'; day: number; month: number; yearDigit: number }
  | { kind: 'stop'; ds: 'DS010'; stop: number };

export type DecodeResult =
  | { type: 'telegram'; telegram: IbisTelegram }
  /** `strict`: the whole telegram has the personal telegram's exact form (not just its prefix). */
  | { type: 'personal'; strict: boolean }
  | { type: 'unknown' }
  /** A known telegram with a value out of range (e.g. hour 25). */
  | { type: 'malformed' };

const UNKNOWN: DecodeResult = { type: 'unknown' };
const MALFORMED: DecodeResult = { type: 'malformed' };

function ok(telegram: IbisTelegram): DecodeResult {
  return { type: 'telegram', telegram };
}

/** IBIS text to Unicode: the umlaut places back to letters, padding removed. */
export function decodeText(text: string): string {
  return text.replace(/[{|}~[\\\]]/g, (c) => UMLAUT_BACK[c] ?? c).trimEnd();
}

/** Unicode to IBIS text: umlauts to their places, other accents dropped, anything else non-printable to '?'. */
export function encodeText(text: string): string {
  // The reserved places may not appear literally: they would read back as umlauts.
  const mapped = text.replace(/[{|}~[\\\]]/g, '?').replace(/[äöüßÄÖÜ]/g, (c) => UMLAUT_MAP[c] ?? c);
  return mapped
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '?');
}

function blockText(body: string, blockSize: number): DecodeResult | string {
  const blocks = VDV_HEX_DIGITS.indexOf(body[0] ?? '');
  if (blocks < 0) return UNKNOWN;
  const text = body.slice(1);
  if (text.length !== blocks * blockSize) return UNKNOWN;
  return decodeText(text);
}

/**
 * Decodes the text of one telegram (between the start and the CR, checksum already verified).
 * `bytes` must be the telegram's raw bytes: anything outside printable 7-bit ASCII is unknown.
 */
export function decodeTelegram(bytes: Uint8Array): DecodeResult {
  for (const b of bytes) if (b < 0x20 || b > 0x7e) return UNKNOWN;
  const t = Buffer.from(bytes).toString('latin1');
  for (const rule of PERSONAL_TELEGRAMS) {
    if (t.startsWith(rule.prefix)) return { type: 'personal', strict: rule.pattern.test(t) };
  }
  let m: RegExpExecArray | null;
  if ((m = /^l(\d{3})$/.exec(t))) return ok({ kind: 'line', ds: 'DS001', line: Number(m[1]) });
  if ((m = /^q([0-9A-Za-z ]{4})$/.exec(t))) return ok({ kind: 'lineText', ds: 'DS001neu', line: m[1]!.trim() });
  if ((m = /^k(\d{2})$/.exec(t))) return ok({ kind: 'course', ds: 'DS002', course: Number(m[1]) });
  if ((m = /^z(\d{3})$/.exec(t))) return ok({ kind: 'destination', ds: 'DS003', destination: Number(m[1]) });
  if (t.startsWith('zA') || t.startsWith('zI')) {
    const dest = t[1] === 'A';
    const text = blockText(t.slice(2), dest ? DESTINATION_TEXT_BLOCK : STOP_TEXT_BLOCK);
    if (typeof text !== 'string') return text;
    return ok(dest ? { kind: 'destinationText', ds: 'DS003a', text } : { kind: 'nextStopText', ds: 'DS003c', text });
  }
  if ((m = /^x(\d{4})$/.exec(t))) return ok({ kind: 'stop', ds: 'DS010', stop: Number(m[1]) });
  if ((m = /^eH(\d{7})$/.exec(t))) return ok({ kind: 'validatorStop', ds: 'DS004b', stop: Number(m[1]) });
  if ((m = new RegExp(`^${TIME_TELEGRAM_PREFIX}(\\d{2})(\\d{2})$`).exec(t))) {
    const hour = Number(m[1]);
    const minute = Number(m[2]);
    return hour < 24 && minute < 60 ? ok({ kind: 'time', ds: 'DS005', hour, minute }) : MALFORMED;
  }
  if ((m = new RegExp(`^${DATE_TELEGRAM_PREFIX}(\\d{2})(\\d{2})(\\d)$`).exec(t))) {
    const day = Number(m[1]);
    const month = Number(m[2]);
    const yearDigit = Number(m[3]);
    return day >= 1 && day <= 31 && month >= 1 && month <= 12 ? ok({ kind: 'date', ds: 'DS006', day, month, yearDigit }) : MALFORMED;
  }
  return UNKNOWN;
}

function digits(value: number, width: number, what: string): string {
  if (!Number.isInteger(value) || value < 0 || value >= 10 ** width) throw new RangeError(`${what} must be 0..${10 ** width - 1}`);
  return String(value).padStart(width, '0');
}

function blocks(text: string, blockSize: number): string {
  const clipped = encodeText(text).slice(0, MAX_BLOCKS * blockSize);
  const n = Math.ceil(clipped.length / blockSize);
  return VDV_HEX_DIGITS[n]! + clipped.padEnd(n * blockSize, ' ');
}

/** The text of a telegram as an on-board computer writes it (without CR and checksum). */
export function encodeTelegram(t: IbisTelegram): string {
  switch (t.kind) {
    case 'line':
      return `l${digits(t.line, 3, 'line')}`;
    case 'lineText':
      return `q${encodeText(t.line).slice(0, 4).padStart(4, '0')}`;
    case 'course':
      return `k${digits(t.course, 2, 'course')}`;
    case 'destination':
      return `z${digits(t.destination, 3, 'destination')}`;
    case 'destinationText':
      return `zA${blocks(t.text, DESTINATION_TEXT_BLOCK)}`;
    case 'nextStopText':
      return `zI${blocks(t.text, STOP_TEXT_BLOCK)}`;
    case 'validatorStop':
      return `eH${digits(t.stop, 7, 'validator stop')}`;
    case 'time':
      return `${TIME_TELEGRAM_PREFIX}${digits(t.hour, 2, 'hour')}${digits(t.minute, 2, 'minute')}`;
    case 'date':
      return `${DATE_TELEGRAM_PREFIX}${digits(t.day, 2, 'day')}${digits(t.month, 2, 'month')}${digits(t.yearDigit, 1, 'year digit')}`;
    case 'stop':
      return `x${digits(t.stop, 4, 'stop')}`;
  }
}

/** The driver-number telegram (assumed form, see PERSONAL_TELEGRAMS): only the emulator writes it, to test the drop. */
export function encodeDriverNumberTelegram(driverNumber: number): string {
  return `${PERSONAL_TELEGRAMS[0]!.prefix}${digits(driverNumber, 8, 'driver number').replace(/^0+(?=\d)/, '')}`;
}
