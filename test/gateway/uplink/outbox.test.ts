import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox, type NewReport } from '../../../gateway/uplink/outbox.js';

const report = (i: number): NewReport => ({ departure: 1_000_000 + i * 60_000, stop: i, line: 5, course: 1, destination: 51, boardings: i, alightings: 0, load: i, flags: 0 });

describe('Outbox', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'outbox-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('numbers reports in order and keeps them across a reopen', () => {
    const path = join(dir, 'outbox.db');
    const a = new Outbox({ path });
    assert.deepEqual([1, 2, 3].map((i) => a.append(report(i)).seq), [1, 2, 3]);
    a.close();
    const b = new Outbox({ path });
    assert.equal(b.size, 3);
    assert.equal(b.append(report(4)).seq, 4, 'a sequence number is never given twice');
    assert.deepEqual(b.unsent(10).map((r) => r.stop), [1, 2, 3, 4]);
    b.close();
  });

  it('offers unsent reports, then reports due for resending, oldest first', () => {
    const o = new Outbox({ path: ':memory:' });
    for (let i = 1; i <= 5; i++) o.append(report(i));
    o.markSent([1, 2], 10_000);
    assert.deepEqual(o.due(5_000, 10).map((r) => r.seq), [3, 4, 5]);
    assert.deepEqual(o.due(10_000, 10).map((r) => r.seq), [1, 2, 3, 4, 5]);
    assert.equal(o.due(10_000, 10)[0]!.sendCount, 1);
    o.close();
  });

  it('removes acknowledged reports: cumulative and individual', () => {
    const o = new Outbox({ path: ':memory:' });
    for (let i = 1; i <= 8; i++) o.append(report(i));
    o.markSent([1, 2, 3, 4, 5, 6, 7, 8], 1000);
    o.acknowledge(3, [5, 7]);
    assert.deepEqual(o.due(1000, 10).map((r) => r.seq), [4, 6, 8]);
    o.close();
  });

  it('never lets an ack remove a report that has not gone on air yet', () => {
    const o = new Outbox({ path: ':memory:' });
    for (let i = 1; i <= 6; i++) o.append(report(i));
    o.markSent([1, 2, 4], 1000);
    assert.deepEqual(o.acknowledge(5, []), { removed: 3, refused: false });
    assert.deepEqual(o.unsent(10).map((r) => r.seq), [3, 5, 6], 'unsent reports stay, whatever the ack says');
    o.close();
  });

  it('beyond its bound gives up reports already sent first, then the oldest, and counts them', () => {
    const o = new Outbox({ path: ':memory:', maxReports: 3 });
    for (let i = 1; i <= 3; i++) o.append(report(i));
    o.markSent([2], 10_000);
    o.append(report(4));
    assert.deepEqual(o.due(10_000, 10).map((r) => r.seq), [1, 3, 4], 'the sent one gave way, not the oldest unsent');
    o.append(report(5));
    assert.deepEqual(o.due(10_000, 10).map((r) => r.seq), [3, 4, 5]);
    assert.equal(o.dropped, 2);
    o.close();
  });

  it('refuses an ack for numbers it never gave, and keeps its reports', () => {
    const o = new Outbox({ path: ':memory:' });
    for (let i = 1; i <= 3; i++) o.append(report(i));
    assert.deepEqual(o.acknowledge(90), { removed: 0, refused: true });
    assert.deepEqual(o.acknowledge(1, [3, 50]), { removed: 0, refused: true });
    assert.equal(o.size, 3);
    o.markSent([1, 2, 3], 1000);
    assert.deepEqual(o.acknowledge(2), { removed: 2, refused: false });
    assert.equal(o.ackedThrough, 2);
    o.close();
  });

  it('marks reports missing only if they were not sent again since', () => {
    const o = new Outbox({ path: ':memory:' });
    for (let i = 1; i <= 3; i++) o.append(report(i));
    o.markSent([1, 2], 10_000);
    o.markSent([2], 50_000);
    assert.equal(o.markMissing([1, 2, 3], 20_000), 1, 'only 1: 2 went out again after the ack was built, 3 never went');
    assert.deepEqual(o.due(5_000, 10).map((r) => r.seq), [1, 3]);
    o.close();
  });

  it('counts restarts and keeps the airtime budget across a reopen', () => {
    const path = join(dir, 'outbox.db');
    const a = new Outbox({ path });
    assert.equal(a.restarts, 1);
    assert.equal(a.loadBudget(), undefined);
    a.saveBudget({ day: 86_400_000, usedMs: 12_345.5, bandFreeAt: 90_000_000, tokens: 2_000.25, lastRefill: 89_000_000 });
    a.close();
    const b = new Outbox({ path });
    assert.equal(b.restarts, 2);
    assert.deepEqual(b.loadBudget(), { day: 86_400_000, usedMs: 12_345.5, bandFreeAt: 90_000_000, tokens: 2_000.25, lastRefill: 89_000_000 });
    b.close();
  });

  it('refuses a negative count instead of storing it', () => {
    const o = new Outbox({ path: ':memory:' });
    assert.throws(() => o.append({ ...report(1), boardings: -1 }), /CHECK constraint/);
    assert.equal(o.size, 0);
    assert.equal(o.append(report(2)).seq, 1, 'the failed append did not use up a number');
    o.close();
  });
});
