/**
 * Local time in a named time zone (Europe/Berlin on the vehicle) without a time-zone library:
 * Intl gives the offset at an instant; a small cache keeps the simulator fast.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday ... 6 = Saturday. */
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const offsetCache = new Map<string, number>();

export function localParts(t: number, timeZone: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) parts[p.type] = p.value;
  return {
    year: Number(parts['year']),
    month: Number(parts['month']),
    day: Number(parts['day']),
    hour: Number(parts['hour']),
    minute: Number(parts['minute']),
    second: Number(parts['second']),
    weekday: WEEKDAYS.indexOf(parts['weekday'] ?? 'Mon'),
  };
}

/** Offset of local time from UTC at instant t, in ms (cached per hour). */
export function offsetMs(t: number, timeZone: string): number {
  const key = `${timeZone}/${Math.floor(t / 3_600_000)}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    const p = localParts(t, timeZone);
    const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    offset = asUtc - Math.floor(t / 1000) * 1000;
    offsetCache.set(key, offset);
  }
  return offset;
}

/** Hours since local midnight (fractional), e.g. 7.5 at 07:30. */
export function localHour(t: number, timeZone: string): number {
  const local = t + offsetMs(t, timeZone);
  return (((local % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000;
}

/** The instant of a local wall-clock time: date 'YYYY-MM-DD', time 'HH:MM' (may exceed 24:00). */
export function zonedTimeToEpoch(date: string, time: string, timeZone: string): number {
  const dm = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const tm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!dm || !tm) throw new RangeError(`not a local date and time: ${date} ${time}`);
  const guess = Date.UTC(Number(dm[1]), Number(dm[2]) - 1, Number(dm[3]), Number(tm[1]), Number(tm[2]), Number(tm[3] ?? 0));
  let t = guess - offsetMs(guess, timeZone);
  t = guess - offsetMs(t, timeZone);
  return t;
}

/** Start (local midnight) of the local day containing t, as an instant. */
export function localDayStart(t: number, timeZone: string): number {
  const local = t + offsetMs(t, timeZone);
  const midnightLocal = Math.floor(local / 86_400_000) * 86_400_000;
  return midnightLocal - offsetMs(midnightLocal - offsetMs(t, timeZone), timeZone);
}

/** Minutes from 'HH:MM' (may exceed 24:00 for service past midnight). */
export function parseClock(text: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m) throw new RangeError(`not HH:MM: ${text}`);
  return Number(m[1]) * 60 + Number(m[2]);
}
