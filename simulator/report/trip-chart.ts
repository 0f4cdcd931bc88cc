/**
 * The load over the busiest trip of the day: bars for the true load after each stop, a line for the
 * estimate the backend received, with a passenger axis of round ticks and grid lines, the stops
 * and their departure times along the bottom, and the vehicle's design capacity as a reference.
 */
import type { ScoredStop } from '../day-run/scoring.js';
import { clockText, esc, niceTicks } from './svg.js';

export function busiestTrip(stops: readonly ScoredStop[]): ScoredStop[] {
  const byTrip = new Map<string, ScoredStop[]>();
  for (const s of stops) {
    const key = `${s.truth.vehicleId}/${s.truth.tripIndex}`;
    byTrip.set(key, [...(byTrip.get(key) ?? []), s]);
  }
  let best: ScoredStop[] = [];
  let peak = -1;
  for (const trip of byTrip.values()) {
    const max = Math.max(...trip.map((s) => s.truth.loadAfter));
    if (max > peak && trip.length > 3) {
      peak = max;
      best = trip;
    }
  }
  return [...best].sort((a, b) => a.truth.doorsClosed - b.truth.doorsClosed);
}

export function tripChart(stops: readonly ScoredStop[], hourOf: (t: number) => number): string {
  const trip = busiestTrip(stops);
  if (trip.length === 0) return '';
  const w = 24;
  const left = 56;
  const plotTop = 26;
  const plotHeight = 200;
  const peak = Math.max(...trip.map((s) => Math.max(s.truth.loadAfter, s.estimate)), 1);
  const ticks = niceTicks(peak, 6);
  const maxY = ticks[ticks.length - 1]!;
  const y = (v: number) => plotTop + plotHeight * (1 - v / maxY);
  const width = Math.max(720, left + trip.length * w + 140);
  const height = plotTop + plotHeight + 170;
  const first = trip[0]!.truth;
  const parts = [`<svg width="${width}" height="${height}" role="img" aria-label="load over the busiest trip" class="trip-chart">`];
  parts.push(`<text x="${left}" y="14" font-size="12" font-weight="bold">Load over the busiest trip: tram ${esc(first.vehicleId)}, ${esc(first.lineId)}, from ${clockText(hourOf(first.doorsClosed))} (bars true, line estimate)</text>`);
  for (const t of ticks) {
    parts.push(`<line x1="${left}" x2="${left + trip.length * w}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 6}" y="${y(t) + 3}" font-size="10" text-anchor="end" class="y-tick">${t}</text>`);
  }
  parts.push(`<text transform="translate(14,${plotTop + plotHeight / 2}) rotate(-90)" font-size="11" text-anchor="middle" class="axis-title">passengers on board after the stop</text>`);
  trip.forEach((s, i) => {
    const x = left + i * w;
    parts.push(`<rect x="${x + 3}" y="${y(s.truth.loadAfter)}" width="${w - 6}" height="${y(0) - y(s.truth.loadAfter)}" fill="#9ecae1"><title>${esc(s.truth.stopName)} ${clockText(hourOf(s.truth.doorsClosed))}: true ${s.truth.loadAfter}, estimate ${s.estimate}</title></rect>`);
    const label = `${clockText(hourOf(s.truth.doorsClosed))} ${s.truth.stopName.slice(0, 24)}`;
    parts.push(`<text transform="translate(${x + w / 2 - 3},${y(0) + 8}) rotate(60)" font-size="9" class="x-tick">${esc(label)}</text>`);
  });
  const capacity = trip[0]!.capacity;
  if (capacity <= maxY) {
    parts.push(`<line x1="${left}" x2="${left + trip.length * w}" y1="${y(capacity)}" y2="${y(capacity)}" stroke="#bd0026" stroke-dasharray="6,3"/><text x="${left + trip.length * w + 4}" y="${y(capacity) + 3}" font-size="10" fill="#bd0026">design capacity ${capacity}</text>`);
  }
  const points = trip.map((s, i) => `${left + i * w + w / 2},${y(s.estimate)}`).join(' ');
  parts.push(`<polyline points="${points}" fill="none" stroke="#d6604d" stroke-width="2"/>`);
  parts.push(`<line x1="${left}" x2="${left}" y1="${plotTop}" y2="${y(0)}" stroke="#333"/><line x1="${left}" x2="${left + trip.length * w}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`);
  parts.push(`<text x="${left + (trip.length * w) / 2}" y="${height - 4}" font-size="11" text-anchor="middle" class="axis-title">departure (local time) and stop</text>`);
  parts.push('</svg>');
  return parts.join('');
}
