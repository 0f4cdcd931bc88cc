import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Rng } from '../../../common/random.js';

const CHILD = fileURLToPath(new URL('../../helpers/outbox-crash-child.ts', import.meta.url));
const KILLS = Number(process.env['OUTBOX_KILLS'] ?? 36);

/**
 * Starts the child and kills it with SIGKILL once it has appended at least `minAppends` reports
 * and `workMs` have passed since it was ready: a random moment in its loop, with some work done
 * however slow the machine is.
 */
function runAndKill(args: string[], workMs: number, minAppends: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let appends = 0;
    let timeUp = false;
    const maybeKill = (): void => {
      if (timeUp && appends >= minAppends) child.kill('SIGKILL');
    };
    child.stdout.once('data', () => setTimeout(() => ((timeUp = true), maybeKill()), workMs));
    child.stdout.on('data', (chunk: Buffer) => {
      for (const c of chunk.toString()) if (c === '+') appends++;
      maybeKill();
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child ended by itself (code ${code}): ${stderr.slice(0, 2000)}`));
    });
  });
}

describe('Outbox under SIGKILL at random moments', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'outbox-crash-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`loses no committed report and never gives a sequence number twice (${KILLS} kills)`, async () => {
    const db = join(dir, 'outbox.db');
    const sideLog = join(dir, 'side.log');
    const counter = join(dir, 'counter');
    const rng = new Rng(20261123);
    for (let k = 0; k < KILLS; k++) await runAndKill([db, sideLog, counter, String(k + 1)], rng.int(2, 120), rng.int(6, 15));

    const lines = readFileSync(sideLog, 'utf8').split('\n').filter(Boolean);
    const keyOfSeq = new Map<number, number>();
    const seqOfKey = new Map<number, number>();
    const bind = (seq: number, key: number, what: string): void => {
      assert.equal(keyOfSeq.get(seq) ?? key, key, `${what}: seq ${seq} carried key ${keyOfSeq.get(seq)} before, now ${key}`);
      assert.equal(seqOfKey.get(key) ?? seq, seq, `${what}: key ${key} went out as seq ${seqOfKey.get(key)} before, now as ${seq}`);
      keyOfSeq.set(seq, key);
      seqOfKey.set(key, seq);
    };
    let starts = 0;
    let acked = 0;
    let previousStartSeq = 0;
    const epochs = new Set<string>();
    for (const line of lines) {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'A') bind(Number(a), Number(b), 'append');
      else if (kind === 'S') bind(Number(a), Number(b), 'send');
      else if (kind === 'K') acked = Math.max(acked, Number(a));
      else if (kind === 'R') {
        starts++;
        assert.equal(Number(a), starts, 'every start is counted');
        const nextSeq = Number(b);
        assert.ok(nextSeq > Math.max(0, ...[...keyOfSeq.keys()].filter((s) => s >= previousStartSeq)), `after a kill, numbering resumes past every committed seq (${nextSeq})`);
        previousStartSeq = nextSeq;
        epochs.add(c!);
      }
    }
    assert.equal(starts, KILLS);
    assert.equal(epochs.size, 1, `a kill never changes the outbox epoch (only a lost tail or a new file does): ${[...epochs].join(', ')}`);
    const appended = lines.filter((l) => l.startsWith('A ')).length;
    assert.ok(appended > KILLS * 5, `the child did little work (${appended} appends): the test would prove nothing`);

    const outbox = new Database(db, { readonly: true });
    assert.equal(outbox.pragma('integrity_check', { simple: true }), 'ok');
    const meta = new Map(outbox.prepare<[], { key: string; value: number }>('SELECT key, value FROM meta').all().map((r) => [r.key, r.value]));
    const rows = outbox.prepare<[], { seq: number; departure: number }>('SELECT seq, departure FROM reports ORDER BY seq').all();
    outbox.close();
    const ackedThrough = meta.get('acked_through')!;
    const nextSeq = meta.get('next_seq')!;
    assert.ok(ackedThrough >= acked, 'every logged ack is on disk');
    // Gap-free and never reused: what is left is exactly the numbers after the acked ones.
    assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: nextSeq - 1 - ackedThrough }, (_, i) => ackedThrough + 1 + i));
    for (const row of rows) bind(row.seq, row.departure, 'on disk');
    // No committed report is lost: each logged one is acknowledged or still there with its number.
    const onDisk = new Set(rows.map((r) => r.seq));
    for (const seq of keyOfSeq.keys()) assert.ok(seq <= ackedThrough || onDisk.has(seq), `report ${seq} was committed and is gone`);
    assert.ok(Math.max(...keyOfSeq.keys()) < nextSeq);
  });
});
