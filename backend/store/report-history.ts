/**
 * Read queries over the stored stop reports for the history API, the heatmap and the open-data
 * export, the same for every store (report-store.ts: SQLite and memory; postgres-store.ts:
 * PostgreSQL). Asynchronous, as PostgreSQL is; a range of reports is read in pages ordered by
 * (departure, cursor) and handed out one by one, so that a month of a fleet's reports never sits in
 * memory at once and a page's query never holds the store while the caller works. Contested reports
 * (report-store.ts) are left out, as in `stopReports`.
 */
import type { StopReport } from '../../proto/frames.js';

/** A stored stop report as history reads it: the report as decoded, with its device and arrival. */
export type HistoryReport = StopReport & { devEui: string; receivedAt: number };

export interface ReportHistory {
  /** Reports departing in [from, to), in departure order; optionally of one line, or only those received before `receivedBefore`. */
  between(from: number, to: number, line?: number, receivedBefore?: number): AsyncIterable<HistoryReport>;
  /** One device's reports departing in [from, to), in departure order. */
  ofDevice(devEui: string, from: number, to: number): Promise<HistoryReport[]>;
  /** The lines that have reports departing in [from, to), ascending. */
  lines(from: number, to: number): Promise<number[]>;
  /** Departures of the first and the last report stored, undefined when there is none. */
  span(): Promise<{ first: number; last: number } | undefined>;
  close(): Promise<void>;
}

/** What one page query is asked: the range, the filters, and the (departure, cursor) the page starts after. */
export interface HistoryPageQuery {
  from: number;
  to: number;
  line: number | null;
  receivedBefore: number | null;
  devEui: string | null;
  afterDeparture: number;
  afterCursor: number;
  limit: number;
}

/** A row of a page: the report and its place in the store (the second half of the page key). */
export type HistoryRow = HistoryReport & { cursor: number };

/** Reports per page: a few hundred kB of rows, a few milliseconds of a query. */
export const HISTORY_PAGE = 2000;

/** Runs page queries after one another until a page comes back short: the reports of a range, in order. */
export async function* pagedReports(
  page: (q: HistoryPageQuery) => HistoryRow[] | Promise<HistoryRow[]>,
  filter: { from: number; to: number; line?: number | undefined; receivedBefore?: number | undefined; devEui?: string | undefined },
  pageSize = HISTORY_PAGE,
): AsyncGenerator<HistoryReport> {
  // (departure, cursor) > (from, -1) is departure >= from: cursors start at 1.
  let afterDeparture = filter.from;
  let afterCursor = -1;
  for (;;) {
    const rows = await page({
      from: filter.from, to: filter.to, line: filter.line ?? null, receivedBefore: filter.receivedBefore ?? null, devEui: filter.devEui ?? null,
      afterDeparture, afterCursor, limit: pageSize,
    });
    for (const { cursor: _, ...report } of rows) yield report;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    afterDeparture = last.departure;
    afterCursor = last.cursor;
  }
}

/** Everything an async iterable gives, as an array (for a bounded range: one vehicle's day). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** The history a store's rows give, from a page query and two small aggregate queries. */
export function historyFrom(source: {
  page(q: HistoryPageQuery): HistoryRow[] | Promise<HistoryRow[]>;
  lines(from: number, to: number): number[] | Promise<number[]>;
  span(): { first: number; last: number } | undefined | Promise<{ first: number; last: number } | undefined>;
  close?(): void | Promise<void>;
  pageSize?: number;
}): ReportHistory {
  return {
    between: (from, to, line, receivedBefore) => pagedReports((q) => source.page(q), { from, to, line, receivedBefore }, source.pageSize),
    ofDevice: (devEui, from, to) => collect(pagedReports((q) => source.page(q), { from, to, devEui: devEui.toLowerCase() }, source.pageSize)),
    lines: async (from, to) => source.lines(from, to),
    span: async () => source.span(),
    close: async () => source.close?.(),
  };
}
