/**
 * A self-contained HTML page of a bench run, for people: the summary, a day's occupancy per line and
 * direction (heat maps of the true load by stop and hour beside the estimate, on one colour scale
 * with its legend, with the scenario's coverage gaps, sensor faults and power cuts marked on the
 * day), the load over the busiest trip (truth vs estimate), and the distribution of load errors.
 * Inline SVG, no scripts, no downloads. The charts live in simulator/report/.
 */
import { loadLegend } from '../report/colour-scale.js';
import { dayHeatMap, runningOrder } from '../report/day-heat-map.js';
import { MARK_STYLE, type DayMark } from '../report/day-marks.js';
import { esc } from '../report/svg.js';
import { tripChart } from '../report/trip-chart.js';
import type { BenchReport } from './run-scenario.js';
import type { ScoredStop } from './scoring.js';
import { summaryTable } from './summary-table.js';

function errorHistogram(stops: ScoredStop[]): string {
  const counts = new Map<number, number>();
  for (const s of stops) {
    const e = Math.max(-10, Math.min(10, s.estimate - s.truth.loadAfter));
    counts.set(e, (counts.get(e) ?? 0) + 1);
  }
  const max = Math.max(...counts.values(), 1);
  const w = 18;
  const parts = ['<svg width="600" height="185" role="img" aria-label="load error distribution">', `<text x="10" y="12" font-size="12" font-weight="bold">Load error (estimate − truth, passengers; ±10 clipped); tallest bar ${max} departures</text>`];
  for (let e = -10; e <= 10; e++) {
    const n = counts.get(e) ?? 0;
    const h = (120 * n) / max;
    const x = 10 + (e + 10) * w;
    parts.push(`<rect x="${x}" y="${140 - h}" width="${w - 2}" height="${h}" fill="${e === 0 ? '#4daf4a' : '#999'}"><title>${e}: ${n}</title></rect>`);
    if (e % 5 === 0) parts.push(`<text x="${x + w / 2}" y="155" font-size="9" text-anchor="middle">${e}</text>`);
  }
  parts.push('<text x="200" y="178" font-size="11" text-anchor="middle" class="axis-title">estimate − truth (passengers)</text>');
  parts.push('</svg>');
  return parts.join('');
}

/** Both directions of a line, each as true load beside the estimate, on the line's hours. */
function lineMaps(line: string, stops: ScoredStop[], hourOf: (t: number) => number, marks: readonly DayMark[]): string {
  const hoursSeen = stops.map((s) => Math.floor(hourOf(s.truth.doorsClosed)));
  const hours = [Math.min(...hoursSeen), Math.max(...hoursSeen)] as const;
  return ([0, 1] as const)
    .map((direction) => {
      const own = stops.filter((s) => s.truth.direction === direction);
      if (own.length === 0) return '';
      const last = runningOrder(own).at(-1)!;
      const title = (what: string) => `${line} towards ${last}: ${what}`;
      return `<div class="pair">${dayHeatMap({ title: title('true load'), stops: own, hourOf, pick: 'true', hours, marks })}${dayHeatMap({ title: title('estimated (as received)'), stops: own, hourOf, pick: 'est', hours, marks })}</div>`;
    })
    .join('\n');
}

function marksList(marks: readonly DayMark[]): string {
  if (marks.length === 0) return '<p>The scenario has no coverage gaps, sensor faults or power cuts.</p>';
  return `<ul class="marks">${marks.map((m) => `<li><span style="display:inline-block;width:12px;height:12px;background:${MARK_STYLE[m.kind].colour}"></span> ${esc(m.label)}</li>`).join('')}</ul>`;
}

export function reportPage(report: BenchReport, hourOf: (t: number) => number, marks: readonly DayMark[] = []): string {
  const scored = report.details?.scored ?? [];
  const byLine = new Map<string, ScoredStop[]>();
  for (const s of scored) byLine.set(s.truth.lineId, [...(byLine.get(s.truth.lineId) ?? []), s]);
  const heat = [...byLine.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([line, stops]) => lineMaps(line, stops, hourOf, marks))
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bench run: ${esc(report.scenario)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}pre{background:#f6f6f6;padding:12px}.pair{display:flex;gap:24px;flex-wrap:wrap;margin:12px 0}.marks{list-style:none;padding:0}</style>
</head><body>
<h1>Bench run: ${esc(report.scenario)}</h1>
<pre>${esc(summaryTable(report))}</pre>
<h2>What went wrong during the day</h2>
${marksList(marks)}
<h2>A day's occupancy: mean load by stop and hour, both directions</h2>
${loadLegend()}
${heat}
<h2>Load over a trip</h2>
${tripChart(scored, hourOf)}
<h2>Error distribution</h2>
${errorHistogram(scored)}
</body></html>
`;
}
