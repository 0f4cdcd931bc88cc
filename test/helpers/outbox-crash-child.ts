/**
 * The child process of the SIGKILL test (test/gateway/uplink/outbox-crash.test.ts): opens a file
 * outbox and, until killed, appends stop reports, "sends" due ones and acknowledges some, as the
 * gateway does. After each step commits it appends what it did to a side log and fsyncs it, so
 * the log is a lower bound of what the outbox must hold. Every report carries a unique key
 * (`departure`) taken from a counter file that is advanced BEFORE the append: a key is used once,
 * whether or not its report made it into the outbox.
 *
 * Usage: node --import tsx outbox-crash-child.ts <outbox.db> <side.log> <counter> <seed>
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../common/random.js';
import { Outbox } from '../../gateway/uplink/outbox.js';

function nextKey(counterPath: string): number {
  let key = 1;
  try {
    key = Number(readFileSync(counterPath, 'utf8')) || 1;
  } catch {
    // first run
  }
  // Write-then-rename: a kill leaves the old counter or the new one, never an empty file.
  const fd = openSync(`${counterPath}.tmp`, 'w');
  writeSync(fd, String(key + 1));
  fsyncSync(fd);
  closeSync(fd);
  renameSync(`${counterPath}.tmp`, counterPath);
  return key;
}

function run(dbPath: string, logPath: string, counterPath: string, seed: number): never {
  const rng = new Rng(seed);
  const outbox = new Outbox({ path: dbPath, maxReports: 1_000_000 });
  const sideLog = openSync(logPath, 'a');
  const logLine = (line: string): void => {
    writeSync(sideLog, `${line}\n`);
    fsyncSync(sideLog);
  };
  logLine(`R ${outbox.restarts} ${outbox.nextSeq} ${outbox.epoch}`);
  process.stdout.write('ready\n');
  let clock = 1_000_000;
  for (;;) {
    clock += 1000;
    const key = nextKey(counterPath);
    const stored = outbox.append({ departure: key, stop: key % 40, line: 5, course: 1, destination: 51, boardings: key % 7, alightings: key % 5, load: key % 50, flags: 0 });
    logLine(`A ${stored.seq} ${key}`);
    // Progress for the parent, which kills only after some work (a loaded machine is slow).
    process.stdout.write('+');
    if (rng.chance(0.5)) {
      const due = outbox.due(clock - 5000, rng.int(1, 6));
      // What goes on air is read from the outbox: the epoch mark learns it (as the scheduler's
      // transmit does), log it as sent, then record the send.
      outbox.beforeSend(due.map((r) => r.seq));
      for (const r of due) logLine(`S ${r.seq} ${r.departure}`);
      outbox.markSent(
        due.map((r) => r.seq),
        clock,
      );
    }
    if (rng.chance(0.1)) {
      const oldest = outbox.oldestPending;
      const through = oldest ? oldest.seq + rng.int(0, 3) : 0;
      if (outbox.get(through)?.sendCount) {
        outbox.acknowledge(through);
        logLine(`K ${through}`);
      }
    }
  }
}

// Only as a program: mocha may load this file along with the tests.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dbPath, logPath, counterPath, seedText] = process.argv.slice(2) as [string, string, string, string];
  run(dbPath, logPath, counterPath, Number(seedText));
}
