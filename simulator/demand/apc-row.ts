/**
 * One row of an APC file in the Geneva format (one row per trip and stop), checked field by field.
 * Every rejected row gets exactly one reason from a closed list, so a summary can count them. Must
 * never throw on row content: only a header without the required columns is an error.
 */
import { splitCsvLine } from './csv-line.js';
import { parseClockTime, parseServiceDate } from '../../common/time.js';

/** Why a row was skipped. The first group is found in the row alone, the second against its trip. */
export const ROW_REJECT_REASONS = [
  'bad-quoting',
  'field-count',
  'bad-date',
  'missing-key',
  'bad-direction',
  'bad-seq',
  'bad-time',
  'bad-count',
  'negative-count',
  'absurd-count',
  'bad-load',
  'non-monotonic-seq',
  'direction-changed',
  'time-backwards',
] as const;
export type RowRejectReason = (typeof ROW_REJECT_REASONS)[number];

const REQUIRED = ['date', 'line', 'trip_id', 'direction', 'seq', 'stop_id', 'arrival', 'boardings', 'alightings'] as const;
const OPTIONAL = ['stop_name', 'load'] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

export interface ApcRow {
  /** Service date as YYYYMMDD, as written in the file. */
  date: string;
  line: string;
  tripId: string;
  direction: 0 | 1;
  seq: number;
  stopId: string;
  stopName: string;
  /** Arrival as written (HH:MM:SS, local) and in seconds after midnight. */
  arrivalText: string;
  arrivalSeconds: number;
  boardings: number;
  alightings: number;
  /** The operator's own load after the stop; undefined when the file has no load column. */
  reportedLoad: number | undefined;
}

export interface ApcHeader {
  columns: Map<Column, number>;
  fieldCount: number;
}

/** Reads the header line; throws an Error naming the missing columns when it is not this format. */
export function parseApcHeader(line: string): ApcHeader {
  const split = splitCsvLine(line.replace(/^\uFEFF/, ''));
  if (!split.ok) throw new Error('APC file header: malformed quoting');
  const names = split.fields.map((f) => f.trim().toLowerCase());
  const columns = new Map<Column, number>();
  for (const name of [...REQUIRED, ...OPTIONAL]) {
    const index = names.indexOf(name);
    if (index >= 0) columns.set(name, index);
  }
  const missing = REQUIRED.filter((name) => !columns.has(name));
  if (missing.length > 0) {
    throw new Error(`APC file header lacks column(s) ${missing.join(', ')} (found: ${names.join(', ')})`);
  }
  return { columns, fieldCount: names.length };
}

/** A rejected row names its trip (`date|line|trip_id`) when those fields were readable. */
export type RowResult = { ok: true; row: ApcRow } | { ok: false; reason: RowRejectReason; tripKey?: string };

export function tripKeyOf(date: string, line: string, tripId: string): string {
  return `${date}|${line}|${tripId}`;
}

type CountCheck = number | 'bad-count' | 'negative-count' | 'absurd-count';

function count(text: string, maxCount: number): CountCheck {
  const t = text.trim();
  if (/^\d{1,9}$/.test(t)) {
    const v = Number(t);
    return v > maxCount ? 'absurd-count' : v;
  }
  return /^-\d{1,9}$/.test(t) ? 'negative-count' : 'bad-count';
}

/** Checks one data line against the header. `maxCount` bounds boardings and alightings per stop. */
export function parseApcRow(line: string, header: ApcHeader, maxCount: number): RowResult {
  const split = splitCsvLine(line);
  if (!split.ok) return { ok: false, reason: split.reason };
  const f = split.fields;
  if (f.length !== header.fieldCount) return { ok: false, reason: 'field-count' };
  const get = (c: Column): string => {
    const i = header.columns.get(c);
    return i === undefined ? '' : (f[i] ?? '');
  };

  const date = get('date').trim();
  if (!parseServiceDate(date)) return { ok: false, reason: 'bad-date' };
  const lineId = get('line').trim();
  const tripId = get('trip_id').trim();
  const stopId = get('stop_id').trim();
  if (!lineId || !tripId || !stopId) return { ok: false, reason: 'missing-key' };
  const tripKey = tripKeyOf(date.replace(/-/g, ''), lineId, tripId);
  const reject = (reason: RowRejectReason): RowResult => ({ ok: false, reason, tripKey });
  const dir = get('direction').trim();
  if (dir !== '0' && dir !== '1') return reject('bad-direction');
  const seqText = get('seq').trim();
  if (!/^\d{1,6}$/.test(seqText) || Number(seqText) < 1) return reject('bad-seq');
  const arrivalText = get('arrival').trim();
  const arrivalSeconds = parseClockTime(arrivalText);
  if (arrivalSeconds === undefined) return reject('bad-time');

  const boardings = count(get('boardings'), maxCount);
  if (typeof boardings !== 'number') return reject(boardings);
  const alightings = count(get('alightings'), maxCount);
  if (typeof alightings !== 'number') return reject(alightings);

  let reportedLoad: number | undefined;
  if (header.columns.has('load')) {
    const t = get('load').trim();
    if (!/^\d{1,9}$/.test(t)) return reject('bad-load');
    reportedLoad = Number(t);
  }
  return {
    ok: true,
    row: {
      date: date.replace(/-/g, ''),
      line: lineId,
      tripId,
      direction: dir === '0' ? 0 : 1,
      seq: Number(seqText),
      stopId,
      stopName: get('stop_name').trim(),
      arrivalText,
      arrivalSeconds,
      boardings,
      alightings,
      reportedLoad,
    },
  };
}
