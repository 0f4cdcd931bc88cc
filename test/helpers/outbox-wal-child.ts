/**
 * Child of the WAL-damage test (test/gateway/uplink/outbox-faults.test.ts): opens a file outbox,
 * appends `count` reports, hands them "to the modem" (the mark file learns their numbers, as the
 * scheduler does before a batch goes on air), marks them sent, says how far it got, and dies by
 * SIGKILL: no checkpoint, so the reports live only in the WAL the test then damages.
 *
 * Usage: node --import tsx outbox-wal-child.ts <outbox.db> <count>
 */
import { Outbox } from '../../gateway/uplink/outbox.js';

const [path, count] = process.argv.slice(2);
const outbox = new Outbox({ path: path! });
const seqs: number[] = [];
for (let i = 0; i < Number(count); i++) {
  seqs.push(outbox.append({ departure: 1_800_000_000_000 + i * 60_000, stop: i + 1, line: 5, course: 1, destination: 51, boardings: 3, alightings: 1, load: 10 + i, flags: 0 }).seq);
}
outbox.beforeSend(seqs);
outbox.markSent(seqs, 1_800_000_000_000);
process.stdout.write(`${outbox.epoch} ${seqs[seqs.length - 1]}\n`, () => process.kill(process.pid, 'SIGKILL'));
