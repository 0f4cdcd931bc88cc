import assert from 'node:assert/strict';
import { formatCsvField, splitCsvLine } from '../../../simulator/demand/csv-line.js';

describe('splitCsvLine', () => {
  it('splits plain fields and keeps empty ones', () => {
    assert.deepEqual(splitCsvLine('a,b,,d'), { ok: true, fields: ['a', 'b', '', 'd'] });
    assert.deepEqual(splitCsvLine('a,'), { ok: true, fields: ['a', ''] });
    assert.deepEqual(splitCsvLine(''), { ok: true, fields: [''] });
  });

  it('reads quoted fields with commas and doubled quotes', () => {
    assert.deepEqual(splitCsvLine('1,"Beta, Gare",x'), { ok: true, fields: ['1', 'Beta, Gare', 'x'] });
    assert.deepEqual(splitCsvLine('"Eps ""quoted""",2'), { ok: true, fields: ['Eps "quoted"', '2'] });
    assert.deepEqual(splitCsvLine('"",""'), { ok: true, fields: ['', ''] });
  });

  it('reports broken quoting instead of guessing', () => {
    assert.deepEqual(splitCsvLine('a,"unterminated,b'), { ok: false, reason: 'bad-quoting' });
    assert.deepEqual(splitCsvLine('a,"closed"tail,b'), { ok: false, reason: 'bad-quoting' });
    assert.deepEqual(splitCsvLine('a,stray"quote'), { ok: false, reason: 'bad-quoting' });
  });

  it('round-trips what formatCsvField writes', () => {
    const fields = ['plain', 'with, comma', 'with "quote"', ''];
    assert.deepEqual(splitCsvLine(fields.map(formatCsvField).join(',')), { ok: true, fields });
  });
});
