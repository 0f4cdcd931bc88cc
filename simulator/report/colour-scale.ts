/**
 * The load colour scale of the report's heat maps: six classes of the load as a share of the
 * vehicle's design capacity (seats and standing at 4/m²), in ColorBrewer's YlOrRd (sequential,
 * readable when printed in grey and by most colour-blind readers). Cells take exactly a class's
 * colour, so the legend says what a colour means without interpolation.
 */
import { esc } from './svg.js';

export interface LoadClass {
  /** Lower bound, as a share of design capacity (inclusive). */
  from: number;
  label: string;
  colour: string;
}

export const LOAD_CLASSES: readonly LoadClass[] = [
  { from: 0, label: 'under 10 %', colour: '#ffffb2' },
  { from: 0.1, label: '10–25 %', colour: '#fed976' },
  { from: 0.25, label: '25–50 %', colour: '#feb24c' },
  { from: 0.5, label: '50–75 %', colour: '#fd8d3c' },
  { from: 0.75, label: '75–100 %', colour: '#f03b20' },
  { from: 1, label: '100 % and over', colour: '#bd0026' },
];

export function loadClass(share: number): LoadClass {
  let found = LOAD_CLASSES[0]!;
  for (const c of LOAD_CLASSES) if (share >= c.from) found = c;
  return found;
}

/** The legend: one swatch per class with its range, and what an empty cell means. */
export function loadLegend(): string {
  const sw = 26;
  const gap = 118;
  const parts = [`<svg width="${24 + LOAD_CLASSES.length * gap + 140}" height="52" role="img" aria-label="colour scale: mean load as a share of design capacity" class="legend">`];
  parts.push('<text x="0" y="12" font-size="12" font-weight="bold">Mean load, share of design capacity</text>');
  LOAD_CLASSES.forEach((c, i) => {
    const x = i * gap;
    parts.push(`<rect x="${x}" y="20" width="${sw}" height="18" fill="${c.colour}" stroke="#666" stroke-width="0.5" data-legend="${c.colour}"/>`);
    parts.push(`<text x="${x + sw + 4}" y="33" font-size="11">${esc(c.label)}</text>`);
  });
  const x = LOAD_CLASSES.length * gap;
  parts.push(`<rect x="${x}" y="20" width="${sw}" height="18" fill="#ffffff" stroke="#999" stroke-dasharray="2,2"/><text x="${x + sw + 4}" y="33" font-size="11">no departure</text>`);
  parts.push('</svg>');
  return parts.join('');
}
