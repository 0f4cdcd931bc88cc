/**
 * Serial lines for the bench rig: each is a socat process joining two pseudo-terminals, linked at
 * fixed paths, one for the gateway (what its config names, as a udev link would be on the tram) and
 * one that the emulated device opens. Must never be used on a vehicle: it stands in for cables.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

export interface PtyLink {
  /** The path the gateway opens. */
  gatewayPath: string;
  /** The path the emulated device opens. */
  devicePath: string;
  close(): Promise<void>;
}

export function socatInstalled(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** Starts socat with both ends linked at the given paths; resolves once both links exist. */
export async function openPtyLink(gatewayPath: string, devicePath: string): Promise<PtyLink> {
  for (const p of [gatewayPath, devicePath]) rmSync(p, { force: true });
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${gatewayPath}`, `pty,raw,echo=0,link=${devicePath}`], { stdio: 'ignore' });
  const failed = new Promise<Error>((resolve) => child.once('error', resolve));
  let error: Error | undefined;
  void failed.then((e) => (error = e));
  for (let i = 0; i < 500 && !(existsSync(gatewayPath) && existsSync(devicePath)); i++) {
    if (error || child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!(existsSync(gatewayPath) && existsSync(devicePath))) {
    child.kill();
    throw new Error(`socat did not create ${gatewayPath}${error ? `: ${error.message}` : ''} (is socat installed? apt-get install socat)`);
  }
  // Should the rig die without close(), its cables must not outlive it.
  const killOnExit = (): void => void child.kill();
  process.once('exit', killOnExit);
  return {
    gatewayPath,
    devicePath,
    close: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      // socat removes its links on a clean exit; make sure of it.
      for (const p of [gatewayPath, devicePath]) rmSync(p, { force: true });
    },
  };
}
