/**
 * The HTML report as people see it: a bench run of a day with a coverage gap, a sensor fault and a
 * power cut, rendered in headless Chromium. The test reads the page (both directions, hour ticks,
 * axis titles, the troubles on the day where they happened) and the screenshot's pixels (every
 * colour of the legend drawn, the heat maps drawn in the legend's colours, the marks visible).
 * Pixels are decoded by the browser itself (a canvas), so no image library is needed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { localHour } from '../../../common/time.js';
import { reportPage } from '../../../simulator/day-run/report-page.js';
import { runScenario } from '../../../simulator/day-run/run-scenario.js';
import { LOAD_CLASSES } from '../../../simulator/report/colour-scale.js';
import { MARK_STYLE, scenarioMarks } from '../../../simulator/report/day-marks.js';
import { loadScenario } from '../../../simulator/scenario.js';

const CHROMIUM = '/usr/bin/chromium';
const SCENARIO = fileURLToPath(new URL('../../fixtures/scenarios/report-day.yaml', import.meta.url));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

/** How many pixels of a PNG are within `tolerance` of each colour, decoded by the page's canvas. */
async function countColours(page: Page, png: Buffer, colours: readonly string[], tolerance = 3): Promise<number[]> {
  return page.evaluate(
    async ({ data, targets, tol }) => {
      // Runs in the page: the DOM's types are not in this project's compiler settings.
      interface Img { src: string; width: number; height: number; decode(): Promise<void> }
      interface Canvas { width: number; height: number; getContext(kind: '2d'): { drawImage(i: Img, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
      const dom = globalThis as unknown as { Image: new () => Img; document: { createElement(tag: 'canvas'): Canvas } };
      const img = new dom.Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const canvas = dom.document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, img.width, img.height).data;
      const counts = targets.map(() => 0);
      for (let i = 0; i < px.length; i += 4) {
        targets.forEach(([r, g, b], k) => {
          if (Math.abs(px[i]! - r) <= tol && Math.abs(px[i + 1]! - g) <= tol && Math.abs(px[i + 2]! - b) <= tol) counts[k]!++;
        });
      }
      return counts;
    },
    { data: png.toString('base64'), targets: colours.map(rgb), tol: tolerance },
  );
}

describe('HTML report in headless Chromium (screenshot)', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env['REQUIRE_CHROMIUM'] === '1') throw new Error(`Chromium is required (REQUIRE_CHROMIUM=1) but ${CHROMIUM} is missing (apt-get install chromium)`);
      this.skip();
    }
    const scenario = loadScenario(SCENARIO, []);
    const report = await runScenario(scenario, { keepDetails: true });
    dir = mkdtempSync(join(tmpdir(), 'report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, reportPage(report, (t) => localHour(t, scenario.timeZone), scenarioMarks(scenario)));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
    await page.goto(`file://${file}`);
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows both directions, true and estimated, with every hour labelled and the axes named', async () => {
    const titles = await page.locator('svg.heatmap > text:first-of-type').allTextContents();
    assert.deepEqual(titles, [
      'halle-5 towards Ammendorf: true load', 'halle-5 towards Ammendorf: estimated (as received)',
      'halle-5 towards Kröllwitz: true load', 'halle-5 towards Kröllwitz: estimated (as received)',
    ]);
    const ticks = await page.locator('svg.heatmap').first().locator('text.hour-tick').allTextContents();
    const hours = ticks.map(Number);
    assert.ok(hours.length >= 4, `hour ticks: ${ticks.join(' ')}`);
    hours.slice(1).forEach((h, i) => assert.equal(h, hours[i]! + 1, 'one label per hour, in order'));
    for (const h of ['06', '07', '08', '09']) assert.ok(ticks.includes(h), `hour ${h} labelled`);
    assert.match((await page.locator('svg.heatmap').first().locator('text.axis-title').allTextContents()).join('|'), /hour of the day \(local time.*\|stop \(running order\)/);
    const yTicks = (await page.locator('svg.trip-chart text.y-tick').allTextContents()).map(Number);
    assert.ok(yTicks.length >= 4 && yTicks[0] === 0, `trip chart ticks: ${yTicks.join(' ')}`);
    assert.ok(new Set(yTicks.slice(1).map((t, i) => t - yTicks[i]!)).size === 1, 'evenly spaced round ticks');
    assert.match(await page.locator('svg.trip-chart').textContent() ?? '', /passengers on board after the stop/);
  });

  it('marks the coverage gap, the sensor fault and the power cut at their hours on every map', async () => {
    const items = await page.locator('ul.marks li').allTextContents();
    assert.deepEqual(items.map((t) => t.trim()), ['power cut 06:40–06:50 (all trams)', 'coverage gap 07:00–08:00 (all trams)', 'camera fault 08:15–09:00 (all trams)']);
    const map = page.locator('svg.heatmap').first();
    const tickBox = async (label: string) => (await map.locator('text.hour-tick', { hasText: label }).boundingBox())!;
    const seven = await tickBox('07');
    const eight = await tickBox('08');
    const hourWidth = eight.x - seven.x;
    const gap = (await map.locator('rect.mark.coverage-gap').boundingBox())!;
    // The gap covers exactly the column of 07:00–08:00.
    assert.ok(Math.abs(gap.x - (seven.x + seven.width / 2 - hourWidth / 2)) < 2, `gap starts at 07:00 (${gap.x} vs ${seven.x})`);
    assert.ok(Math.abs(gap.width - hourWidth) < 2, 'and lasts one hour');
    const fault = (await map.locator('rect.mark.sensor-fault').boundingBox())!;
    assert.ok(Math.abs(fault.x - (eight.x + eight.width / 2 - hourWidth / 4)) < 2, '08:15');
    assert.ok(Math.abs(fault.width - (hourWidth * 3) / 4) < 2, '45 minutes');
    for (const kind of ['coverage-gap', 'sensor-fault', 'power-cut']) assert.equal(await page.locator(`svg.heatmap rect.mark.${kind}`).count(), 4, `${kind} on each of the 4 maps`);
  });

  it('the screenshot shows every legend colour, the heat maps in those colours, and the marks', async () => {
    const legend = await page.locator('svg.legend').screenshot();
    const inLegend = await countColours(page, legend, LOAD_CLASSES.map((c) => c.colour));
    inLegend.forEach((n, i) => assert.ok(n >= 300, `legend swatch ${LOAD_CLASSES[i]!.label} (${LOAD_CLASSES[i]!.colour}): ${n} pixels`));

    const maps = await page.locator('svg.heatmap').first().screenshot();
    const cells = await countColours(page, maps, LOAD_CLASSES.map((c) => c.colour));
    const used = cells.filter((n) => n >= 200).length;
    assert.ok(used >= 3, `the day's map uses several classes of the scale: ${cells.join(' ')}`);
    // Every cell of the DOM is on screen in a legend colour (the dashed mark lines cross a few).
    const cellCount = await page.locator('svg.heatmap').first().locator('rect.cell').count();
    const cellBox = (await page.locator('svg.heatmap').first().locator('rect.cell').first().boundingBox())!;
    const cellPixels = cells.reduce((a, b) => a + b, 0);
    assert.ok(cellCount > 50, `${cellCount} cells`);
    assert.ok(cellPixels > 0.8 * cellCount * cellBox.width * cellBox.height, `cells drawn in the legend's colours: ${cellPixels} px for ${cellCount} cells`);
    const marks = await countColours(page, maps, Object.values(MARK_STYLE).map((m) => m.colour), 2);
    marks.forEach((n, i) => assert.ok(n >= 20, `mark colour ${Object.keys(MARK_STYLE)[i]} visible: ${n} px`));
  });
});
