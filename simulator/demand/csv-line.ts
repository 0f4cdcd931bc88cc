/**
 * One CSV record per line (RFC 4180 quoting: fields in double quotes may hold commas and doubled
 * quotes). The APC files never break a record across lines, so a line reader is enough; a line
 * whose quotes do not close is reported as malformed, never guessed at. Must never throw on input.
 */

export type CsvSplit = { ok: true; fields: string[] } | { ok: false; reason: 'bad-quoting' };

export function splitCsvLine(line: string): CsvSplit {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (i < n && line.charCodeAt(i) === 0x22 /* " */) {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return { ok: false, reason: 'bad-quoting' };
        value += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 0x22) {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // After a closing quote only a separator or the end of the line may follow.
      if (i < n && line.charCodeAt(i) !== 0x2c) return { ok: false, reason: 'bad-quoting' };
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      const value = line.slice(i, end);
      if (value.includes('"')) return { ok: false, reason: 'bad-quoting' };
      fields.push(value);
      i = end;
    }
    if (i >= n) return { ok: true, fields };
    i++; // skip the comma
    if (i === n) {
      fields.push('');
      return { ok: true, fields };
    }
  }
}

/** Quotes a field only when it needs it, so written files look like the source files. */
export function formatCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
