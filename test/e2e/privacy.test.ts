/**
 * The privacy proof (issues 6 and 11): a scenario at device depth, where the vehicle bus sends the
 * driver's staff number, the camera sends raw track ids and phones send their radio addresses, runs
 * through the real gateways. Everything that could carry an identifier out is captured: every byte
 * written to each modem, every uplink the network server publishes, every log line at trace level,
 * what the process writes to stdout and stderr, the outbox databases as files and the backend's
 * report store. Every frame is decoded (hex from the modem's AT+SEND / mac tx lines, base64 from the
 * network server's JSON, then protobuf) and its fields and bytes are searched too. None of the raw
 * identifiers may appear, as text or as binary (MAC addresses as 6 raw bytes, staff numbers as 32-bit
 * or varint bytes), nor their SHA-1, SHA-256 or constant-key HMACs (hex, base64, raw bytes); nor any
 * 6 bytes of a vehicle's AppKey outside the one modem line that sets it. The pseudonyms of one phone
 * must not link across the daily key rotation.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteReportStore } from '../../backend/store/report-store.js';
import { configureLogging, currentLogLevel } from '../../common/log.js';
import { zonedTimeToEpoch } from '../../common/time.js';
import { runScenario, type BenchReport } from '../../simulator/day-run/run-scenario.js';
import { scenarioFromObject } from '../../simulator/scenario.js';
import { decodeUplink } from '../../proto/frames.js';
import { findLeak } from '../helpers/leak-check.js';
import { LeakIndex } from '../helpers/leak-index.js';

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
  /** Per vehicle, what its driver wrote to the modem, and its AppKey. */
  const modemByVehicle = new Map<string, Buffer[]>();
  const appKeys = new Map<string, string>();
  const processOutput: string[] = [];
  let storeText = '';
  let storeRows = 0;
  const storeBytes: Buffer[] = [];
  const outboxBytes: Buffer[] = [];

  before(async () => {
    outboxDir = mkdtempSync(join(tmpdir(), 'privacy-outbox-'));
    const storePath = join(outboxDir, 'backend-store.sqlite');
    const store = new SqliteReportStore(storePath);
    const level = currentLogLevel();
    configureLogging({ destination: { write: (line: string) => logLines.push(line) }, level: 'trace' });
    // Whatever the process itself writes (a stray console.log, a library's warning) goes to the journal too.
    const saved = { out: process.stdout.write, err: process.stderr.write };
    const grab = (chunk: unknown): boolean => {
      processOutput.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('latin1'));
      return true;
    };
    process.stdout.write = grab as typeof process.stdout.write;
    process.stderr.write = grab as typeof process.stderr.write;
    let lastRadio: string | undefined;
    try {
      report = await runScenario(scenario, {
        capture: {
          outboxDir,
          store,
          appKey: (vehicle, key) => appKeys.set(vehicle, key),
          modemWrite: (vehicle, chunk) => {
            modemBytes.push(chunk);
            const list = modemByVehicle.get(vehicle) ?? [];
            list.push(chunk);
            modemByVehicle.set(vehicle, list);
          },
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
      process.stdout.write = saved.out;
      process.stderr.write = saved.err;
      configureLogging({ destination: { write: (line: string) => process.stderr.write(line) }, level });
      store.close();
    }
    // The backend's store: its file and every row.
    for (const f of readdirSync(outboxDir).filter((name) => name.startsWith('backend-store'))) {
      const bytes = readFileSync(join(outboxDir, f));
      storeBytes.push(bytes);
      storeText += bytes.toString('latin1');
    }
    const storeDb = new Database(storePath, { readonly: true });
    for (const { name } of storeDb.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>) {
      const rows = storeDb.prepare(`SELECT * FROM "${name}"`).all();
      if (name === 'reports') storeRows = rows.length;
      storeText += JSON.stringify(rows);
    }
    storeDb.close();
    // The outbox databases: their raw bytes (free pages included) and every row of every table.
    const files = readdirSync(outboxDir).filter((name) => !name.startsWith('backend-store'));
    for (const f of files) {
      const bytes = readFileSync(join(outboxDir, f));
      outboxBytes.push(bytes);
      outboxText += bytes.toString('latin1');
    }
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
    assert.ok(storeRows >= report.delivery.delivered && storeRows > 20, `the backend stored ${storeRows} reports`);
    assert.equal(appKeys.size, report.vehicles, 'each vehicle has its AppKey');
  });

  /** Every frame decoded (hex from the modem, base64 from the network server), with every other channel, in one index. */
  function buildIndex(): { index: LeakIndex; modemFrames: number; networkFrames: number; keyLines: number } {
    const index = new LeakIndex();
    let modemFrames = 0;
    let networkFrames = 0;
    let keyLines = 0;
    const recvTime = Date.UTC(2026, 10, 23, 8);
    const frames: Array<{ fPort: number; bytes: Buffer; where: string }> = [];
    const decodeInto = (fPort: number, bytes: Buffer, where: string): void => {
      frames.push({ fPort, bytes, where });
    };
    const decodeAll = (): void => {
      for (const { fPort, bytes, where } of frames.splice(0)) decodeFrame(fPort, bytes, where);
    };
    const decodeFrame = (fPort: number, bytes: Buffer, where: string): void => {
      index.addBytes(bytes);
      let decoded;
      try {
        decoded = decodeUplink(fPort, bytes, recvTime);
      } catch (error) {
        assert.fail(`an undecodable frame ${where} (fPort ${fPort}, ${bytes.length} B) could hide anything: ${(error as Error).message}`);
      }
      index.addDecoded(decoded);
    };
    index.channel('modem lines');
    for (const chunks of modemByVehicle.values()) {
      for (const line of Buffer.concat(chunks).toString('latin1').split(/\r?\n/)) {
        // The one line that must carry the AppKey: to the module, to set it. Nothing else may.
        if (/^(AT\+APPKEY=|mac set appkey )/i.test(line)) {
          keyLines++;
          continue;
        }
        index.addText(line);
        const send = /^AT\+SEND=(\d+):([0-9A-Fa-f]*)$/.exec(line) ?? /^mac tx (?:cnf|uncnf) (\d+) ([0-9A-Fa-f]+)$/.exec(line);
        if (send) {
          decodeInto(Number(send[1]), Buffer.from(send[2]!, 'hex'), 'to the modem');
          modemFrames++;
        }
      }
    }
    index.channel('frames decoded from the modem lines');
    decodeAll();
    index.channel('network server JSON');
    for (const json of published) {
      index.addText(json);
      const event = JSON.parse(json) as { fPort?: number; data?: string; uplink_message?: { f_port?: number; frm_payload?: string } };
      const fPort = event.fPort ?? event.uplink_message?.f_port;
      const data = event.data ?? event.uplink_message?.frm_payload;
      if (fPort !== undefined && data !== undefined) {
        decodeInto(fPort, Buffer.from(data, 'base64'), 'from the network server');
        networkFrames++;
      }
    }
    index.channel('frames decoded from the network server JSON');
    decodeAll();
    index.channel('logs (trace)').addText(logLines.join(''));
    index.channel('stdout and stderr').addText(processOutput.join(''));
    index.channel('outbox files').addText(outboxText);
    for (const b of outboxBytes) index.addBytes(b);
    index.channel('backend store').addText(storeText);
    for (const b of storeBytes) index.addBytes(b);
    return { index, modemFrames, networkFrames, keyLines };
  }

  it('decodes every frame and finds no raw identifier, binary or as text, no SHA-1/SHA-256/constant-key HMAC of one, and no AppKey byte anywhere', () => {
    const { index, modemFrames, networkFrames, keyLines } = buildIndex();
    assert.ok(modemFrames >= report.frames.count, `frames decoded from the modem lines: ${modemFrames} of ${report.frames.count} sent`);
    assert.equal(networkFrames, published.length, 'every published uplink carried a frame and it decoded');
    assert.ok(keyLines >= report.vehicles, `the AppKey went to each modem once per start (${keyLines} lines)`);
    assert.ok(index.binaryBytes > 10_000 && index.textChars > 100_000, `indexed ${index.binaryBytes} B binary, ${index.textChars} chars of text`);
    let checked = 0;
    const check = (what: string, leak: string | undefined) => {
      assert.equal(leak, undefined, `${what}: found ${leak}`);
      checked++;
    };
    for (const id of raw['staff-number']) check(`staff number ${id}`, index.staffNumber(id));
    for (const id of raw['camera-track']) check(`camera track ${id}`, index.cameraTrack(id));
    for (const id of raw.radio) check(`radio address ${id}`, index.mac(id));
    for (const [vehicle, key] of appKeys) check(`AppKey of ${vehicle}`, index.key(key));
    assert.ok(checked > 300, `${checked} identifiers and keys checked`);
  });

  it('writes no raw identifier and no unkeyed hash of one to the modem, the network, the logs or the outbox', () => {
    const channels: Record<string, string> = {
      modem: Buffer.concat(modemBytes).toString('latin1'),
      network: published.join('\n'),
      logs: logLines.join(''),
      outbox: outboxText,
      // stdout, stderr and the backend store are searched by the decoding check above (leak-index.ts).
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
    const out = [Buffer.concat(modemBytes).toString('latin1'), published.join('\n'), outboxText, storeText].join('\n');
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
