/**
 * The vehicle's configuration: one YAML or JSON file per vehicle, validated once at start with zod
 * into a frozen object; secrets (the AppKey) in a separate file readable by the service user only.
 * A bad config is refused with a message that names the field.
 *
 * The secrets file must never be echoed: however malformed, no error or warning shows any of its
 * content (YAML errors by code and position only, validation errors by known field names only),
 * since stderr goes to the journal. It names the DevEUI it belongs to, checked against the config,
 * so a secrets file of another vehicle is refused (secrets-file.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../common/errors.js';
import { describeIssue, hexBytes as hex, timeZoneName, vehicleId } from '../common/schema.js';
import { fleetNumberProblem, loadVehicleTypes } from '../contracts/vehicle-types.js';
import { DoorBoardSourceSchema } from '../firmware-bindings/door-board/door-board-config.js';
import { parseSecretsText, readSecretsText } from './secrets-file.js';

export const GatewayConfigSchema = z
  .object({
    vehicle: z
      .object({
        id: vehicleId.describe('fleet number, e.g. "661"'),
        /** A type of contracts/data/vehicle-types.yaml; a fleet number must lie in its range. */
        type: z.string().min(1),
        seats: z.number().int().positive(),
        capacity: z.number().int().positive(),
        levels: z.object({ medium: z.number().int().positive(), high: z.number().int().positive() }).strict(),
      })
      .strict(),
    timeZone: timeZoneName.default('Europe/Berlin'),
    modem: z
      .object({
        dialect: z.enum(['rui3', 'rn2483']),
        port: z.string().min(1),
        baudRate: z.number().int().positive().optional(),
        // Off for a moving vehicle: ADR misjudges a tram, and its ADRACKReq would ask for downlinks
        // beyond the 10 a day (docs/delivery.md).
        adr: z.boolean().default(false),
        dataRate: z.number().int().min(0).max(5).optional(),
        /** Pulls the module's reset line when it stops answering a soft reset, e.g. ["gpioset","--mode=time","--usec=200000","gpiochip0","17=0"]. */
        resetCommand: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict(),
    lorawan: z.object({ devEui: hex(8), joinEui: hex(8) }).strict(),
    uplink: z
      .object({
        outboxPath: z.string().min(1),
        outboxMaxReports: z.number().int().positive().default(50_000),
        dailyAirtimeMs: z.number().int().positive().max(86_400_000).default(30_000),
        serviceHours: z.number().positive().max(24).default(19),
        liveEnabled: z.boolean().default(true),
        maxBatchDelayMinutes: z.number().positive().default(20),
        maxBatch: z.number().int().min(1).max(256).default(40),
        resendAfterHours: z.number().positive().default(8),
        liveMaxAgeSeconds: z.number().positive().max(3600).default(90),
        liveHeartbeatMinutes: z.number().positive().default(30),
        healthIntervalMin: z.number().int().min(0).max(7 * 24 * 60).default(120),
        ackPollMinutes: z.number().positive().default(30),
      })
      .strict(),
    estimation: z
      .object({
        /** The ONNX load model; the shipped one when absent. */
        modelPath: z.string().min(1).optional(),
        /** Set false to run the running-sum baseline only. */
        useModel: z.boolean().default(true),
      })
      .strict()
      .default({ useModel: true }),
    counting: z.object({ departureGraceSeconds: z.number().positive().max(300).default(15) }).strict().default({ departureGraceSeconds: 15 }),
    sources: z
      .object({
        /** The vehicle bus through a level shifter (1200 baud 7E2). */
        ibis: z.object({ port: z.string().min(1), silenceSeconds: z.number().positive().default(30) }).strict().optional(),
        // Port, pin mapping (the vehicle type's, from contracts/data/vehicle-types.yaml) and timing.
        doorBoard: DoorBoardSourceSchema.optional(),
        /** The camera counter's serial line (docs/camera-protocol.md). */
        camera: z
          .object({ port: z.string().min(1), baudRate: z.number().int().positive().default(115_200), offlineSeconds: z.number().positive().default(10) })
          .strict()
          .optional(),
        /** Phones on board: BLE advertisements (noble) and/or WiFi probe requests from a capture command's field output. */
        radio: z
          .object({
            ble: z.boolean().default(false),
            /** e.g. ["tshark","-l","-i","wlan0mon","-Y","wlan.fc.type_subtype == 4","-T","fields","-e","frame.time_epoch","-e","wlan.sa","-e","radiotap.dbm_antsignal"] */
            wifiCommand: z.array(z.string().min(1)).min(1).optional(),
            minRssi: z.number().max(0).default(-85),
          })
          .strict()
          .optional(),
        /** Local hour at which the pseudonymisation key is replaced every day. */
        keyRotationHour: z.number().int().min(0).max(23).default(3),
      })
      .strict()
      .prefault({}),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).strict().default({ level: 'info' }),
  })
  .strict()
  .refine((c) => c.vehicle.levels.medium < c.vehicle.levels.high, { message: 'levels.medium must be below levels.high', path: ['vehicle', 'levels'] });

export type GatewayConfig = Readonly<z.infer<typeof GatewayConfigSchema>>;

export const GatewaySecretsSchema = z
  .object({
    /** The vehicle's DevEUI, as in its config: ties the key to its vehicle. */
    devEui: hex(8),
    appKey: hex(16),
    /** Secret seed of the anonymised public level (32 bytes); a fresh one each start when absent. */
    levelSeed: hex(32).optional(),
  })
  .strict();
export type GatewaySecrets = Readonly<z.infer<typeof GatewaySecretsSchema>>;

/** The secrets file's text as validated secrets; errors say where and what, never what was there. */
export function parseSecrets(text: string, path: string): GatewaySecrets {
  return parseSecretsText(GatewaySecretsSchema, text, path);
}

function readStructured(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(what, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new ConfigError(what, `${path} is not valid YAML/JSON: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** ` (in <file>)` after a message, when the input came from one. */
const inFile = (path: string | undefined) => (path ? ` (in ${path})` : '');

function validate<T>(schema: z.ZodType<T>, raw: unknown, path: string | undefined): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const { field, message } = describeIssue(schema, parsed.error);
    throw new ConfigError(field || '(top level)', `${message}${inFile(path)}`);
  }
  return parsed.data;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export interface ParseOptions {
  /**
   * `havag` (the default): the vehicle type must be known and a fleet number lie in its range.
   * `bench`: the simulator numbers its trams itself (replayed foreign trams from 9001, outside
   * every HAVAG range), so only the type is checked.
   */
  fleet?: 'havag' | 'bench';
}

/**
 * Validates a vehicle config. A type that contracts/data/vehicle-types.yaml does not know is
 * refused, like any invalid field: the type decides the door board's pins, the level thresholds
 * the back office checks against and the fleet numbers, so a typo must not pass as a new type.
 */
export function parseGatewayConfig(raw: unknown, path?: string, options: ParseOptions = {}): GatewayConfig {
  const config = validate(GatewayConfigSchema, raw, path);
  const problem = fleetNumberProblem(loadVehicleTypes(), config.vehicle.id, config.vehicle.type);
  if (problem && (problem.field === 'type' || options.fleet !== 'bench')) throw new ConfigError(`vehicle.${problem.field}`, `${problem.message}${inFile(path)}`);
  return deepFreeze(config);
}

export function loadGatewayConfig(path: string): GatewayConfig {
  return parseGatewayConfig(readStructured(path, 'config'), path);
}

/**
 * Reads the secrets file; refuses one that others than its owner may read, one that is malformed
 * (without showing any of it), and one that belongs to another DevEUI than `expectedDevEui`.
 */
export function loadGatewaySecrets(path: string, expectedDevEui?: string): GatewaySecrets {
  try {
    const mode = statSync(path).mode & 0o077;
    if (mode !== 0) throw new ConfigError('secrets', `${path} is readable by group or others (chmod 600 ${path})`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('secrets', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  const secrets = deepFreeze(parseSecrets(readSecretsText(path), path));
  if (expectedDevEui !== undefined && secrets.devEui.toLowerCase() !== expectedDevEui.toLowerCase()) {
    throw new ConfigError('secrets.devEui', `${path} belongs to DevEUI ${secrets.devEui.toUpperCase()}, but the config is for ${expectedDevEui.toUpperCase()}: the secrets file of another vehicle`);
  }
  return secrets;
}
