/**
 * Local wall-clock time in a named IANA time zone, both ways, with Intl only (no time-zone
 * library): the replay reader turns a service date plus HH:MM:SS into ms since the epoch, and the
 * demand model turns the virtual clock back into time of day and day type. Offsets are cached per
 * quarter hour (every zone changes offset on a quarter hour), which keeps a 232k-row file fast.
 * Must never use the machine's own time zone.
 */
import { ConfigError } from './errors.js';

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();
const QUARTER_HOUR_MS = 900_000;
const DAY_MS = 86_400_000;

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new ConfigError('timeZone', `unknown time zone "${timeZone}"`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Checks a time zone name early, with an error that names the option. */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone);
}

/** Local time minus UTC at instant `t`, in ms. */
export function zoneOffsetMs(t: number, timeZone: string): number {
  const bucket = Math.floor(t / QUARTER_HOUR_MS);
  const key = `${timeZone}|${bucket}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const at = bucket * QUARTER_HOUR_MS;
    const p: Record<string, number> = {};
    for (const part of formatter(timeZone).formatToParts(new Date(at))) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    const asUtc = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!);
    offset = asUtc - at;
    if (offsets.size > 50_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/**
 * The instant at which the local clock in `timeZone` shows `secondsOfDay` after midnight of the
 * calendar date y-m-d. `secondsOfDay` may exceed 86,400 (a service day running past midnight).
 * Around a DST change it behaves like Temporal's "compatible" choice: a wall time that occurs twice
 * gives the earlier instant, one that is skipped is read with the offset from before the change.
 */
export function localToEpochMs(year: number, month: number, day: number, secondsOfDay: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day) + secondsOfDay * 1000;
  const before = zoneOffsetMs(wall - DAY_MS, timeZone);
  const after = zoneOffsetMs(wall + DAY_MS, timeZone);
  if (before === after) return wall - before;
  const valid = [wall - before, wall - after].filter((c) => c + zoneOffsetMs(c, timeZone) === wall);
  return valid.length > 0 ? Math.min(...valid) : wall - before;
}

export interface LocalClock {
  /** Seconds since local midnight of the calendar day, 0 <= s < 86,400. */
  secondsOfDay: number;
  /** 0 = Sunday ... 6 = Saturday, of the calendar day. */
  weekday: number;
  /** Calendar date as YYYYMMDD. */
  date: string;
}

export function localClock(t: number, timeZone: string): LocalClock {
  const local = t + zoneOffsetMs(t, timeZone);
  const d = new Date(local);
  const midnight = Math.floor(local / DAY_MS) * DAY_MS;
  const date = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return { secondsOfDay: (local - midnight) / 1000, weekday: d.getUTCDay(), date };
}

export type DayType = 'weekday' | 'weekend';

/**
 * Weekday or weekend service, judged on the service day: before `serviceDayStartHour` the clock
 * still belongs to the previous evening's service (01:00 on a Monday is Sunday night's service).
 * Public holidays are not known here and count as weekdays.
 */
export function serviceDayType(t: number, timeZone: string, serviceDayStartHour: number): DayType {
  const { secondsOfDay, weekday } = localClock(t, timeZone);
  const serviceWeekday = secondsOfDay < serviceDayStartHour * 3600 ? (weekday + 6) % 7 : weekday;
  return serviceWeekday === 0 || serviceWeekday === 6 ? 'weekend' : 'weekday';
}

/** Parses YYYYMMDD or YYYY-MM-DD into its parts; undefined when it is not a real date. */
export function parseServiceDate(text: string): { year: number; month: number; day: number } | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

/** Parses H:MM:SS or HH:MM:SS (hours up to 47, as GTFS writes times past midnight) into seconds. */
export function parseClockTime(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = Number(m[3]);
  if (h > 47 || min > 59 || s > 59) return undefined;
  return h * 3600 + min * 60 + s;
}

/** Hours since local midnight (fractional), e.g. 7.5 at 07:30. */
export function localHour(t: number, timeZone: string): number {
  return localClock(t, timeZone).secondsOfDay / 3600;
}

/** Minutes from 'HH:MM' (may exceed 24:00 for service past midnight). */
export function parseClock(text: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m || Number(m[2]) > 59) throw new RangeError(`not HH:MM: ${text}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The instant of a local wall-clock time: date 'YYYY-MM-DD', time 'HH:MM' (may exceed 24:00). */
export function zonedTimeToEpoch(date: string, time: string, timeZone: string): number {
  const d = parseServiceDate(date);
  if (!d) throw new RangeError(`not a date: ${date}`);
  return localToEpochMs(d.year, d.month, d.day, parseClock(time) * 60, timeZone);
}

/** Start (local midnight) of the local calendar day containing t, as an instant. */
export function localDayStart(t: number, timeZone: string): number {
  const { date } = localClock(t, timeZone);
  const d = parseServiceDate(date)!;
  return localToEpochMs(d.year, d.month, d.day, 0, timeZone);
}
