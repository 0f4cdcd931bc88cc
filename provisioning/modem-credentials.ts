/**
 * `occupancy provision modem`: writes a vehicle's LoRaWAN credentials into its modem and proves
 * they are there: the dialect's driver writes DevEUI, JoinEUI and AppKey as the gateway does at
 * start, saves them where the module keeps them over a reset, resets the module, and reads DevEUI
 * and JoinEUI back. No module reads its AppKey back: a join (optional) is what proves the key.
 * Must never print or log the AppKey.
 */
import type { DialectDriver } from '../firmware-bindings/lora/dialect-common.js';
import type { CheckResult } from '../gateway/self-test.js';

export interface ExpectedIdentity {
  devEui: string;
  joinEui: string;
}

async function step(name: string, action: string, run: () => Promise<string>): Promise<CheckResult> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message, action };
  }
}

/** Each step's result; stops at the first that fails. */
export async function writeModemCredentials(driver: DialectDriver, expected: ExpectedIdentity): Promise<CheckResult[]> {
  const want = { devEui: expected.devEui.toLowerCase(), joinEui: expected.joinEui.toLowerCase() };
  const results: CheckResult[] = [];
  const steps: Array<[string, string, () => Promise<string>]> = [
    [
      'write credentials',
      'check the modem cable, the port and the dialect in the config; power-cycle the modem',
      async () => {
        await driver.open();
        return `${driver.dialect}: DevEUI ${want.devEui.toUpperCase()}, JoinEUI ${want.joinEui.toUpperCase()} and the AppKey written`;
      },
    ],
    [
      'save them in the module',
      'power-cycle the modem and run this again; if it keeps failing, the module\'s memory may be worn: replace the module',
      async () => {
        await driver.saveCredentials();
        return driver.dialect === 'rn2483' ? 'mac save done' : 'kept in flash by the firmware';
      },
    ],
    [
      'reset the module',
      'check the modem\'s power; the module did not come back after its reset command',
      async () => {
        await driver.reset();
        return 'answers again after its reset';
      },
    ],
    [
      'read back after the reset',
      'the module did not keep what was written: run this again; if it still differs, the module is faulty or another tool overwrote it',
      async () => {
        const got = await driver.readIdentity();
        const wrong = (['devEui', 'joinEui'] as const).filter((k) => got[k] !== want[k]);
        if (wrong.length > 0) throw new Error(`the module holds ${wrong.map((k) => `${k === 'devEui' ? 'DevEUI' : 'JoinEUI'} ${got[k].toUpperCase()} (expected ${want[k].toUpperCase()})`).join(', ')}`);
        return `DevEUI ${got.devEui.toUpperCase()} and JoinEUI ${got.joinEui.toUpperCase()} match the config`;
      },
    ],
  ];
  for (const [name, action, run] of steps) {
    const result = await step(name, action, run);
    results.push(result);
    if (!result.ok) break;
  }
  return results;
}
