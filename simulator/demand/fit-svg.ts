/**
 * Draws the fit report as one self-contained SVG (no plotting library): four panels, counted data
 * against the model's draws. Pure: returns the SVG text; the caller writes it. Must never embed
 * anything but numbers and fixed labels (no stop names or identifiers from the data).
 */
import type { FitReport } from './fit-compare.js';

interface Series {
  label: string;
  x: number[];
  y: number[];
  color: string;
  dashed?: boolean;
}

interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xTicks: { at: number; label: string }[];
  logX?: boolean;
}

const DATA = '#1f3b73';
const MODEL = '#e07b00';
const DATA_2 = '#6b8fd6';
const MODEL_2 = '#f2b766';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 5, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function drawPanel(p: Panel, left: number, top: number, width: number, height: number): string {
  const fx = (x: number): number => (p.logX ? Math.log2(x) : x);
  const xs = p.series.flatMap((s) => s.x.map(fx)).concat(p.xTicks.map((t) => fx(t.at)));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMax = niceMax(Math.max(...p.series.flatMap((s) => s.y.filter(Number.isFinite))));
  const px = (x: number): number => left + ((fx(x) - xMin) / (xMax - xMin || 1)) * width;
  const py = (y: number): number => top + height - (y / yMax) * height;
  const out: string[] = [];
  out.push(`<text x="${left}" y="${top - 12}" class="title">${esc(p.title)}</text>`);
  out.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" class="frame"/>`);
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    out.push(`<line x1="${left}" x2="${left + width}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" class="grid"/>`);
    out.push(`<text x="${left - 6}" y="${(py(y) + 4).toFixed(1)}" class="tick" text-anchor="end">${+y.toFixed(3)}</text>`);
  }
  for (const t of p.xTicks) {
    out.push(`<text x="${px(t.at).toFixed(1)}" y="${top + height + 16}" class="tick" text-anchor="middle">${esc(t.label)}</text>`);
  }
  out.push(`<text x="${left + width / 2}" y="${top + height + 34}" class="axis" text-anchor="middle">${esc(p.xLabel)}</text>`);
  out.push(`<text x="${left - 44}" y="${top + height / 2}" class="axis" text-anchor="middle" transform="rotate(-90 ${left - 44} ${top + height / 2})">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, k) => {
    const pts = s.x
      .map((x, i) => [x, s.y[i]!] as const)
      .filter(([, y]) => Number.isFinite(y))
      .map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    const ly = top + 14 + 16 * k;
    out.push(`<line x1="${left + width - 150}" x2="${left + width - 124}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${left + width - 118}" y="${ly}" class="legend">${esc(s.label)}</text>`);
  });
  return out.join('\n');
}

export function renderFitSvg(r: FitReport, subtitle: string): string {
  const binHours = r.binMinutes / 60;
  const hours = r.profile.weekday.data.map((_, b) => (b + 0.5) * binHours);
  const hourTicks = [0, 4, 8, 12, 16, 20, 24].map((h) => ({ at: h, label: `${String(h).padStart(2, '0')}:00` }));
  const profilePanel = (day: 'weekday' | 'weekend'): Panel => ({
    title: `${day === 'weekday' ? 'Weekdays' : 'Weekend'}: boardings by time of day (r = ${r.profile[day].correlation.toFixed(4)})`,
    xLabel: 'local time (30-min bins)',
    yLabel: 'boardings / mean bin',
    series: [
      { label: 'counted', x: hours, y: r.profile[day].data, color: DATA },
      { label: 'model', x: hours, y: r.profile[day].model, color: MODEL, dashed: true },
    ],
    xTicks: hourTicks,
  });
  const n = r.boardingShare.data.length;
  const pos = r.boardingShare.data.map((_, k) => k);
  const positionPanel: Panel = {
    title: 'Along the trip: share of boardings and alightings',
    xLabel: 'position along the trip (first stop, middle of each tenth, last stop)',
    yLabel: 'share',
    series: [
      { label: 'boardings counted', x: pos, y: r.boardingShare.data, color: DATA },
      { label: 'boardings model', x: pos, y: r.boardingShare.model, color: MODEL, dashed: true },
      { label: 'alightings counted', x: pos, y: r.alightingShare.data, color: DATA_2 },
      { label: 'alightings model', x: pos, y: r.alightingShare.model, color: MODEL_2, dashed: true },
    ],
    xTicks: [
      { at: 0, label: 'first' },
      { at: 1, label: '.05' },
      { at: Math.round((n - 2) / 2) + 1, label: '.55' },
      { at: n - 2, label: '.95' },
      { at: n - 1, label: 'last' },
    ],
  };
  const d = r.dispersion;
  const dispersionPanel: Panel = {
    title: 'Variance / mean of boardings (comparable cells)',
    xLabel: 'expected boardings at the stop event (log scale)',
    yLabel: 'variance / mean',
    series: [
      { label: 'counted', x: d.meanExpected, y: d.data, color: DATA },
      { label: 'model', x: d.meanExpected, y: d.model, color: MODEL, dashed: true },
      { label: 'Poisson', x: d.meanExpected, y: d.meanExpected.map(() => 1), color: '#999999', dashed: true },
    ],
    xTicks: [0.0625, 0.25, 1, 4, 16, 64].map((v) => ({ at: v, label: String(v) })),
    logX: true,
  };
  const W = 1000;
  const H = 760;
  const body = [
    drawPanel(profilePanel('weekday'), 80, 90, 380, 230),
    drawPanel(profilePanel('weekend'), 580, 90, 380, 230),
    drawPanel(positionPanel, 80, 440, 380, 230),
    drawPanel(dispersionPanel, 580, 440, 380, 230),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.title{font-size:14px;font-weight:bold}.tick{font-size:11px;fill:#444}.axis{font-size:12px;fill:#222}.legend{font-size:11px}.frame{fill:none;stroke:#888}.grid{stroke:#e4e4e4}.head{font-size:18px;font-weight:bold}.sub{font-size:12px;fill:#333}</style>',
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="20" y="30" class="head">Demand model against the Geneva tram counts (lines 12, 14, 15; 1-7 Oct 2012)</text>`,
    `<text x="20" y="52" class="sub">${esc(subtitle)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
