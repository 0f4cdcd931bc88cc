/**
 * The privacy proof (issue 6): a scenario at device depth, where the vehicle bus sends the driver's
 * staff number, the camera sends raw track ids and phones send their radio addresses, runs through
 * the real gateways. Everything that could carry an identifier out is captured: every byte written
 * to each modem, every uplink the network server publishes, every log line at trace level, and the
 * outbox databases as files. None of the raw identifiers, nor their unkeyed SHA-256, may appear in
 * any of it; and the pseudonyms of one phone must not link across the daily key rotation.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { configureLogging, currentLogLevel } from '../../common/log.js';
import { zonedTimeToEpoch } from '../../common/time.js';
import { runScenario, type BenchReport } from '../../simulator/day-run/run-scenario.js';
import { scenarioFromObject } from '../../simulator/scenario.js';
import { findLeak } from '../helpers/leak-check.js';

const ROTATION_HOUR = 7;
const scenario = scenarioFromObject({
  name: 'privacy-proof',
  description: 'line 5 at device depth across a key rotation, every identifier captured',
  seed: 606,
  date: '2026-11-23',
  timeZone: 'Europe/Berlin',
  start: '06:15',
  end: '07:45',
  drainMinutes: 90,
  depth: 'device',
  lines: [{ file: '../data/lines/halle-5.yaml', vehicleType: 'MGT-K1', maxVehicles: 2 }],
  radio: { enabled: true, carryShare: 0.8, rotationMinutes: 60, bystandersPerStop: 4 },
  gateway: { keyRotationHour: ROTATION_HOUR },
  // A camera outage: its fault path and log lines are part of what is checked.
  faults: [{ sensor: 'camera', from: '06:40', to: '06:50' }],
});

/** The usual spellings of an identifier a careless component might write. */
function spellings(kind: string, raw: string): string[] {
  if (kind !== 'radio') return [raw];
  return [raw, raw.toUpperCase(), raw.replace(/:/g, ''), raw.replace(/:/g, '').toUpperCase(), raw.replace(/:/g, '-')];
}

describe('privacy proof: nothing personal leaves the vehicle', function () {
  this.timeout(180_000);
  const raw = { 'staff-number': new Set<string>(), 'camera-track': new Set<string>(), radio: new Set<string>() };
  const modemBytes: Buffer[] = [];
  const published: string[] = [];
  const logLines: string[] = [];
  /** Radio pseudonyms paired with the vehicle/raw address that produced them (each gateway has its own key), and when. */
  const radioPairs: Array<{ raw: string; pseudonym: string; at: number }> = [];
  const cameraPseudonyms = new Set<string>();
  let outboxText = '';
  let outboxRows = 0;
  let report: BenchReport;
  let outboxDir: string;

  before(async () => {
    outboxDir = mkdtempSync(join(tmpdir(), 'privacy-outbox-'));
    const level = currentLogLevel();
    configureLogging({ destination: { write: (line: string) => logLines.push(line) }, level: 'trace' });
    let lastRadio: string | undefined;
    try {
      report = await runScenario(scenario, {
        capture: {
          outboxDir,
          modemWrite: (_vehicle, chunk) => modemBytes.push(chunk),
          published: (json) => published.push(json),
          rawId: (kind, id) => {
            raw[kind].add(id);
            if (kind === 'radio') lastRadio = id;
          },
          sourceEvent: (vehicle, event) => {
            // The radio source hands on a sighting synchronously, right after the raw address came in.
            if (event.type === 'radio' && lastRadio) radioPairs.push({ raw: `${vehicle}/${lastRadio}`, pseudonym: event.pseudonym, at: event.at });
            if (event.type === 'camera') for (const t of event.tracks ?? []) cameraPseudonyms.add(t);
          },
        },
      });
    } finally {
      configureLogging({ destination: { write: (line: string) => process.stderr.write(line) }, level });
    }
    // The outbox databases: their raw bytes (free pages included) and every row of every table.
    const files = readdirSync(outboxDir);
    for (const f of files) outboxText += readFileSync(join(outboxDir, f)).toString('latin1');
    for (const f of files.filter((name) => name.endsWith('.db'))) {
      const db = new Database(join(outboxDir, f), { readonly: true });
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>) {
        const rows = db.prepare(`SELECT * FROM "${name}"`).all();
        outboxRows += rows.length;
        outboxText += JSON.stringify(rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v));
      }
      db.close();
    }
    rmSync(outboxDir, { recursive: true, force: true });
  });

  it('ran the gateways for real, with identifiers everywhere around them', () => {
    assert.ok(report.stopEvents > 20, `stop events ${report.stopEvents}`);
    assert.equal(report.delivery.lost, 0);
    assert.equal(raw['staff-number'].size, report.vehicles, 'each on-board computer sends a staff number');
    assert.ok(raw['camera-track'].size > 50, `camera track ids ${raw['camera-track'].size}`);
    assert.ok(raw.radio.size > 200, `radio addresses ${raw.radio.size}`);
    assert.ok(cameraPseudonyms.size > 50, 'the camera binding passed pseudonymised tracks on');
    assert.ok(radioPairs.length > 200, `radio sightings ${radioPairs.length}`);
    // Every channel that is checked below really carried traffic.
    const written = modemBytes.reduce((s, b) => s + b.length, 0);
    assert.ok(written > 3000, `bytes to the modems ${written}`);
    assert.ok(published.length > 20, `uplinks published ${published.length}`);
    assert.ok(logLines.length > 100, `log lines ${logLines.length}`);
    assert.ok(logLines.some((l) => l.includes('personal telegram dropped')), 'the IBIS reader dropped staff numbers');
    assert.ok(outboxText.length > 1000 && outboxRows > 0, `outbox: ${outboxText.length} bytes, ${outboxRows} rows`);
  });

  it('writes no raw identifier and no unkeyed hash of one to the modem, the network, the logs or the outbox', () => {
    const channels: Record<string, string> = {
      modem: Buffer.concat(modemBytes).toString('latin1'),
      network: published.join('\n'),
      logs: logLines.join(''),
      outbox: outboxText,
    };
    let checked = 0;
    for (const [kind, ids] of Object.entries(raw)) {
      for (const id of ids) {
        for (const form of spellings(kind, id)) {
          for (const [channel, text] of Object.entries(channels)) {
            const leak = findLeak(text, form);
            assert.equal(leak, undefined, `${kind} ${id}: ${leak} in ${channel}`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 1000, `${checked} checks`);
  });

  it('keeps pseudonyms, too, inside the vehicle', () => {
    const out = [Buffer.concat(modemBytes).toString('latin1'), published.join('\n'), outboxText].join('\n');
    const pseudonyms = [...new Set(radioPairs.map((p) => p.pseudonym)), ...cameraPseudonyms];
    for (const p of pseudonyms) assert.ok(!out.includes(p), `pseudonym ${p} left the vehicle`);
  });

  it('links one phone within a key epoch and never across the rotation', () => {
    for (const p of radioPairs) {
      const address = p.raw.slice(p.raw.indexOf('/') + 1);
      assert.equal(findLeak(p.pseudonym, address), undefined, 'a pseudonym is the address or its unkeyed hash');
    }
    const rotation = zonedTimeToEpoch(scenario.date, `${String(ROTATION_HOUR).padStart(2, '0')}:00`, scenario.timeZone);
    const byRaw = new Map<string, { before: Set<string>; after: Set<string> }>();
    for (const p of radioPairs) {
      const entry = byRaw.get(p.raw) ?? { before: new Set(), after: new Set() };
      (p.at < rotation ? entry.before : entry.after).add(p.pseudonym);
      byRaw.set(p.raw, entry);
    }
    const across = [...byRaw.values()].filter((e) => e.before.size > 0 && e.after.size > 0);
    assert.ok(across.length >= 10, `phones heard on both sides of the rotation: ${across.length}`);
    for (const e of byRaw.values()) {
      assert.ok(e.before.size <= 1 && e.after.size <= 1, 'one address, one pseudonym per epoch');
    }
    for (const e of across) assert.notEqual([...e.before][0], [...e.after][0], 'a pseudonym linked across the rotation');
    const before = new Set(radioPairs.filter((p) => p.at < rotation).map((p) => p.pseudonym));
    const after = radioPairs.filter((p) => p.at >= rotation).map((p) => p.pseudonym);
    assert.ok(after.every((p) => !before.has(p)), 'no pseudonym of the old epoch reappears after the rotation');
  });
});
