/**
 * A day's occupancy of one line in one direction as a heat map: stops in running order down, the
 * hours of the day across (every hour labelled), each cell the mean load of the departures from
 * that stop in that hour, coloured by the load classes of colour-scale.ts. Above the grid, a lane
 * per kind of trouble (coverage gap, sensor fault, power cut) shows when it happened, with dashed
 * lines through the grid where it began and ended.
 */
import type { ScoredStop } from '../day-run/scoring.js';
import { loadClass } from './colour-scale.js';
import { MARK_STYLE, type DayMark, type DayMarkKind } from './day-marks.js';
import { clockText, esc } from './svg.js';

export interface HeatMapInput {
  title: string;
  /** The departures of one line and direction. */
  stops: readonly ScoredStop[];
  hourOf: (t: number) => number;
  pick: 'true' | 'est';
  /** First and last hour shown (whole hours, local), the same for every map of a line. */
  hours: readonly [number, number];
  marks: readonly DayMark[];
}

const CW = 26;
const CH = 14;
const LEFT = 230;
const LANE = 11;

/**
 * Stop names of one direction in running order. A turn at a terminus is one stop event that ends a
 * trip and starts the next: it carries the departing direction with the arriving trip's stop
 * number, so a name is placed by the lowest number it has in this direction.
 */
export function runningOrder(stops: readonly ScoredStop[]): string[] {
  const order = new Map<string, number>();
  for (const s of stops) order.set(s.truth.stopName, Math.min(order.get(s.truth.stopName) ?? Infinity, s.truth.ibisStop));
  return [...order.entries()].sort((a, b) => a[1] - b[1]).map(([n]) => n);
}

export function dayHeatMap(o: HeatMapInput): string {
  const cells = new Map<string, { sum: number; n: number; capacity: number }>();
  for (const s of o.stops) {
    const name = s.truth.stopName;
    const key = `${name}/${Math.floor(o.hourOf(s.truth.doorsClosed))}`;
    const c = cells.get(key) ?? { sum: 0, n: 0, capacity: s.capacity };
    c.sum += o.pick === 'true' ? s.truth.loadAfter : s.estimate;
    c.n++;
    cells.set(key, c);
  }
  if (cells.size === 0) return '';
  const names = runningOrder(o.stops);
  const [h0, h1] = o.hours;
  const columns = h1 - h0 + 1;
  const kinds = (Object.keys(MARK_STYLE) as DayMarkKind[]).filter((k) => o.marks.some((m) => m.kind === k));
  const lanesTop = 24;
  const ticksY = lanesTop + kinds.length * LANE + 14;
  const top = ticksY + 4;
  const bottom = top + names.length * CH;
  const width = LEFT + columns * CW + 150;
  const height = bottom + 34;
  const x = (hours: number) => LEFT + (hours - h0) * CW;
  const parts: string[] = [`<svg width="${width}" height="${height}" role="img" aria-label="${esc(o.title)}" class="heatmap">`];
  parts.push(`<text x="10" y="14" font-size="12" font-weight="bold">${esc(o.title)}</text>`);

  // What went wrong, one lane per kind, with its name at the right.
  kinds.forEach((kind, lane) => {
    const y = lanesTop + lane * LANE;
    const style = MARK_STYLE[kind];
    parts.push(`<line x1="${LEFT}" x2="${x(h1 + 1)}" y1="${y + 4}" y2="${y + 4}" stroke="#ddd"/>`);
    for (const m of o.marks.filter((mk) => mk.kind === kind)) {
      const from = Math.max(h0, m.from);
      const to = Math.min(h1 + 1, m.to);
      if (to <= from) continue;
      parts.push(`<rect x="${x(from)}" y="${y}" width="${Math.max(2, (to - from) * CW)}" height="${LANE - 3}" fill="${style.colour}" class="mark ${kind}"><title>${esc(m.label)}</title></rect>`);
    }
    parts.push(`<text x="${x(h1 + 1) + 6}" y="${y + 8}" font-size="10" fill="${style.colour}">${esc(style.name)}</text>`);
  });

  // The hour axis: every hour labelled, local time.
  for (let h = h0; h <= h1 + 1; h++) {
    parts.push(`<line x1="${x(h)}" x2="${x(h)}" y1="${ticksY - 10}" y2="${top}" stroke="#999"/>`);
    if (h <= h1) parts.push(`<text x="${x(h) + CW / 2}" y="${ticksY - 2}" font-size="10" text-anchor="middle" class="hour-tick">${clockText(h).slice(0, 2)}</text>`);
  }
  parts.push(`<text x="${LEFT + (columns * CW) / 2}" y="${bottom + 16}" font-size="11" text-anchor="middle" class="axis-title">hour of the day (local time; a column is one hour)</text>`);
  parts.push(`<text x="${LEFT - 6}" y="${ticksY - 2}" font-size="10" text-anchor="end" font-style="italic" class="axis-title">stop (running order) ↓</text>`);

  names.forEach((name, r) => {
    parts.push(`<text x="${LEFT - 6}" y="${top + r * CH + CH - 3}" font-size="9" text-anchor="end">${esc(name.length > 40 ? name.slice(0, 39) + '…' : name)}</text>`);
    for (let h = h0; h <= h1; h++) {
      const c = cells.get(`${name}/${h}`);
      if (!c) continue;
      const mean = c.sum / c.n;
      parts.push(`<rect x="${x(h)}" y="${top + r * CH}" width="${CW - 1}" height="${CH - 1}" fill="${loadClass(mean / c.capacity).colour}" class="cell"><title>${esc(name)} ${clockText(h)}–${clockText(h + 1)}: mean load ${mean.toFixed(1)} of ${c.capacity} (${c.n} departures)</title></rect>`);
    }
  });
  parts.push(`<rect x="${LEFT}" y="${top}" width="${columns * CW}" height="${bottom - top}" fill="none" stroke="#999"/>`);
  // Where each trouble began and ended, through the grid.
  for (const m of o.marks) {
    for (const at of m.kind === 'power-cut' ? [m.from] : [m.from, m.to]) {
      if (at < h0 || at > h1 + 1) continue;
      parts.push(`<line x1="${x(at)}" x2="${x(at)}" y1="${top}" y2="${bottom}" stroke="${MARK_STYLE[m.kind].colour}" stroke-width="1.5" stroke-dasharray="4,3"><title>${esc(m.label)}</title></line>`);
    }
  }
  parts.push('</svg>');
  return parts.join('');
}
