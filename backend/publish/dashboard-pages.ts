/**
 * The backend's pages for people, in German (English where a term is the usual one): the live
 * board (public), the load over the day per line and stop as a heatmap, and the fleet's health
 * (both for the operator's staff). Plain server-rendered HTML, no scripts, no external assets.
 */
import { MODEL_VERSION_NO_MODEL, MODEL_VERSION_NOT_REPORTED, modelVersionText } from '../../contracts/model-metadata.js';
import { LEVEL_NAMES } from '../../contracts/occupancy-levels.js';
import type { Level } from '../../proto/frames.js';
import { sensorFaultNames, type GatewayHealth } from './fleet-health.js';
import type { LoadCell } from './history.js';
import type { VehicleLevel } from './occupancy-board.js';
import type { StaticGtfs } from './static-gtfs.js';

export const escapeHtml = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Level colours on the board: unbekannt, leer, mittel, stark besetzt. */
export const LEVEL_COLOURS = ['#bbbbbb', '#4daf4a', '#ffb000', '#d7301f'];
/** The heatmap's five classes (ColorBrewer YlOrRd), and the colour of a cell without data. */
export const HEAT_COLOURS = ['#ffffb2', '#fecc5c', '#fd8d3c', '#f03b20', '#bd0026'];
export const NO_DATA_COLOUR = '#e6e6e6';

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px;color:#222}nav a{margin-right:16px}
table{border-collapse:collapse}td,th{padding:4px 10px;text-align:left}tr:nth-child(even){background:#f6f6f6}
.chip{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:middle;margin-right:6px}
.heat td{padding:0;width:34px;height:22px;text-align:center;font-size:11px;border:1px solid #fff}
.heat td.h3,.heat td.h4{color:#fff}.heat th{font-size:12px;font-weight:normal;padding:2px 6px}.heat tr{background:none}
.legend{display:flex;align-items:center;gap:0;margin:12px 0}.legend span.sw{width:60px;height:20px;display:inline-block}
.legend span.lab{font-size:12px;width:60px;display:inline-block;text-align:center}
.warn{color:#b00020;font-weight:bold}.muted{color:#777}`;

function layout(title: string, body: string, options: { refreshSeconds?: number; internal: boolean }): string {
  const staff = options.internal ? '<a href="/dashboard/load">Tagesverlauf (Heatmap)</a><a href="/dashboard/fleet">Flotte (Health)</a>' : '';
  return `<!doctype html><html lang="de"><head><meta charset="utf-8">${options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>
<nav><a href="/">Besetzung jetzt</a>${staff}<a href="/open-data/">Open Data</a></nav>
<h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

export function livePage(board: readonly VehicleLevel[], now: number, gtfs: StaticGtfs | undefined, internal: boolean): string {
  const rows = [...board]
    .sort((a, b) => a.line - b.line || a.vehicle.localeCompare(b.vehicle, 'en', { numeric: true }))
    .map((v) => {
      const t = v.trip;
      const towards = t ? escapeHtml(t.headsign || '') : '';
      const stop = t ? escapeHtml(gtfs?.stopName(t.next?.stopId ?? t.stopId) ?? t.next?.stopId ?? t.stopId) : `Halt ${v.stop}`;
      const where = t ? `${t.next ? 'nächster Halt' : 'Endhalt'}: ${stop}` : stop;
      const delay = t ? `${t.delaySeconds >= 0 ? '+' : '−'}${Math.round(Math.abs(t.delaySeconds) / 60)} min` : '–';
      return `<tr data-vehicle="${escapeHtml(v.vehicle)}"><td>${v.line}</td><td>${escapeHtml(v.vehicle)}</td><td>${towards}</td><td>${where}</td><td><span class="chip" style="background:${LEVEL_COLOURS[v.level] ?? LEVEL_COLOURS[0]}"></span>${LEVEL_NAMES[v.level as Level] ?? 'unbekannt'}</td><td>${v.occupancyTenths * 10} %</td><td>${delay}</td><td>vor ${ago(now - v.receivedAt)}</td></tr>`;
    })
    .join('\n');
  return layout(
    'Besetzung jetzt',
    `<table id="board"><tr><th>Linie</th><th>Wagen</th><th>Richtung</th><th>Ort</th><th>Besetzung</th><th>Anteil (occupancy)</th><th>Fahrplanabweichung</th><th>Stand</th></tr>
${rows || '<tr><td colspan="8">keine aktuellen Daten</td></tr>'}</table>
<p class="muted">Die Stufen (leer / mittel / stark besetzt) werden im Fahrzeug anonymisiert; Zählwerte je Halt werden hier nicht veröffentlicht.
Maschinenlesbar: <a href="/gtfs-rt/vehicle-positions.pb">GTFS-Realtime VehiclePositions</a>, <a href="/api/occupancy.json">occupancy.json</a>.</p>`,
    { refreshSeconds: 30, internal },
  );
}

/** The class (0..4) of a mean load on a scale from 0 to `max`. */
export function heatClass(load: number, max: number): number {
  return Math.min(HEAT_COLOURS.length - 1, Math.max(0, Math.floor((load / max) * HEAT_COLOURS.length)));
}

export interface HeatmapQuery {
  date: string;
  line: number | undefined;
  direction: string;
  lines: number[];
}

/** Heatmap of mean load per stop (rows) and service hour (columns) for one line and direction. */
export function heatmapPage(cells: readonly LoadCell[], q: HeatmapQuery): string {
  const directions = [...new Set(cells.map((c) => (c.direction !== undefined ? String(c.direction) : `d${c.destination}`)))].sort();
  const direction = directions.includes(q.direction) ? q.direction : directions[0];
  const shown = cells.filter((c) => (c.direction !== undefined ? String(c.direction) : `d${c.destination}`) === direction);
  const hours = [...new Set(shown.map((c) => c.hour))].sort((a, b) => a - b);
  const allHours = hours.length ? Array.from({ length: hours[hours.length - 1]! - hours[0]! + 1 }, (_, i) => hours[0]! + i) : [];
  const stops = new Map<number, string>();
  for (const c of shown) if (!stops.has(c.ibisStop)) stops.set(c.ibisStop, c.stopName ?? `Halt ${c.ibisStop}`);
  const byKey = new Map(shown.map((c) => [`${c.ibisStop}/${c.hour}`, c]));
  const maxLoad = Math.max(0, ...shown.map((c) => c.meanLoad));
  const scaleMax = Math.max(10, Math.ceil(maxLoad / 10) * 10);
  const grid = [...stops.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, name]) => {
      const tds = allHours
        .map((h) => {
          const c = byKey.get(`${k}/${h}`);
          if (!c) return `<td style="background:${NO_DATA_COLOUR}" title="keine Daten"></td>`;
          const cls = heatClass(c.meanLoad, scaleMax);
          return `<td class="h${cls}" style="background:${HEAT_COLOURS[cls]}" title="${escapeHtml(name)}, ${h % 24}:00–${h % 24}:59: Ø ${c.meanLoad.toFixed(1)} Fahrgäste, ${c.trips} Fahrten">${Math.round(c.meanLoad)}</td>`;
        })
        .join('');
      return `<tr><th>${k}. ${escapeHtml(name)}</th>${tds}</tr>`;
    })
    .join('\n');
  const step = scaleMax / HEAT_COLOURS.length;
  const legend = `<div id="legend"><div>Farbskala: Ø Besetzung nach Abfahrt (Fahrgäste)</div>
<div class="legend">${HEAT_COLOURS.map((c, i) => `<span class="sw h${i}" style="background:${c}"></span>`).join('')}<span class="sw" style="background:${NO_DATA_COLOUR};margin-left:16px"></span><span style="margin-left:6px">keine Daten</span></div>
<div class="legend">${HEAT_COLOURS.map((_, i) => `<span class="lab">${Math.round(i * step)}–${Math.round((i + 1) * step)}</span>`).join('')}</div></div>`;
  const lineOptions = q.lines.map((l) => `<option value="${l}"${l === q.line ? ' selected' : ''}>Linie ${l}</option>`).join('');
  const dirOptions = directions
    .map((d) => {
      const c = cells.find((x) => (x.direction !== undefined ? String(x.direction) : `d${x.destination}`) === d);
      const last = c ? cells.filter((x) => x.line === c.line && x.direction === c.direction && x.destination === c.destination).reduce((a, b) => (b.ibisStop > a.ibisStop ? b : a), c) : undefined;
      const label = d.startsWith('d') ? `Ziel ${d.slice(1)}` : `Richtung ${d}${last?.stopName ? ` (nach ${escapeHtml(last.stopName)})` : ''}`;
      return `<option value="${d}"${d === direction ? ' selected' : ''}>${label}</option>`;
    })
    .join('');
  const head = `<tr><th></th>${allHours.map((h) => `<th>${h % 24}</th>`).join('')}</tr>`;
  return layout(
    `Tagesverlauf Linie ${q.line ?? '–'} am ${q.date}`,
    `<form method="get"><label>Tag <input type="date" name="date" value="${escapeHtml(q.date)}"></label>
<label>Linie <select name="line">${lineOptions}</select></label> <label>Richtung <select name="direction">${dirOptions}</select></label> <button>zeigen</button></form>
${legend}
${shown.length ? `<table class="heat" id="heatmap">${head}\n${grid}</table>` : '<p id="empty">Für diesen Tag und diese Linie liegen keine Haltberichte vor.</p>'}
<p class="muted">Mittlere Besetzung nach Abfahrt (load on departure) je Halt und Stunde des Betriebstags, aus den Haltberichten der Fahrzeuge (exakte Zählwerte, nur für den Betrieb).
Daten: <a href="/api/history/load.json?date=${escapeHtml(q.date)}&amp;line=${q.line ?? ''}">JSON</a>.</p>`,
    { internal: true },
  );
}

const KNOWN_HEALTH = new Set(['uptimeMin', 'outboxDepth', 'oldestPendingSeq', 'sensorFaults', 'airtimeTodayMs', 'modelVersion', 'softwareVersion', 'restarts', 'outboxDropped', 'liveSkipped', 'newestSeq']);

function version(v: number): string {
  return v ? `${Math.floor(v / 10000)}.${Math.floor((v % 10000) / 100)}.${v % 100}` : '–';
}

/** The health frame's model_version in words (contracts/model-metadata.ts). */
function modelText(code: number): string {
  if (code === MODEL_VERSION_NOT_REPORTED) return 'nicht gemeldet';
  if (code === MODEL_VERSION_NO_MODEL) return 'keines (Laufsumme)';
  return modelVersionText(code) ?? `Nr. ${code}`;
}

/** The health frame's estimator fields (gateway/estimation: self-calibration and the guard). */
const ESTIMATOR_HEALTH = new Set(['estimatorMode', 'calibrationTrips', 'inOutPermilleOff', 'cameraScalePermilleOff', 'worstDoorPermilleOff', 'worstDoor', 'guardModelErrorTenths', 'guardSumErrorTenths']);
const ESTIMATOR_MODES: Record<number, string> = { 1: 'Modell', 2: 'Laufsumme (Wächter: Modell schlechter)', 3: 'Laufsumme (kein Modell)' };

/** What the gateway learned of its own counters, in words; undefined before it reported any trip. */
function calibrationText(h: Record<string, unknown>): string | undefined {
  const n = (k: string) => (typeof h[k] === 'number' ? (h[k] as number) : 0);
  const signed = (v: number) => `${v > 0 ? '+' : ''}${(v / 10).toFixed(1)} %`;
  const parts: string[] = [];
  if (n('estimatorMode')) parts.push(`Schätzer: ${ESTIMATOR_MODES[n('estimatorMode')] ?? n('estimatorMode')}`);
  if (n('calibrationTrips')) {
    parts.push(`${n('calibrationTrips')} Fahrten gelernt; Aus/Ein ${signed(n('inOutPermilleOff'))}, Kamera ${signed(n('cameraScalePermilleOff'))}`);
    if (n('worstDoor')) parts.push(`Tür ${n('worstDoor')} ${signed(n('worstDoorPermilleOff'))}`);
  }
  if (n('guardModelErrorTenths') || n('guardSumErrorTenths')) parts.push(`Fahrtende-Fehler Modell ${(n('guardModelErrorTenths') / 10).toFixed(1)} / Summe ${(n('guardSumErrorTenths') / 10).toFixed(1)}`);
  return parts.length ? parts.map(escapeHtml).join('<br>') : undefined;
}

/** Health of every gateway heard; stale (no frame for `staleMs`) and faulted ones marked. */
export function fleetPage(gateways: readonly GatewayHealth[], now: number, staleMs = 2 * 3_600_000): string {
  const rows = gateways
    .map((g) => {
      const h = g.health;
      const faults = h ? sensorFaultNames(h.sensorFaults) : [];
      const calibration = h ? calibrationText(h as unknown as Record<string, unknown>) : undefined;
      const others = h ? Object.entries(h).filter(([k, v]) => !KNOWN_HEALTH.has(k) && !ESTIMATOR_HEALTH.has(k) && v !== 0) : [];
      const stale = now - g.lastSeen > staleMs;
      return `<tr data-dev-eui="${escapeHtml(g.devEui)}"${stale || faults.length ? ' class="attention"' : ''}>
<td>${g.vehicle !== undefined ? escapeHtml(g.vehicle) : '<span class="warn">nicht im Inventar</span>'}</td><td><code>${escapeHtml(g.devEui)}</code></td>
<td${stale ? ' class="warn"' : ''}>vor ${ago(now - g.lastSeen)}</td>
<td${faults.length ? ' class="warn"' : ''}>${faults.length ? faults.map(escapeHtml).join(', ') : h ? 'keine' : '–'}</td>
<td>${h ? `${h.outboxDepth}${h.outboxDepth ? ` (ab Nr. ${h.oldestPendingSeq})` : ''}${h.outboxDropped ? ` <span class="warn">${h.outboxDropped} verworfen</span>` : ''}` : '–'}</td>
<td>${h ? `${(h.airtimeTodayMs / 1000).toFixed(1)} s` : '–'}</td>
<td>${h ? escapeHtml(modelText(h.modelVersion)) : '–'}</td>
<td>${h ? version(h.softwareVersion) : '–'}</td>
<td>${h ? `${h.restarts} / ${Math.floor(h.uptimeMin / 60)} h ${h.uptimeMin % 60} min` : '–'}</td>
<td>${calibration ?? '<span class="muted">noch nicht gemeldet</span>'}</td>
<td>${[h && h.liveSkipped ? `live_skipped: ${h.liveSkipped}` : '', ...others.map(([k, v]) => `${escapeHtml(k)}: ${escapeHtml(v)}`)].filter(Boolean).join('<br>')}</td></tr>`;
    })
    .join('\n');
  return layout(
    'Flotte: Zustand der Gateways',
    `<table id="fleet"><tr><th>Wagen</th><th>DevEUI</th><th>zuletzt gehört (last seen)</th><th>Sensorstörungen</th><th>Outbox (unbestätigt)</th><th>Sendezeit heute (airtime)</th><th>Modell</th><th>Software</th><th>Neustarts / Laufzeit</th><th>Kalibrierung</th><th>Weiteres</th></tr>
${rows || '<tr><td colspan="11">noch kein Gateway gehört</td></tr>'}</table>
<p class="muted">Aus den Health-Frames der Gateways (FPort 3, je Health-Intervall und nach jedem Start). Markiert: seit mehr als ${Math.round(staleMs / 3_600_000)} h nichts gehört, oder eine Sensorstörung.</p>`,
    { refreshSeconds: 60, internal: true },
  );
}

export function openDataIndex(months: readonly string[], minTrips: number, internal: boolean): string {
  const items = months.map((m) => `<li>${m}: <a href="/open-data/load-${m}.csv">CSV</a>, <a href="/open-data/load-${m}.json">JSON</a></li>`).join('\n');
  return layout(
    'Open Data: Besetzung je Linie, Halt, Richtung und Stunde',
    `<p>Je abgeschlossenem Kalendermonat, je Linie, Richtung, Halt, Tagesart (Mo-Fr, Sa, So) und Stunde des Betriebstags: Zahl der Fahrten, mittlere Besetzung (auf 5 Fahrgäste gerundet), mittlere Ein- und Ausstiege.
Zellen mit weniger als ${minTrips} Fahrten werden unterdrückt. Datenbeschreibung (data dictionary): docs/open-data.md.</p>
<ul id="months">${items || '<li>noch kein abgeschlossener Monat mit Daten</li>'}</ul>`,
    { internal },
  );
}
