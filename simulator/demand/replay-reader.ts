/**
 * Replay reader: any APC file in the Geneva format (gzipped or plain CSV), read as a stream and
 * grouped into trips with arrival instants in a given time zone. Bad rows are skipped and counted
 * by reason; trips are flagged, never silently repaired (unless `balance` asks for it, and then the
 * summary says how many trips were changed). Must never crash on row content, and never mutate a
 * trip after returning it.
 */
import { moduleLogger } from '../../common/log.js';
import { parseApcHeader, parseApcRow, tripKeyOf, ROW_REJECT_REASONS, type ApcRow, type RowRejectReason } from './apc-row.js';
import { assertTimeZone, localToEpochMs, parseClockTime, parseServiceDate } from '../../common/time.js';
import type { ReplayTrip, TripFlag } from './replay-trip.js';
import { openTextLines, type LineProgress, type TextEncoding } from './text-lines.js';
import { balanceTrip, runningLoads, type BalanceMethod } from './trip-balance.js';

const log = moduleLogger('simulator.demand.replay');
const HALF_DAY_S = 43_200;
const DAY_S = 86_400;

export interface ReplayReadOptions {
  /** Service dates to keep (YYYYMMDD or YYYY-MM-DD); all when absent. */
  dates?: readonly string[];
  /** Lines to keep, as written in the file; all when absent. */
  lines?: readonly string[];
  /** Zone of the local times in the file. Default 'Europe/Zurich' (Geneva). */
  timeZone?: string;
  /**
   * A trip whose first arrival is earlier than this clock time (HH:MM) is the tail of its service
   * day's evening: its times fall on the next calendar day. Later trips before the morning are
   * dated by the calendar day itself (the Geneva files put Friday- and Saturday-night trams,
   * 01:40-03:15, on the date of the morning they run in). Default '01:30'; '00:00' turns it off.
   * Within a trip, a clock that jumps back by more than 12 h has passed midnight either way.
   */
  pastMidnightBefore?: string;
  /** Boardings or alightings above this at one stop are rejected as absurd. Default 400. */
  maxCount?: number;
  /** Return consistent copies of the trips (see trip-balance.ts). Default 'none': as read. */
  balance?: BalanceMethod | 'none';
  onProgress?: (p: LineProgress) => void;
}

export interface RejectedLine {
  line: number;
  reason: RowRejectReason;
}

export interface ReplayReadSummary {
  path: string;
  encoding: TextEncoding;
  /** Data lines (not the header, not blank lines). */
  rowsRead: number;
  blankLines: number;
  /** Rows of the selected dates and lines that made it into a trip. */
  rowsAccepted: number;
  /** Good rows outside the selected dates or lines. */
  rowsFilteredOut: number;
  /** Rows rejected, by reason. Counted before the date and line filter where a row is unreadable. */
  rowsRejected: number;
  rejectedByReason: Record<RowRejectReason, number>;
  /** The first rejected lines (line numbers in the file, from 1 = header), for a look by hand. */
  firstRejected: RejectedLine[];
  trips: number;
  tripsByFlag: Record<Exclude<TripFlag, 'balanced'>, number>;
  /** What `balanceTrip` (clamp) must change before the trips can serve as ground truth. */
  fixNeeded: FixSummary;
  /** Trips actually changed when `balance` was asked for (0 otherwise). */
  tripsFixed: number;
  dates: string[];
  lines: string[];
}

export interface FixSummary {
  /** Trips with any change. */
  trips: number;
  /** Trips where alightings had to be cut because the load would have gone negative. */
  tripsClamped: number;
  /** Trips that still had passengers on board at the last stop (they are made to alight). */
  tripsLeftOnBoard: number;
  /** Trips with boardings at the last stop (dropped: they belong to the next trip). */
  tripsBoardingAtEnd: number;
  alightingsRemoved: number;
  alightingsAdded: number;
  boardingsRemoved: number;
  /** For scale: all boardings and alightings of the trips, as read. */
  boardingsTotal: number;
  alightingsTotal: number;
}

export interface ReplayReadResult {
  trips: ReplayTrip[];
  summary: ReplayReadSummary;
}

interface TripBuilder {
  first: ApcRow;
  rows: ApcRow[];
  /** Seconds after midnight of the service date, adjusted past midnight, per kept row. */
  seconds: number[];
  dayOffset: number;
}

function emptyReasons(): Record<RowRejectReason, number> {
  return Object.fromEntries(ROW_REJECT_REASONS.map((r) => [r, 0])) as Record<RowRejectReason, number>;
}

export async function readReplayTrips(path: string, options: ReplayReadOptions = {}): Promise<ReplayReadResult> {
  const timeZone = options.timeZone ?? 'Europe/Zurich';
  assertTimeZone(timeZone);
  const maxCount = options.maxCount ?? 400;
  const cutoff = parseClockTime(`${options.pastMidnightBefore ?? '01:30'}:00`);
  if (cutoff === undefined) throw new Error(`pastMidnightBefore: expected HH:MM, got "${options.pastMidnightBefore}"`);
  const dates = options.dates ? new Set(options.dates.map((d) => d.replace(/-/g, ''))) : undefined;
  const lines = options.lines ? new Set(options.lines) : undefined;

  const source = await openTextLines(path, options.onProgress);
  const reasons = emptyReasons();
  const firstRejected: RejectedLine[] = [];
  const builders = new Map<string, TripBuilder>();
  const skippedTrips = new Set<string>();
  let header: ReturnType<typeof parseApcHeader> | undefined;
  let lineNo = 0;
  let rowsRead = 0;
  let blankLines = 0;
  let rowsFilteredOut = 0;
  let rowsRejected = 0;

  const reject = (reason: RowRejectReason, tripKey?: string): void => {
    rowsRejected++;
    reasons[reason]++;
    if (firstRejected.length < 20) firstRejected.push({ line: lineNo, reason });
    if (tripKey !== undefined) skippedTrips.add(tripKey);
  };

  for await (const text of source.lines) {
    lineNo++;
    if (!header) {
      header = parseApcHeader(text);
      continue;
    }
    if (text.trim() === '') {
      blankLines++;
      continue;
    }
    rowsRead++;
    const parsed = parseApcRow(text, header, maxCount);
    if (!parsed.ok) {
      reject(parsed.reason, parsed.tripKey);
      continue;
    }
    const row = parsed.row;
    if ((dates && !dates.has(row.date)) || (lines && !lines.has(row.line))) {
      rowsFilteredOut++;
      continue;
    }
    const key = tripKeyOf(row.date, row.line, row.tripId);
    const b = builders.get(key);
    if (!b) {
      const dayOffset = row.arrivalSeconds < cutoff ? DAY_S : 0;
      builders.set(key, { first: row, rows: [row], seconds: [row.arrivalSeconds + dayOffset], dayOffset });
      continue;
    }
    const last = b.rows[b.rows.length - 1]!;
    if (row.direction !== b.first.direction) {
      reject('direction-changed', key);
      continue;
    }
    if (row.seq <= last.seq) {
      reject('non-monotonic-seq', key);
      continue;
    }
    const previous = b.seconds[b.seconds.length - 1]!;
    let s = row.arrivalSeconds + b.dayOffset;
    const passedMidnight = s < previous - HALF_DAY_S;
    if (passedMidnight) s += DAY_S;
    if (s < previous) {
      reject('time-backwards', key);
      continue;
    }
    if (passedMidnight) b.dayOffset += DAY_S;
    b.rows.push(row);
    b.seconds.push(s);
  }
  if (!header) throw new Error(`${path}: empty file, no APC header`);

  const trips: ReplayTrip[] = [];
  for (const [key, b] of builders) trips.push(buildTrip(b, timeZone, skippedTrips.has(key)));
  trips.sort((x, y) => x.stops[0]!.arrival - y.stops[0]!.arrival || x.line.localeCompare(y.line) || x.tripId.localeCompare(y.tripId));

  const tripsByFlag = { 'seq-gap': 0, unbalanced: 0, 'negative-running-load': 0, 'boards-at-last-stop': 0, 'single-stop': 0, 'rows-skipped': 0 };
  const fixNeeded: FixSummary = {
    trips: 0,
    tripsClamped: 0,
    tripsLeftOnBoard: 0,
    tripsBoardingAtEnd: 0,
    alightingsRemoved: 0,
    alightingsAdded: 0,
    boardingsRemoved: 0,
    boardingsTotal: 0,
    alightingsTotal: 0,
  };
  let tripsFixed = 0;
  const method = options.balance ?? 'none';
  for (let i = 0; i < trips.length; i++) {
    const trip = trips[i]!;
    for (const flag of trip.flags) if (flag !== 'balanced') tripsByFlag[flag]++;
    addFix(fixNeeded, trip);
    if (method !== 'none') {
      const fixed = balanceTrip(trip, method);
      if (fixed.changed) tripsFixed++;
      trips[i] = fixed.trip;
    }
  }
  const summary: ReplayReadSummary = {
    path,
    encoding: source.encoding,
    rowsRead,
    blankLines,
    rowsAccepted: trips.reduce((n, t) => n + t.stops.length, 0),
    rowsFilteredOut,
    rowsRejected,
    rejectedByReason: reasons,
    firstRejected,
    trips: trips.length,
    tripsByFlag,
    fixNeeded,
    tripsFixed,
    dates: [...new Set(trips.map((t) => t.date))].sort(),
    lines: [...new Set(trips.map((t) => t.line))].sort(),
  };
  log.info({ rowsRead, rowsRejected, trips: trips.length }, 'replay file read');
  return { trips, summary };
}

function addFix(f: FixSummary, trip: ReplayTrip): void {
  const r = balanceTrip(trip, 'clamp');
  const last = trip.stops.length - 1;
  for (const s of trip.stops) {
    f.boardingsTotal += s.boardings;
    f.alightingsTotal += s.alightings;
  }
  if (!r.changed) return;
  f.trips++;
  if (r.trip.stops.some((s, i) => s.alightings < trip.stops[i]!.alightings)) f.tripsClamped++;
  if (r.trip.stops[last]!.alightings > trip.stops[last]!.alightings) f.tripsLeftOnBoard++;
  if (r.boardingsRemoved > 0) f.tripsBoardingAtEnd++;
  f.alightingsRemoved += r.alightingsRemoved;
  f.alightingsAdded += r.alightingsAdded;
  f.boardingsRemoved += r.boardingsRemoved;
}

function buildTrip(b: TripBuilder, timeZone: string, rowsSkipped: boolean): ReplayTrip {
  const { year, month, day } = parseServiceDate(b.first.date)!;
  const stops = b.rows.map((r, i) => ({
    seq: r.seq,
    stopId: r.stopId,
    stopName: r.stopName,
    arrival: localToEpochMs(year, month, day, b.seconds[i]!, timeZone),
    arrivalText: r.arrivalText,
    boardings: r.boardings,
    alightings: r.alightings,
    reportedLoad: r.reportedLoad,
  }));
  const flags: TripFlag[] = [];
  if (b.rows.some((r, i) => i > 0 && r.seq !== b.rows[i - 1]!.seq + 1) || b.rows[0]!.seq !== 1) flags.push('seq-gap');
  const balance = stops.reduce((n, s) => n + s.boardings - s.alightings, 0);
  if (balance !== 0) flags.push('unbalanced');
  if (runningLoads(stops).some((l) => l < 0)) flags.push('negative-running-load');
  if (stops.length > 1 && stops[stops.length - 1]!.boardings > 0) flags.push('boards-at-last-stop');
  if (stops.length === 1) flags.push('single-stop');
  if (rowsSkipped) flags.push('rows-skipped');
  return { date: b.first.date, line: b.first.line, tripId: b.first.tripId, direction: b.first.direction, stops, flags, balance };
}

/** A few lines for a person: what was read, what was skipped and why, what needed fixing. */
export function formatReplaySummary(s: ReplayReadSummary): string {
  const pct = (n: number, d: number): string => (d > 0 ? `${((100 * n) / d).toFixed(2)}%` : '-');
  const out = [
    `${s.path} (${s.encoding}): ${s.rowsRead} rows, ${s.rowsAccepted} accepted, ${s.rowsRejected} rejected (${pct(s.rowsRejected, s.rowsRead)}), ${s.rowsFilteredOut} outside the selection`,
  ];
  const bad = Object.entries(s.rejectedByReason).filter(([, n]) => n > 0);
  if (bad.length > 0) out.push(`  rejected by reason: ${bad.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  if (s.firstRejected.length > 0) out.push(`  first rejected lines: ${s.firstRejected.slice(0, 8).map((r) => `${r.line} (${r.reason})`).join(', ')}`);
  out.push(`  ${s.trips} trips, dates ${s.dates.join(' ')}, lines ${s.lines.join(' ')}`);
  out.push(`  trip flags: ${Object.entries(s.tripsByFlag).map(([f, n]) => `${f} ${n}`).join(', ')}`);
  const f = s.fixNeeded;
  out.push(
    `  trips needing a fix to serve as ground truth: ${f.trips} (${pct(f.trips, s.trips)})${s.tripsFixed > 0 ? `, fixed: ${s.tripsFixed}` : ''}: ` +
      `${f.tripsClamped} would go below zero (${f.alightingsRemoved} alightings cut, ${pct(f.alightingsRemoved, f.alightingsTotal)}), ` +
      `${f.tripsLeftOnBoard} end with passengers on board (${f.alightingsAdded} added at the last stop, ${pct(f.alightingsAdded, f.alightingsTotal)}), ` +
      `${f.tripsBoardingAtEnd} board at the last stop (${f.boardingsRemoved} dropped)`,
  );
  return out.join('\n');
}
