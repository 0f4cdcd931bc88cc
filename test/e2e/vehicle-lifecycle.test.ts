/**
 * The vehicle image's gateway as systemd runs it: a real process (plain node, the compiled image)
 * on a real pseudo-terminal with an emulated RUI3 module on the far end (test/helpers/vehicle-process.ts).
 * Stopped by SIGTERM or SIGINT at random moments, many times: while it starts with a silent modem,
 * while it joins, after it sent a frame. Each stop must end the process with code 0 within 5 s, the
 * outbox closed (no WAL left) and intact. Also: a start that fails exits 1 and closes what it
 * opened; the self-test ends with its verdict after a modem FAIL; sd_notify reaches a NOTIFY_SOCKET.
 * Timings are figures for the bench (bench/lifecycle.ts), not asserted beyond the 5 s rule.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../common/random.js';
import { jemallocPath, VEHICLE_NODE_ENV, VEHICLE_NODE_FLAGS } from '../../gateway/node-runtime.js';
import { vehicleImage } from '../helpers/vehicle-image.js';
import { outboxAfterExit, startGateway, stopAtRandomMoment, until, type StopMoment } from '../helpers/vehicle-process.js';

describe('the vehicle gateway as a process on a pseudo-terminal (compiled image, plain node)', function () {
  this.timeout(180_000);
  before(function () {
    this.timeout(180_000);
    vehicleImage();
  });

  it('ends within 5 s with code 0 and the outbox closed on SIGTERM or SIGINT at random moments (start with a silent modem, join, after a frame), 10 times', async function () {
    const rng = new Rng(Number(process.env['LIFECYCLE_SEED'] ?? 2026));
    const moments: StopMoment[] = ['silent-start', 'join', 'sent'];
    for (let i = 0; i < 10; i++) {
      const moment = moments[i % 3]!;
      const sig: NodeJS.Signals = rng.next() < 0.75 ? 'SIGTERM' : 'SIGINT';
      const { run, stopMs, exit } = await stopAtRandomMoment(this, moment, sig, rng);
      try {
        const log = run.stderr();
        assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `run ${i} (${moment}, ${sig}): ${log.slice(-1500)}`);
        assert.ok(stopMs < 5000, `run ${i} (${moment}, ${sig}) took ${Math.round(stopMs)} ms to stop`);
        // A signal while the model loads comes before the outbox is opened: then there is nothing to close.
        assert.match(log, moment === 'silent-start' ? /"outbox":"(closed|not opened)","msg":"stopped"/ : /"outbox":"closed","msg":"stopped"/, `run ${i} (${moment}): ${log.slice(-1500)}`);
        assert.doesNotMatch(log, /did not stop in time|handles still open/, `run ${i} (${moment})`);
        if (moment === 'sent') assert.ok(run.heard.some((l) => l.startsWith('AT+SEND=')));
        if (existsSync(run.outboxPath)) assert.deepEqual(outboxAfterExit(run.outboxPath), { wal: false, integrity: 'ok' }, `run ${i} (${moment})`);
        else assert.match(log, /"outbox":"not opened"/);
      } finally {
        await run.close();
      }
    }
  });

  it('a start that fails (the modem silent) closes the outbox and the port and exits 1, naming the port', async function () {
    const run = await startGateway(this, { silent: true });
    try {
      const exit = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000))]);
      assert.ok(exit, `still running: ${run.stderr().slice(-800)}`);
      assert.equal(exit.code, 1, run.stderr());
      assert.match(run.stderr(), /error: the modem on \S+ did not start \(AT: no answer within 3000 ms\)/);
      assert.match(run.stderr(), /"outbox":"closed","msg":"stopped"/);
      assert.deepEqual(outboxAfterExit(run.outboxPath), { wal: false, integrity: 'ok' });
    } finally {
      await run.close();
    }
  });

  it('the self-test ends with its verdict and exit code 3 (a device did not answer) after a modem FAIL', async function () {
    const run = await startGateway(this, { silent: true, command: 'selftest' });
    try {
      const exit = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000))]);
      assert.ok(exit, `the self-test did not end: ${run.stderr().slice(-800)}`);
      assert.equal(exit.code, 3, 'docs/cli.md: 3 when a device did not answer');
      assert.match(run.stderr(), /\[FAIL\] modem answers and takes its settings: AT: no answer/);
      assert.doesNotMatch(run.stderr(), /handles still open/);
    } finally {
      await run.close();
    }
  });

  it('tells systemd it is ready, feeds the watchdog while it runs and says when it stops (sd_notify over a NOTIFY_SOCKET)', async function () {
    if (spawnSync('systemd-notify', ['--help'], { stdio: 'ignore' }).status !== 0) {
      if (process.env['REQUIRE_SYSTEMD'] === '1') throw new Error('systemd-notify is required (REQUIRE_SYSTEMD=1) but not installed');
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'notify-'));
    const socket = join(dir, 'notify.sock');
    // systemd's side: a unix datagram socket (Node has none), each message printed as it comes.
    const listener = spawn('socat', ['-u', `UNIX-RECV:${socket}`, 'STDOUT'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let heard = '';
    listener.stdout.on('data', (c: Buffer) => (heard += `${c.toString()}\n`));
    const count = (what: string) => heard.split(what).length - 1;
    try {
      await until(() => existsSync(socket), 5000, 'the notify socket');
      const run = await startGateway(this, { env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '1000000' } });
      try {
        await until(() => count('READY=1') === 1, 20_000, 'READY=1');
        assert.ok(run.heard.some((l) => l.startsWith('AT+JOIN=') || l.startsWith('AT+NJS')), 'ready after the modem was configured');
        // WatchdogSec=1 s: fed every 0.5 s while the send loop runs.
        await until(() => count('WATCHDOG=1') >= 3, 10_000, 'three WATCHDOG=1');
        run.child.kill('SIGTERM');
        const exit = await run.exited;
        assert.equal(exit.code, 0, run.stderr());
        await until(() => count('STOPPING=1') === 1, 5000, 'STOPPING=1');
        assert.ok(heard.indexOf('STOPPING=1') > heard.lastIndexOf('READY=1'));
      } finally {
        await run.close();
      }
    } finally {
      listener.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs on jemalloc as the unit starts it, says so in its log, and warns when the preloaded library is missing', async function () {
    const lib = jemallocPath()!;
    if (!existsSync(lib)) {
      if (process.env['REQUIRE_JEMALLOC'] === '1') throw new Error(`jemalloc is required (REQUIRE_JEMALLOC=1) but ${lib} is missing: apt-get install libjemalloc2`);
      this.skip();
    }
    const running = (run: Awaited<ReturnType<typeof startGateway>>) => run.stderr().split('\n').find((l) => l.includes('"msg":"running"'));
    const asUnit = await startGateway(this);
    try {
      await until(() => running(asUnit) !== undefined, 30_000, 'the running line');
      assert.match(readFileSync(`/proc/${asUnit.child.pid!}/maps`, 'utf8'), /libjemalloc\.so\.2/);
      assert.equal(JSON.parse(running(asUnit)!).allocator, 'jemalloc');
      assert.doesNotMatch(asUnit.stderr(), /jemalloc is not loaded/);
    } finally {
      asUnit.child.kill('SIGTERM');
      await asUnit.exited;
      await asUnit.close();
    }
    // A Pi where libjemalloc2 was not installed: ld.so ignores the preload, the gateway runs on glibc and says what to do.
    const missing = await startGateway(this, { nodeArgs: VEHICLE_NODE_FLAGS, env: { ...VEHICLE_NODE_ENV, LD_PRELOAD: '/usr/lib/no-such-dir/libjemalloc.so.2' } });
    try {
      await until(() => running(missing) !== undefined, 30_000, 'the running line');
      assert.equal(JSON.parse(running(missing)!).allocator, 'glibc');
      await until(() => /jemalloc is not loaded.*apt-get install libjemalloc2/.test(missing.stderr()), 5000, 'the warning');
      assert.equal(missing.child.exitCode, null, 'it keeps running');
    } finally {
      missing.child.kill('SIGTERM');
      assert.equal((await missing.exited).code, 0);
      await missing.close();
    }
  });
});
