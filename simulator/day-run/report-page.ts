/**
 * A self-contained HTML page of a bench run, for people: the summary, a day's occupancy per line
 * (heat map of the true load by stop and hour, beside the estimate), the load over the busiest trip
 * (truth vs estimate), and the distribution of load errors. Inline SVG, no scripts, no downloads.
 */
import type { BenchReport } from './run-scenario.js';
import type { ScoredStop } from './scoring.js';
import { summaryTable } from './summary-table.js';

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function colour(share: number): string {
  // White (empty) through amber to deep red (crowded), by load as a share of capacity.
  const t = Math.max(0, Math.min(1, share));
  const r = 255;
  const g = Math.round(255 - 200 * t);
  const b = Math.round(255 - 255 * Math.min(1, t * 1.6));
  return `rgb(${r},${g},${b})`;
}

interface Cell {
  sumTrue: number;
  sumEst: number;
  n: number;
  capacity: number;
}

function heatMap(title: string, stops: ScoredStop[], hourOf: (t: number) => number, pick: 'true' | 'est'): string {
  const names: string[] = [];
  const cells = new Map<string, Cell>();
  for (const s of stops) {
    if (s.truth.direction !== 0) continue;
    const name = s.truth.stopName;
    if (!names.includes(name)) names.push(name);
    const key = `${name}/${Math.floor(hourOf(s.truth.doorsClosed))}`;
    const c = cells.get(key) ?? { sumTrue: 0, sumEst: 0, n: 0, capacity: s.capacity };
    c.sumTrue += s.truth.loadAfter;
    c.sumEst += s.estimate;
    c.n++;
    cells.set(key, c);
  }
  const hours = [...new Set([...cells.keys()].map((k) => Number(k.split('/').pop())))].sort((a, b) => a - b);
  if (hours.length === 0) return '';
  const cw = 22;
  const ch = 14;
  const left = 230;
  const top = 30;
  const width = left + hours.length * cw + 20;
  const height = top + names.length * ch + 30;
  const parts: string[] = [`<svg width="${width}" height="${height}" role="img" aria-label="${esc(title)}">`];
  parts.push(`<text x="${left}" y="14" font-size="12" font-weight="bold">${esc(title)}</text>`);
  hours.forEach((h, i) => parts.push(`<text x="${left + i * cw + cw / 2}" y="${top - 4}" font-size="9" text-anchor="middle">${String(h % 24).padStart(2, '0')}</text>`));
  names.forEach((name, r) => {
    parts.push(`<text x="${left - 6}" y="${top + r * ch + ch - 3}" font-size="9" text-anchor="end">${esc(name.length > 40 ? name.slice(0, 39) + '…' : name)}</text>`);
    hours.forEach((h, i) => {
      const c = cells.get(`${name}/${h}`);
      if (!c) return;
      const mean = (pick === 'true' ? c.sumTrue : c.sumEst) / c.n;
      parts.push(`<rect x="${left + i * cw}" y="${top + r * ch}" width="${cw - 1}" height="${ch - 1}" fill="${colour(mean / c.capacity)}"><title>${esc(name)} ${h}:00 — mean load ${mean.toFixed(1)} (${c.n} departures)</title></rect>`);
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

function tripChart(stops: ScoredStop[]): string {
  // The busiest trip: the vehicle and trip with the highest true load.
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
  if (best.length === 0) return '';
  best.sort((a, b) => a.truth.doorsClosed - b.truth.doorsClosed);
  const w = 22;
  const left = 40;
  const height = 220;
  const maxY = Math.max(peak, ...best.map((s) => s.estimate), 1) * 1.1;
  const y = (v: number) => 20 + (height - 40) * (1 - v / maxY);
  const width = left + best.length * w + 20;
  const parts = [`<svg width="${width}" height="${height + 150}" role="img" aria-label="load over the busiest trip">`];
  parts.push(`<text x="${left}" y="12" font-size="12" font-weight="bold">Load over the busiest trip (tram ${esc(best[0]!.truth.vehicleId)}, ${esc(best[0]!.truth.lineId)}): bars true, line estimate</text>`);
  best.forEach((s, i) => {
    const x = left + i * w;
    parts.push(`<rect x="${x + 2}" y="${y(s.truth.loadAfter)}" width="${w - 4}" height="${y(0) - y(s.truth.loadAfter)}" fill="#9ecae1"><title>${esc(s.truth.stopName)}: true ${s.truth.loadAfter}, estimate ${s.estimate}</title></rect>`);
    parts.push(`<text transform="translate(${x + w / 2},${height - 10}) rotate(60)" font-size="9">${esc(s.truth.stopName.slice(0, 28))}</text>`);
  });
  const points = best.map((s, i) => `${left + i * w + w / 2},${y(s.estimate)}`).join(' ');
  parts.push(`<polyline points="${points}" fill="none" stroke="#d6604d" stroke-width="2"/>`);
  parts.push(`<line x1="${left}" x2="${left}" y1="${y(maxY)}" y2="${y(0)}" stroke="#333"/><text x="${left - 4}" y="${y(0)}" font-size="9" text-anchor="end">0</text><text x="${left - 4}" y="${y(peak) + 3}" font-size="9" text-anchor="end">${peak}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

function errorHistogram(stops: ScoredStop[]): string {
  const counts = new Map<number, number>();
  for (const s of stops) {
    const e = Math.max(-10, Math.min(10, s.estimate - s.truth.loadAfter));
    counts.set(e, (counts.get(e) ?? 0) + 1);
  }
  const max = Math.max(...counts.values(), 1);
  const w = 18;
  const parts = ['<svg width="420" height="170" role="img" aria-label="load error distribution">', '<text x="10" y="12" font-size="12" font-weight="bold">Load error (estimate − truth, passengers; ±10 clipped)</text>'];
  for (let e = -10; e <= 10; e++) {
    const n = counts.get(e) ?? 0;
    const h = (120 * n) / max;
    const x = 10 + (e + 10) * w;
    parts.push(`<rect x="${x}" y="${140 - h}" width="${w - 2}" height="${h}" fill="${e === 0 ? '#4daf4a' : '#999'}"><title>${e}: ${n}</title></rect>`);
    if (e % 5 === 0) parts.push(`<text x="${x + w / 2}" y="155" font-size="9" text-anchor="middle">${e}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

export function reportPage(report: BenchReport, hourOf: (t: number) => number): string {
  const scored = report.details?.scored ?? [];
  const byLine = new Map<string, ScoredStop[]>();
  for (const s of scored) byLine.set(s.truth.lineId, [...(byLine.get(s.truth.lineId) ?? []), s]);
  const heat = [...byLine.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([line, stops]) => `<div class="pair">${heatMap(`${line} outbound — true load`, stops, hourOf, 'true')}${heatMap(`${line} outbound — estimated`, stops, hourOf, 'est')}</div>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bench run: ${esc(report.scenario)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}pre{background:#f6f6f6;padding:12px}.pair{display:flex;gap:24px;flex-wrap:wrap;margin:12px 0}</style>
</head><body>
<h1>Bench run: ${esc(report.scenario)}</h1>
<pre>${esc(summaryTable(report))}</pre>
<h2>Load over a trip</h2>
${tripChart(scored)}
<h2>Error distribution</h2>
${errorHistogram(scored)}
<h2>A day's occupancy (mean load by stop and hour; colour = share of design capacity)</h2>
${heat}
</body></html>
`;
}
