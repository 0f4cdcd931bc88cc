import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { VirtualClock } from '../../../common/clock.js';
import { HEAT_COLOURS, LEVEL_COLOURS, NO_DATA_COLOUR } from '../../../backend/publish/dashboard-pages.js';
import { startPublicServer } from '../../../backend/publish/http-server.js';
import { FleetHealth } from '../../../backend/publish/fleet-health.js';
import { OccupancyBoard } from '../../../backend/publish/occupancy-board.js';
import type { Health } from '../../../proto/frames.js';
import { chromiumOrSkip } from '../../helpers/chromium.js';
import { colourCounts, decodePng } from '../../helpers/png.js';
import { publishedDay, type PublishedDay } from '../../helpers/published-day.js';

/** Screenshots stay here for people to look at (SCREENSHOT_DIR to choose). */
const SHOTS = process.env['SCREENSHOT_DIR'] ?? join(tmpdir(), 'havag-dashboards');

describe('dashboards in headless Chromium (a bench morning on line 5)', function () {
  this.timeout(120_000);
  let day: PublishedDay;
  let browser: Browser;
  let page: Page;
  let server: Server;
  let base: string;
  let onBoard: string[];
  let fleetHealth: FleetHealth;

  before(async function () {
    browser = await chromiumOrSkip(this);
    day = await publishedDay();
    // The board as it stood at 08:15, mid-morning: the live levels up to then played into a board.
    const clock = new VirtualClock(Date.UTC(2026, 10, 23, 7, 15));
    const board = new OccupancyBoard((d) => day.fleet.get(d), 10 * 60_000, day.gtfs);
    for (const l of day.lives) if (l.receivedAt <= clock.now()) board.live(l.devEui, l.live, l.receivedAt);
    const latest = new Map(day.lives.filter((l) => l.receivedAt <= clock.now()).map((l) => [l.vehicle, l.receivedAt]));
    onBoard = [...latest].filter(([, t]) => clock.now() - t <= 10 * 60_000).map(([v]) => v).sort();
    const devEuiOf = (v: string) => [...day.fleet].find(([, n]) => n === v)?.[0];
    // The fleet's health from the morning's health frames (this test adds one of its own below).
    fleetHealth = new FleetHealth((d) => day.fleet.get(d));
    for (const h of day.healths) fleetHealth.health(h.devEui, h.health, h.receivedAt);
    server = await startPublicServer(board, clock, 0, '127.0.0.1', { gtfs: day.gtfs, history: day.history, fleet: fleetHealth, devEuiOf, internal: true });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    server?.close();
    day?.close();
  });

  async function shot(name: string) {
    const png = await page.screenshot({ fullPage: true });
    writeFileSync(join(SHOTS, `${name}.png`), png);
    const pixels = decodePng(png);
    const counts = colourCounts(pixels);
    // Not blank: plenty of colours, and white is not nearly everything.
    assert.ok(counts.size > 50, `${name}: only ${counts.size} colours`);
    assert.ok((counts.get('#ffffff') ?? 0) < 0.97 * pixels.width * pixels.height, `${name}: blank`);
    return counts;
  }

  it('live board: every tram with its line, direction, next stop and level, the level colours on screen', async () => {
    await page.goto(`${base}/`);
    assert.equal(await page.title(), 'Besetzung jetzt');
    const rows = await page.$$eval('#board tr[data-vehicle]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    assert.deepEqual(onBoard, ['661', '662', '663']);
    assert.deepEqual(rows.map((r) => r[1]).sort(), onBoard);
    for (const r of rows) {
      assert.equal(r[0], '5');
      assert.ok(['Ammendorf', 'Kröllwitz'].includes(r[2]!), `direction ${r[2]}`);
      assert.match(r[3]!, /^(nächster Halt|Endhalt): \S/);
      assert.match(r[6]!, /^[+−]\d+ min$/, 'deviation from the timetable');
      assert.match(r[4]!, /^(leer|mittel|stark besetzt)$/);
      assert.match(r[5]!, /^\d+ %$/);
    }
    const counts = await shot('live-board');
    const levels = await page.$$eval('#board .chip', (els) => els.map((e) => e.ownerDocument.defaultView!.getComputedStyle(e).backgroundColor));
    for (const colour of new Set(levels)) {
      const hex = LEVEL_COLOURS.find((c) => colour === `rgb(${parseInt(c.slice(1, 3), 16)}, ${parseInt(c.slice(3, 5), 16)}, ${parseInt(c.slice(5, 7), 16)})`);
      assert.ok(hex, `chip colour ${colour} is a level colour`);
      assert.ok((counts.get(hex) ?? 0) >= 100, `${hex} on screen`);
    }
  });

  it('heatmap: a row per stop, the hours of the morning, cells coloured by the legend\'s scale', async () => {
    await page.goto(`${base}/dashboard/load?date=2026-11-23&line=5&direction=0`);
    const stops = await page.$$eval('#heatmap tr th:first-child', (ths) => ths.map((th) => th.textContent ?? '').filter(Boolean));
    assert.equal(stops.length, 22, 'the 22 stops of line 5');
    assert.match(stops[0]!, /^1\. Kröllwitz/);
    assert.match(stops[21]!, /^22\. Ammendorf/);
    const hours = await page.$$eval('#heatmap tr:first-child th', (ths) => ths.map((th) => th.textContent).filter(Boolean));
    assert.deepEqual(hours, ['6', '7', '8', '9']);
    const legend = await page.$$eval('#legend .sw', (els) => els.map((e) => e.ownerDocument.defaultView!.getComputedStyle(e).backgroundColor));
    assert.equal(legend.length, HEAT_COLOURS.length + 1);
    assert.match(await page.textContent('#legend') ?? '', /Fahrgäste/);
    const counts = await shot('heatmap');
    // Each class of the scale is in the legend (60x20 px swatches) and at least three of them in
    // the grid too; the cell of a class shows the legend's colour.
    for (const c of [...HEAT_COLOURS, NO_DATA_COLOUR]) assert.ok((counts.get(c) ?? 0) >= 60 * 20, `legend colour ${c} on screen`);
    const classes = await page.$$eval('#heatmap td', (tds) => tds.map((td) => td.className).filter(Boolean));
    const used = new Set(classes);
    assert.ok(used.size >= 3, `only classes ${[...used].join(', ')} in the grid`);
    for (const cls of used) {
      const i = Number(cls.slice(1));
      const cell = decodePng(await page.locator(`#heatmap td.${cls}`).first().screenshot());
      const cellCounts = colourCounts(cell);
      const top = [...cellCounts].sort((a, b) => b[1] - a[1])[0]![0];
      assert.equal(top, HEAT_COLOURS[i], `cell of class ${cls}`);
    }
    // Busier cells are darker classes: the mean loads printed in them rise with the class.
    const byClass = await page.$$eval('#heatmap td[class]', (tds) => tds.map((td) => [Number(td.className.slice(1)), Number(td.textContent)] as const));
    for (const [cls, load] of byClass) for (const [cls2, load2] of byClass) if (cls < cls2) assert.ok(load <= load2, `class ${cls} (${load}) above class ${cls2} (${load2})`);
  });

  it('fleet health: last seen, faults, outbox, airtime, model, calibration when a gateway reports it', async () => {
    const [dev661] = [...day.fleet].find(([, v]) => v === '661')!;
    const h = fleetHealth.get(dev661)!.health!;
    assert.ok(h, 'the bench sent health frames');
    // A later frame with a camera fault, the guard on the running sum and what the gateway learned of its counters.
    fleetHealth.health(dev661, { ...h, sensorFaults: 8, estimatorMode: 2, calibrationTrips: 14, inOutPermilleOff: -35, cameraScalePermilleOff: 120, worstDoor: 3, worstDoorPermilleOff: -80, guardModelErrorTenths: 21, guardSumErrorTenths: 9 } as Health, fleetHealth.get(dev661)!.healthAt! + 1);
    await page.goto(`${base}/dashboard/fleet`);
    const rows = await page.$$eval('#fleet tr[data-dev-eui]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
    assert.deepEqual(rows.map((r) => r[0]), ['661', '662', '663']);
    const r661 = rows[0]!;
    assert.equal(r661[1], dev661);
    assert.match(r661[2]!, /^vor \d+ (s|min|h)$/);
    assert.equal(r661[3], 'Kamera');
    assert.match(r661[4]!, /^\d+/);
    assert.match(r661[5]!, /^\d+\.\d s$/);
    assert.equal(r661[6], 'keines (Laufsumme)', 'the morning ran with gateway.estimator=running-sum: no model, and the gateway says so');
    assert.match(r661[9]!, /Wächter: Modell schlechter/);
    assert.match(r661[9]!, /14 Fahrten gelernt; Aus\/Ein -3\.5 %, Kamera \+12\.0 %/);
    assert.match(r661[9]!, /Tür 3 -8\.0 %/);
    assert.match(r661[9]!, /Fahrtende-Fehler Modell 2\.1 \/ Summe 0\.9/);
    assert.equal(rows[1]![3], 'keine');
    // The bench's gateways run the model and say so in every health frame.
    assert.match(rows[1]![9]!, /Schätzer: (Modell|Laufsumme)/);
    const faultColour = await page.$eval('#fleet tr[data-dev-eui] td.warn', (td) => td.ownerDocument.defaultView!.getComputedStyle(td).color);
    assert.equal(faultColour, 'rgb(176, 0, 32)');
    const counts = await shot('fleet-health');
    assert.ok((counts.get('#b00020') ?? 0) > 20, 'the fault shows in red');
  });
});
