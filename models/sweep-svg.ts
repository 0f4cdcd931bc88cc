/**
 * Draws the sensor-quality sweep as one self-contained SVG (no plotting library), as the demand
 * fit does (simulator/demand/fit-svg.ts): per cell of the grid, the MAE (share of capacity) and the
 * bias of the model as the gateway runs it, the running sum and the camera alone. Pure: returns
 * the SVG text; the caller writes it.
 */
import type { SweepReport } from './sweep.js';

const SERIES = [
  { key: 'modelGuarded', label: 'model (vehicle scale, guard)', color: '#1f3b73' },
  { key: 'runningSum', label: 'running sum', color: '#e07b00' },
  { key: 'cameraOnly', label: 'camera only', color: '#9aa5b1' },
] as const;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 4, 5, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

interface PanelSpec {
  title: string;
  value: (cell: SweepReport['cells'][number], key: (typeof SERIES)[number]['key']) => number;
  /** Symmetric around zero (bias) or from zero up (MAE). */
  signed: boolean;
  /** A dashed line at these values (aims). */
  marks: number[];
}

function panel(report: SweepReport, spec: PanelSpec, left: number, top: number, width: number, height: number): string {
  const cells = report.cells;
  const values = cells.flatMap((c) => SERIES.map((s) => spec.value(c, s.key)));
  const span = niceMax(Math.max(...values.map(Math.abs), ...spec.marks.map(Math.abs)));
  const lo = spec.signed ? -span : 0;
  const py = (v: number) => top + height - ((Math.max(lo, Math.min(span, v)) - lo) / (span - lo)) * height;
  const out: string[] = [];
  out.push(`<text x="${left}" y="${top - 10}" class="title">${esc(spec.title)}</text>`);
  out.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" class="frame"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((span - lo) * i) / 4;
    out.push(`<line x1="${left}" x2="${left + width}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}" class="grid"/>`);
    out.push(`<text x="${left - 6}" y="${(py(v) + 4).toFixed(1)}" class="tick" text-anchor="end">${+(v * 100).toFixed(2)} %</text>`);
  }
  for (const m of spec.marks) out.push(`<line x1="${left}" x2="${left + width}" y1="${py(m).toFixed(1)}" y2="${py(m).toFixed(1)}" class="aim"/>`);
  const slot = width / cells.length;
  const bar = (slot * 0.8) / SERIES.length;
  cells.forEach((c, i) => {
    const x0 = left + i * slot + slot * 0.1;
    SERIES.forEach((s, k) => {
      const v = spec.value(c, s.key);
      const y1 = py(Math.max(0, v));
      const y0 = py(Math.min(0, v));
      out.push(`<rect x="${(x0 + k * bar).toFixed(1)}" y="${y1.toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${Math.max(0.5, y0 - y1).toFixed(1)}" fill="${s.color}"/>`);
    });
    out.push(`<text x="${(left + (i + 0.5) * slot).toFixed(1)}" y="${top + height + 14}" class="tick" text-anchor="middle">${esc(c.door.name)}</text>`);
    out.push(`<text x="${(left + (i + 0.5) * slot).toFixed(1)}" y="${top + height + 27}" class="tick" text-anchor="middle">${esc(c.camera.name)}</text>`);
  });
  return out.join('\n');
}

export function sweepSvg(report: SweepReport): string {
  const width = Math.max(760, 70 * report.cells.length + 120);
  const plotW = width - 110;
  const height = 640;
  const parts = [
    panel(report, { title: 'MAE, share of design capacity (lower is better)', value: (c, k) => c[k].maeShareOfCapacity, signed: false, marks: [] }, 80, 70, plotW, 200),
    panel(report, { title: 'Bias, share of the mean load (aim: within ±1 %, dashed)', value: (c, k) => c[k].bias, signed: true, marks: [0.01, -0.01] }, 80, 350, plotW, 200),
  ];
  const legend = SERIES.map((s, i) => `<rect x="${80 + i * 190}" y="${height - 36}" width="12" height="12" fill="${s.color}"/><text x="${98 + i * 190}" y="${height - 26}" class="tick">${esc(s.label)}</text>`).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    '<style>.title{font-size:14px;font-weight:bold}.tick{font-size:11px;fill:#333}.frame{fill:none;stroke:#999}.grid{stroke:#e5e5e5}.aim{stroke:#c00;stroke-dasharray:4 3}</style>',
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="80" y="22" class="title">Load model ${esc(report.model)} across door and camera quality; under each group: doors, camera</text>`,
    `<text x="80" y="38" class="tick">held out: ${esc(report.scenarios.join(', '))}; ${report.warmDays ? `each vehicle warmed by ${report.warmDays} earlier day${report.warmDays > 1 ? 's' : ''}` : 'cold start'}</text>`,
    ...parts,
    legend,
    '</svg>',
    '',
  ].join('\n');
}
